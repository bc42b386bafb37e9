import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DecisionLog, canonicalJson, inputDigest, type DecisionRecord } from "./decision-log.js";

const record = (case_id: string): DecisionRecord => ({
  time: "2026-11-24T09:00:00.000Z",
  trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
  case_id,
  input_digest: inputDigest({ a: 1 }),
  input: { a: 1 },
  outcome: "escalate",
  reasons: ["namespace identity is always escalated"],
  policy_version: "2026.11.24-1",
  evaluator: "opa",
  failsafe: null,
  latency_ms: 0.42,
});

describe("canonical JSON and the input digest", () => {
  it("sorts keys at every level and drops whitespace", () => {
    expect(canonicalJson({ b: [{ y: 1, x: null }], a: "é" })).toBe('{"a":"é","b":[{"x":null,"y":1}]}');
  });

  it("gives equal inputs the same digest whatever their key order, and different inputs different ones", () => {
    const one = {
      action: { type: "isolate_pod", target: { namespace: "shop", image: null } },
      confidence: 0.9,
    };
    const reordered = {
      confidence: 0.9,
      action: { target: { image: null, namespace: "shop" }, type: "isolate_pod" },
    };
    expect(inputDigest(reordered)).toBe(inputDigest(one));
    expect(inputDigest({ ...one, confidence: 0.91 })).not.toBe(inputDigest(one));
    const expected = createHash("sha256").update(canonicalJson(one)).digest("hex");
    expect(inputDigest(one)).toBe(`sha256:${expected}`);
  });

  it("keeps array order: it is meaningful", () => {
    expect(inputDigest({ tags: ["a", "b"] })).not.toBe(inputDigest({ tags: ["b", "a"] }));
  });
});

describe("DecisionLog", () => {
  it("appends one JSON line per decision, after what the file already held", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "soc-log-")), "data", "decisions.jsonl");
    const first = new DecisionLog(path);
    first.write(record("C-7K2F9"));
    await first.close();
    const second = new DecisionLog(path);
    second.write(record("C-8M3G4"));
    second.write(record("C-9N4H5"));
    await second.close();
    const lines = readFileSync(path, "utf8").split("\n");
    expect(lines.at(-1)).toBe("");
    expect(lines.slice(0, -1).map((l) => (JSON.parse(l) as DecisionRecord).case_id)).toEqual([
      "C-7K2F9",
      "C-8M3G4",
      "C-9N4H5",
    ]);
  });

  it("reports a write failure instead of throwing into the decision", async () => {
    const dir = mkdtempSync(join(tmpdir(), "soc-log-"));
    // A directory where the log file should be: opening it for append fails asynchronously.
    mkdirSync(join(dir, "decisions.jsonl"));
    const log = new DecisionLog(join(dir, "decisions.jsonl"));
    expect(() => log.write(record("C-7K2F9"))).not.toThrow();
    await log.close();
    expect(log.failure?.message).toMatch(/EISDIR/);
    expect(() => log.write(record("C-8M3G4"))).not.toThrow();
  });
});
