import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FalcoEvent } from "../../contracts/falco.js";
import { packageRoot } from "./policy-settings.js";

const here = join(packageRoot, "training", "simulator");

describe("the independent Falco alert simulator (training/simulator)", () => {
  it("passes its own tests: determinism, the vendored rules' names, priorities, tags and fields, labels in line", () => {
    const run = () =>
      execFileSync("python3", ["-m", "unittest", "discover", "-s", here, "-t", here], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
    expect(run).not.toThrow();
  }, 120_000);

  it("writes falcosidekick events the fleet accepts, each with its label, episodes among them", () => {
    const dir = mkdtempSync(join(tmpdir(), "soc-simulator-"));
    try {
      const [events, labels] = [join(dir, "events.jsonl"), join(dir, "labels.jsonl")];
      const flags = ["--profile", "saas-web", "--seed", "5", "--hours", "6", "--episodes", "4"];
      execFileSync("python3", [join(here, "simulate.py"), ...flags, "--out", events, "--labels", labels]);
      const parsed = readFileSync(events, "utf8")
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as unknown);
      const labelled = readFileSync(labels, "utf8")
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { uuid: string; label: string });
      expect(parsed.length).toBeGreaterThan(1_000);
      expect(labelled.map((l) => l.uuid)).toEqual(parsed.map((e) => (e as { uuid: string }).uuid));
      for (const event of parsed) expect(FalcoEvent.safeParse(event).error).toBeUndefined();
      const episodes = new Set(labelled.map((l) => l.label).filter((l) => l !== "benign"));
      expect(episodes.size).toBe(4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
