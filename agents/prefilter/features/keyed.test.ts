import { describe, expect, it } from "vitest";
import { KeyedStore } from "./keyed.js";
import { DecayedCounts, RARITY_HALF_LIFE_MS, RARITY_IDLE_MS, rarity } from "./rarity.js";

const entry = (now: number) => ({ lastSeen: now, hits: 0 });

describe("KeyedStore", () => {
  it("returns the same entry for the same three keys and another for any other", () => {
    const store = new KeyedStore(16, 1000, entry);
    const a = store.get("ns", "pod", "", 0);
    a.hits = 5;
    expect(store.get("ns", "pod", "", 1).hits).toBe(5);
    expect(store.get("ns", "pod", "x", 1)).not.toBe(a);
    expect(store.get("n", "spod", "", 1)).not.toBe(a);
    expect(store.size).toBe(3);
  });

  it("forgets entries idle for longer than idleMs at a sweep, keeping the rest", () => {
    const store = new KeyedStore(16, 1000, entry);
    store.get("a", "", "", 0);
    store.get("b", "", "", 500);
    store.sweep(1000); // "a" has been idle exactly idleMs: kept
    expect(store.size).toBe(2);
    store.sweep(1001);
    expect(store.size).toBe(1);
    expect(store.get("b", "", "", 1001).lastSeen).toBe(500);
  });

  it("sheds the least recently seen eighth when full, never exceeding capacity", () => {
    const store = new KeyedStore(64, 1e12, entry);
    for (let i = 0; i < 1000; i++) {
      store.get(`k${i}`, "", "", i);
      expect(store.size).toBeLessThanOrEqual(64);
    }
    expect(store.get("k999", "", "", 1000).lastSeen).toBe(999); // the newest survived
    expect(store.get("k0", "", "", 1000).lastSeen).toBe(1000); // long shed: comes back as new
  });

  it("refuses a capacity too small to shed from", () => {
    expect(() => new KeyedStore(4, 1000, entry)).toThrow();
  });
});

describe("rarity", () => {
  it("is Laplace-smoothed surprise in nats, never negative", () => {
    expect(rarity(0, 0)).toBeCloseTo(Math.LN2, 15);
    expect(rarity(0, 98)).toBeCloseTo(Math.log(100), 12);
    expect(rarity(98, 98)).toBeCloseTo(-Math.log(99 / 100), 12);
    expect(rarity(10, 3)).toBe(0);
  });
});

describe("DecayedCounts", () => {
  it("halves a count every half-life of event time", () => {
    const counts = new DecayedCounts(64, 8);
    for (let i = 0; i < 8; i++) counts.observe("img", "sh", "", 0);
    // After one half-life: 4 of 4 seen before → -ln(5/6).
    expect(counts.observe("img", "sh", "", RARITY_HALF_LIFE_MS)).toBeCloseTo(-Math.log(5 / 6), 12);
  });

  it("keeps populations apart and forgets them after RARITY_IDLE_MS", () => {
    const counts = new DecayedCounts(64, 8);
    counts.observe("a", "sh", "", 0);
    expect(counts.observe("b", "sh", "", 0)).toBeCloseTo(Math.LN2, 15);
    counts.sweep(RARITY_IDLE_MS + 1);
    expect(counts.size).toEqual({ values: 0, populations: 0 });
  });
});
