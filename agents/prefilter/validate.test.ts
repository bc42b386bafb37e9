import { describe, expect, it } from "vitest";
import { FalcoEvent, FIELD_LIMITS } from "../../contracts/falco.js";
import { toJsonLine } from "../../fleet/sample/alert.js";
import { DEFAULT_CORPUS_START, generateCorpus } from "../../fleet/sample/generate-corpus.js";
import { Rng } from "../../fleet/sample/prng.js";
import { quickEvent, validateEvent } from "./validate.js";

const corpus = generateCorpus({ seed: 5, benign: 2_000, episodes: 20, start: DEFAULT_CORPUS_START }).map(
  (item) => JSON.parse(toJsonLine(item.event)) as Record<string, unknown>,
);

/** Values that sit on or across the schema's edges. */
const oddValues: unknown[] = [
  undefined,
  null,
  true,
  0,
  1.5,
  "",
  "x",
  "warning",
  "WARNING",
  "wArNiNg",
  "Loud",
  "2026-11-24T09:00:00Z",
  "2026-11-24T09:00:00.123456789Z",
  "2026-11-24T09:00:00.1234567890Z",
  "2026-11-24T09:00:00+01:00",
  "2026-11-24 09:00:00Z",
  "a".repeat(64),
  "a".repeat(65),
  "a".repeat(128),
  "a".repeat(129),
  "a".repeat(253),
  "a".repeat(254),
  "a".repeat(512),
  "a".repeat(513),
  [],
  ["container"],
  ["a".repeat(129)],
  Array.from({ length: 65 }, () => "t"),
  [1],
  {},
  { "proc.name": "sh" },
  { "proc.tty": 34816, "evt.is_async": false, "fd.name": null },
  { nested: { a: 1 } },
  { list: [1] },
  JSON.parse('{"__proto__": "x", "k": 1}') as unknown,
  // On and across the bounds of output_fields.
  { "proc.cmdline": "a".repeat(FIELD_LIMITS.value) },
  { "proc.cmdline": "a".repeat(FIELD_LIMITS.value + 1) },
  { ["n".repeat(FIELD_LIMITS.name)]: "x" },
  { ["n".repeat(FIELD_LIMITS.name + 1)]: "x" },
  Object.fromEntries(Array.from({ length: FIELD_LIMITS.fields }, (_, i) => [`f${String(i)}`, i])),
  Object.fromEntries(Array.from({ length: FIELD_LIMITS.fields + 1 }, (_, i) => [`f${String(i)}`, i])),
];
const keys = ["uuid", "time", "rule", "priority", "source", "tags", "hostname", "output", "output_fields"];

/** Corpus events with one or two fields replaced by odd values, dropped, or an extra key added. */
function* mutations(count: number): Generator {
  const rng = new Rng(77);
  for (let i = 0; i < count; i++) {
    const base = { ...rng.pick(corpus) };
    for (let k = 0; k < rng.int(1, 2); k++) {
      const key = rng.pick([...keys, "extra"]);
      const value = oddValues[rng.int(0, oddValues.length - 1)];
      if (value === undefined) Reflect.deleteProperty(base, key);
      else base[key] = value;
    }
    yield base;
  }
}

describe("validateEvent", () => {
  it("takes the quick path for every generated event, with exactly zod's result", () => {
    for (const body of corpus) {
      const quick = quickEvent(body);
      expect(quick).not.toBeNull();
      expect(quick).toStrictEqual(FalcoEvent.parse(body));
    }
  });

  it("never accepts what zod refuses, and returns zod's event whenever it accepts", () => {
    let quick = 0;
    let refused = 0;
    for (const body of mutations(20_000)) {
      const fast = quickEvent(body);
      const parsed = FalcoEvent.safeParse(body);
      if (!parsed.success) refused++;
      if (fast === null) continue;
      quick++;
      expect(parsed.success).toBe(true);
      expect(fast).toStrictEqual(parsed.data);
    }
    // Both sides of the edge were exercised.
    expect(quick).toBeGreaterThan(1_000);
    expect(refused).toBeGreaterThan(1_000);
  });

  it("gives zod's verdict and reason when the quick path declines", () => {
    for (const body of [...mutations(3_000), 42, "text", [1, 2], null]) {
      const validated = validateEvent(body);
      const parsed = FalcoEvent.safeParse(body);
      expect(validated.ok).toBe(parsed.success);
      if (validated.ok) expect(validated.event).toStrictEqual(parsed.data);
      else expect(validated.reason).toMatch(/\S: \S/);
    }
    const mixedCase = { ...corpus[0], priority: "wArNiNg" };
    expect(quickEvent(mixedCase)).toBeNull();
    expect(validateEvent(mixedCase)).toMatchObject({ ok: true, event: { priority: "Warning" } });
    expect(validateEvent({ ...corpus[0], priority: "Loud" })).toEqual({
      ok: false,
      reason: 'priority: unknown priority "Loud"',
    });
  });

  it("refuses output fields past their bounds, with the reason", () => {
    const long = { ...corpus[0], output_fields: { "proc.cmdline": "a".repeat(FIELD_LIMITS.value + 1) } };
    expect(validateEvent(long)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^output_fields\.proc\.cmdline: /) as unknown,
    });
    const many = Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`f${String(i)}`, i]));
    expect(validateEvent({ ...corpus[0], output_fields: many })).toEqual({
      ok: false,
      reason: `output_fields: at most ${String(FIELD_LIMITS.fields)} output fields`,
    });
  });
});
