import { describe, expect, it } from "vitest";
import { EventTimeMerge, type Entry } from "./merge.js";

const entries = (partition: number, times: number[], from = 0): Entry<string>[] =>
  times.map((time, i) => ({ time, offset: String(from + i), item: `p${partition}@${time}` }));

describe("the event-time merge of a topic's partitions", () => {
  it("gives the same order however the batches fall, the lower partition first on a tie", () => {
    const times = [
      [1, 4, 4, 9, 12, 15],
      [2, 3, 4, 10, 11, 20],
      [0, 5, 6, 7, 8, 30],
    ];
    const run = (batch: number) => {
      const merge = new EventTimeMerge<string>(5_000);
      merge.assign([0, 1, 2]);
      const out: string[] = [];
      // Batches of `batch` entries, the partitions taking turns from a different one each run.
      for (let from = 0, turn = batch; from < 6; from += batch, turn++) {
        for (let k = 0; k < 3; k++) {
          const p = (turn + k) % 3;
          const slice = times[p]?.slice(from, from + batch) ?? [];
          merge.add(p, entries(p, slice, from), 0);
          out.push(...merge.take(0).items);
        }
      }
      // The end of the topic: the partitions go quiet, and what is left goes out.
      out.push(...merge.take(10_000).items);
      return out;
    };
    const expected = times
      .flatMap((ts, p) => ts.map((t) => ({ t, p })))
      .sort((a, b) => a.t - b.t || a.p - b.p)
      .map(({ t, p }) => `p${p}@${t}`);
    for (const batch of [1, 2, 3, 6]) expect(run(batch), `batches of ${batch}`).toEqual(expected);
  });

  it("holds an event back for a partition with nothing queued, for waitMs from its arrival at most", () => {
    const merge = new EventTimeMerge<string>(5_000);
    merge.assign([0, 1]);
    merge.add(0, entries(0, [10, 20]), 0);
    // Partition 1 has sent nothing yet: it may hold something older than 10.
    expect(merge.take(1_000).items).toEqual([]);
    merge.add(1, entries(1, [15]), 1_000);
    const taken = merge.take(1_000);
    // 10 and 15 go; 20 waits, as partition 1 may yet send something older.
    expect(taken.items).toEqual(["p0@10", "p1@15"]);
    expect(taken.last).toEqual(
      new Map([
        [0, "0"],
        [1, "0"],
      ]),
    );
    merge.add(1, entries(1, [18], 1), 2_000);
    expect(merge.take(2_000).items).toEqual(["p1@18"]);
    // 20 arrived at 0: it waits for partition 1 until 5 000, not longer.
    expect(merge.take(5_000).items).toEqual([]);
    expect(merge.take(5_001).items).toEqual(["p0@20"]);
    expect(merge.queued).toBe(0);
    // A partition quiet for long holds a new arrival back all the same: the other may be about to send.
    merge.add(0, entries(0, [30], 2), 60_000);
    expect(merge.take(60_000).items).toEqual([]);
    expect(merge.take(65_001).items).toEqual(["p0@30"]);
  });

  it("drops what it holds of partitions it no longer has, which the consumer reads again", () => {
    const merge = new EventTimeMerge<string>(5_000);
    merge.assign([0, 1]);
    merge.add(0, entries(0, [1, 2]), 0);
    merge.assign([1]);
    merge.add(0, entries(0, [3]), 10);
    expect(merge.queued).toBe(0);
    merge.add(1, entries(1, [5]), 10);
    expect(merge.take(10).items).toEqual(["p1@5"]);
  });
});
