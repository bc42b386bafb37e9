import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_CORPUS_START, generateCorpus } from "./generate-corpus.js";
import { DEFAULT_MIX, readMix } from "./mix.js";

const options = { seed: 5, benign: 4000, episodes: 10, start: DEFAULT_CORPUS_START };
const namespaceOf = (event: { output_fields: Record<string, unknown> }) => event.output_fields["k8s.ns.name"];
const mixes = join(import.meta.dirname, "mixes");

describe("corpus mixes", () => {
  it("give the default corpus, event for event, with the default mix", () => {
    const plain = generateCorpus(options);
    expect(generateCorpus({ ...options, mix: DEFAULT_MIX })).toEqual(plain);
    expect(generateCorpus({ ...options, mix: readMix(join(mixes, "default.json")) })).toEqual(plain);
  });

  it("leave a profile out, run more copies of another, and rotate only the kinds they list", () => {
    const plain = generateCorpus(options);
    const mixed = generateCorpus({
      ...options,
      mix: { name: "test", description: "", profiles: { ci: 0, batch: 3 }, episodes: ["memfd", "netcat"] },
    });
    const share = (corpus: typeof plain, namespace: string) =>
      corpus.filter((c) => c.label === "benign" && namespaceOf(c.event) === namespace).length / corpus.length;
    expect(share(plain, "ci")).toBeGreaterThan(0);
    expect(share(mixed, "ci")).toBe(0);
    expect(share(mixed, "batch")).toBeGreaterThan(2 * share(plain, "batch"));
    const kinds = new Set(
      mixed.filter((c) => c.label !== "benign").map((c) => c.label.replace(/^ep-\d{4}-/, "")),
    );
    expect([...kinds].sort()).toEqual(["memfd", "netcat"]);
  });

  it("ships five distinct mixes that read as mixes", () => {
    const files = readdirSync(mixes).filter((f) => f.endsWith(".json"));
    expect(files.length).toBeGreaterThanOrEqual(5);
    const read = files.map((f) => readMix(join(mixes, f)));
    expect(new Set(read.map((m) => JSON.stringify({ p: m.profiles, e: m.episodes }))).size).toBe(
      files.length,
    );
    for (const mix of read) expect(`${mix.name}.json`).toBe(files[read.indexOf(mix)]);
  });

  it("refuses a mix file with every problem named", () => {
    const file = join(mkdtempSync(join(tmpdir(), "soc-mix-")), "bad.json");
    writeFileSync(
      file,
      JSON.stringify({ name: "Bad Mix", profiles: { web: 9, mainframe: 1 }, episodes: ["phishing"] }),
    );
    expect(() => readMix(file)).toThrow(
      /name: .*lower-case[\s\S]*profiles\.web[\s\S]*profiles[\s\S]*episodes\.0/,
    );
    writeFileSync(
      file,
      JSON.stringify({
        name: "idle",
        profiles: { web: 0, database: 0, operator: 0, node: 0, batch: 0, ci: 0, engineer: 0 },
      }),
    );
    expect(() => readMix(file)).toThrow(/a mix needs some benign work/);
  });
});
