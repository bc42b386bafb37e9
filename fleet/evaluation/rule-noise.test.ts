import { describe, expect, it } from "vitest";
import { corpusItems, DEFAULT_CORPUS_START } from "../sample/generate-corpus.js";
import { corpusRules, ruleNoise } from "./rule-noise.js";

describe("exceptions drafted from a day of dismissals, replayed on the corpus generator's next day", () => {
  it("spare benign cases of the next day and no attack episode's", () => {
    const items = [...corpusItems({ seed: 11, benign: 80_000, episodes: 24, start: DEFAULT_CORPUS_START })];
    const noise = ruleNoise(items, corpusRules());
    expect(noise.cases.first.benign).toBeGreaterThan(0);
    expect(noise.cases.next.benign).toBeGreaterThan(0);
    expect(noise.drafted).toBeGreaterThan(0);
    expect(noise.suppressedShare).toBeGreaterThan(0);
    expect(noise.sparedAttacks).toEqual([]);
    expect(noise.episodes.total).toBeGreaterThan(0);
    expect(noise.episodes.caughtAfter).toBe(noise.episodes.total);
  });
});
