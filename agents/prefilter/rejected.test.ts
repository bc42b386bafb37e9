import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { clientComponentForTests } from "../../test/fakes.js";
import { KEPT_BODY_CHARS, RejectedLog } from "./rejected.js";

const lines = (path: string) =>
  readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .map(
      (line) =>
        JSON.parse(line) as { reason: string; body: unknown; truncated?: boolean; body_chars?: number },
    );

describe("the rejected events kept for inspection", () => {
  it("keeps each with its reason, a long body cut and marked so", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "soc-rejected-")), "rejected-events.jsonl");
    const log = new RejectedLog(clientComponentForTests("prefilter"), path);
    await log.keep("priority: unknown priority", { priority: "Loud" });
    await log.keep("output: too big", { output: "x".repeat(100_000) });
    const [small, big] = lines(path);
    expect(small).toEqual({
      at: expect.any(String) as unknown,
      reason: "priority: unknown priority",
      body: { priority: "Loud" },
    });
    expect(big).toMatchObject({ reason: "output: too big", truncated: true, body_chars: 100_013 });
    expect((big?.body as string).length).toBe(KEPT_BODY_CHARS);
  });

  it("keeps the reason of a body nested deeper than it can write out, and says so", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "soc-rejected-")), "rejected-events.jsonl");
    const log = new RejectedLog(clientComponentForTests("prefilter"), path);
    // What JSON.parse takes from a 256 kB body, and JSON.stringify cannot give back.
    const deep = JSON.parse(`${"[".repeat(100_000)}${"]".repeat(100_000)}`) as unknown;
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    await log.keep("not a Falco event", deep);
    expect(lines(path)).toEqual([
      {
        at: expect.any(String) as unknown,
        reason: "not a Falco event",
        body: null,
        truncated: true,
        unkept: "nested too deeply to write out",
      },
    ]);
  });

  it("rotates the file at its size, so a flood costs at most twice that on disk, and counts it", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "soc-rejected-")), "rejected-events.jsonl");
    const component = clientComponentForTests("prefilter");
    const log = new RejectedLog(component, path, 64 * 1024);
    // Written together, as a flood arrives: the writes queue one after another.
    await Promise.all(
      Array.from({ length: 500 }, (_, i) => log.keep(`bad ${String(i)}`, { garbage: "y".repeat(1_000) })),
    );
    expect(statSync(path).size).toBeLessThanOrEqual(64 * 1024);
    expect(statSync(`${path}.1`).size).toBeLessThanOrEqual(64 * 1024);
    expect(existsSync(`${path}.2`)).toBe(false);
    // The newest is always kept.
    expect(lines(path).at(-1)?.reason).toBe("bad 499");
    const metrics = await component.metrics.registry.metrics();
    expect(
      Number(/^soc_prefilter_rejected_rotations_total\{[^}]*\} (\d+)$/m.exec(metrics)?.[1]),
    ).toBeGreaterThan(5);
  });

  it("logs and counts a write that fails, and leaves nothing unhandled", async () => {
    const component = clientComponentForTests("prefilter");
    const log = new RejectedLog(component, join(tmpdir(), "no-such-dir-soc", "rejected.jsonl"));
    await expect(log.keep("bad", {})).resolves.toBeUndefined();
    const metrics = await component.metrics.registry.metrics();
    expect(metrics).toMatch(/^soc_prefilter_rejected_write_failures_total\{[^}]*\} 1$/m);
  });
});
