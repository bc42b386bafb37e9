import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { FloodFigures } from "../fleet/harness/flood.js";

const root = join(import.meta.dirname, "..");
const values = parse(readFileSync(join(root, "helm", "soc-fleet", "values.yaml"), "utf8")) as {
  components: { prefilter: { resources: { limits: { memory: string } } } };
};

describe("the prefilter under a flood of distinct pods, images, containers and processes", () => {
  it("keeps its process's RSS under the chart's memory limit, with the chart's heap limit", () => {
    const limit = values.components.prefilter.resources.limits.memory;
    const mebibytes = Number(/^(\d+)Mi$/.exec(limit)?.[1]);
    expect(mebibytes).toBeGreaterThan(0);
    // As the chart starts it: NODE_OPTIONS=--max-old-space-size of two fifths of the limit.
    const heap = `--max-old-space-size=${String(Math.floor((mebibytes * 2) / 5))}`;
    // 150 000 events: past every store's capacity (10 000 pods and streams, 65 536 processes, 100 000
    // event ids…); with the capacities lifted, the judging thread runs out of heap before the end.
    const output = execFileSync(
      process.execPath,
      [heap, join(root, "dist", "fleet", "harness", "flood.js"), "--events=150000", "--images=20000"],
      { encoding: "utf8", timeout: 300_000 },
    );
    const figures = JSON.parse(output) as FloodFigures;
    expect(figures.events).toBe(150_000);
    expect(figures.rejected).toBe(0);
    expect(figures.rssMaxBytes).toBeLessThan(mebibytes * 2 ** 20);
    // Not trivially small: the flood did fill the stores.
    expect(figures.rssMaxBytes - figures.rssBeforeBytes).toBeGreaterThan(20 * 2 ** 20);
  });
});
