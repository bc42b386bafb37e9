import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FalcoEvent } from "../../../contracts/falco.js";
import { exportFeatures, parseLabels } from "./export.js";
import { FEATURE_COUNT, FEATURE_NAMES, FeatureExtractor } from "./index.js";

const sampleUrl = new URL("../../../fleet/sample/falco-events.jsonl", import.meta.url);
const lines = readFileSync(sampleUrl, "utf8").trimEnd().split("\n");

async function csv(input: Iterable<string>, labels: ReadonlyMap<string, string> | null = null) {
  let text = "";
  const notes: string[] = [];
  const result = await exportFeatures(
    input,
    labels,
    (chunk) => (text += chunk),
    (note) => notes.push(note),
  );
  return { rows: text.trimEnd().split("\n"), result, notes };
}

/** The sample with a uuid on every line (half of it is Falco's own form, without one). */
const withUuids = lines.map((line, i) => {
  const event = JSON.parse(line) as Record<string, unknown>;
  return JSON.stringify({ ...event, uuid: `u-${i}` });
});

describe("exportFeatures", () => {
  it("writes the feature names as header and one row per event, equal to the extractor's", async () => {
    const { rows, result } = await csv(lines);
    expect(rows[0]).toBe(FEATURE_NAMES.join(","));
    expect(rows).toHaveLength(lines.length + 1);
    expect(result).toEqual({ rows: lines.length, skipped: 0, feedback: 0 });

    const extractor = new FeatureExtractor();
    const out = new Float64Array(FEATURE_COUNT);
    for (const [i, line] of lines.entries()) {
      extractor.extract(FalcoEvent.parse(JSON.parse(line)), out);
      const parsed = (rows[i + 1] ?? "").split(",").map(Number);
      // Exact, not close: the text round-trips every double.
      expect(parsed).toEqual(Array.from(out));
    }
  });

  it("adds the label of each event's uuid as the last column, quoted when needed", async () => {
    const labels = new Map(withUuids.map((_, i) => [`u-${i}`, i === 3 ? 'ep "x", y' : "benign"]));
    const { rows } = await csv(withUuids, labels);
    expect(rows[0]).toBe(`${FEATURE_NAMES.join(",")},label`);
    expect(rows[1]?.endsWith(",benign")).toBe(true);
    expect(rows[4]?.endsWith(',"ep ""x"", y"')).toBe(true);
    expect(rows[1]?.split(",")).toHaveLength(FEATURE_COUNT + 1);
  });

  it("stops when an event has no label rather than export an unlabelled row", async () => {
    const labels = new Map([["u-0", "benign"]]);
    await expect(csv(withUuids.slice(0, 3), labels)).rejects.toThrow(/line 2: no label for uuid u-1/);
  });

  it("skips what the prefilter would refuse or drop, and says which lines", async () => {
    const first = withUuids[0] ?? "";
    const input = [first, "", "{not json", '{"rule":"x"}', first, withUuids[1] ?? ""];
    const { rows, result, notes } = await csv(input);
    expect(result).toEqual({ rows: 2, skipped: 3, feedback: 0 });
    expect(rows).toHaveLength(3);
    expect(notes.map((note) => note.split(":")[0])).toEqual(["line 3", "line 4", "line 5"]);
    expect(notes[2]).toContain("duplicate uuid u-0");
  });

  it("writes in chunks for large inputs, each ending on a whole row", async () => {
    const chunks: string[] = [];
    const many = Array.from({ length: 3000 }, (_, i) => {
      const event = JSON.parse(lines[i % lines.length] ?? "{}") as Record<string, unknown>;
      return JSON.stringify({ ...event, uuid: `m-${i}` });
    });
    await exportFeatures(many, null, (chunk) => chunks.push(chunk));
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunk.endsWith("\n")).toBe(true);
    expect(chunks.join("").trimEnd().split("\n")).toHaveLength(3001);
  });
});

describe("parseLabels", () => {
  it("reads uuid and label per line and refuses other shapes", () => {
    const labels = parseLabels('{"uuid":"a","label":"benign"}\n\n{"uuid":"b","label":"ep-0001-memfd"}\n');
    expect([...labels]).toEqual([
      ["a", "benign"],
      ["b", "ep-0001-memfd"],
    ]);
    expect(() => parseLabels('{"uuid":"a"}')).toThrow(/labels line 1/);
    expect(() => parseLabels("null")).toThrow(/labels line 1/);
  });
});
