import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { incomplete, install, type CachedTool } from "./cache.js";

const root = mkdtempSync(join(tmpdir(), "soc-tool-cache-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let caches = 0;
function freshCache(): string {
  return join(root, `cache-${++caches}`);
}

/** A tool whose build writes a binary and a folder of data, and counts its builds. */
function tool(overrides: Partial<CachedTool> = {}): CachedTool & { builds: number } {
  const made = {
    builds: 0,
    entry: "thing-v1",
    holds: ["bin/thing", "share/"],
    building: "building thing v1",
    build(dir: string) {
      made.builds++;
      mkdirSync(join(dir, "bin"));
      writeFileSync(join(dir, "bin", "thing"), "#!/bin/sh\n");
      mkdirSync(join(dir, "share"));
      writeFileSync(join(dir, "share", "en.json"), "{}");
    },
    ...overrides,
  };
  return made;
}

describe("install", () => {
  it("builds an absent tool once, says so, and reuses the entry", () => {
    const cache = freshCache();
    const thing = tool();
    const log: string[] = [];
    const dir = install(thing, (line) => log.push(line), cache);
    expect(dir).toBe(join(cache, "thing-v1"));
    expect(log).toEqual(["building thing v1"]);
    expect(incomplete(thing, dir)).toBeUndefined();
    const again: string[] = [];
    expect(install(thing, (line) => again.push(line), cache)).toBe(dir);
    expect(again).toEqual([]);
    expect(thing.builds).toBe(1);
    // Nothing half-built is left beside it.
    expect(readdirSync(cache)).toEqual(["thing-v1"]);
  });

  it("rebuilds an entry with no record of a finished build (an interrupted build, an older layout)", () => {
    const cache = freshCache();
    const thing = tool();
    // The layout before entries had records: the binary alone, as the old cache kept it.
    mkdirSync(join(cache, "thing-v1", "bin"), { recursive: true });
    writeFileSync(join(cache, "thing-v1", "bin", "thing"), "#!/bin/sh\n");
    expect(incomplete(thing, join(cache, "thing-v1"))).toMatch(/no record of a finished build/);
    const log: string[] = [];
    const dir = install(thing, (line) => log.push(line), cache);
    expect(log).toEqual([expect.stringMatching(/^thing-v1: no record of a finished build.*rebuilding/)]);
    expect(thing.builds).toBe(1);
    expect(existsSync(join(dir, "share", "en.json"))).toBe(true);
  });

  it("rebuilds an entry recorded with another layout, and one whose files have gone", () => {
    const cache = freshCache();
    const binaryOnly = tool({ holds: ["bin/thing"] });
    install(binaryOnly, undefined, cache);
    const whole = tool();
    expect(incomplete(whole, join(cache, "thing-v1"))).toBe("built to another layout");
    install(whole, undefined, cache);
    expect(whole.builds).toBe(1);

    rmSync(join(cache, "thing-v1", "share", "en.json"));
    expect(incomplete(whole, join(cache, "thing-v1"))).toBe("share/ is missing or empty");
    writeFileSync(join(cache, "thing-v1", "bin", "thing"), "");
    install(whole, undefined, cache);
    expect(whole.builds).toBe(2);
    expect(incomplete(whole, join(cache, "thing-v1"))).toBeUndefined();
  });

  it("fails with the build's reason and leaves nothing behind", () => {
    const cache = freshCache();
    const broken = tool({
      build() {
        throw new Error("go: module not found");
      },
    });
    expect(() => install(broken, undefined, cache)).toThrow("failed to build thing-v1: go: module not found");
    expect(readdirSync(cache)).toEqual([]);
  });

  it("refuses a build that leaves out what the entry must hold", () => {
    const cache = freshCache();
    const forgetful = tool({
      build(dir) {
        mkdirSync(join(dir, "bin"));
        writeFileSync(join(dir, "bin", "thing"), "#!/bin/sh\n");
      },
    });
    expect(() => install(forgetful, undefined, cache)).toThrow(
      "failed to build thing-v1: the build left share/ is missing or empty",
    );
    expect(readdirSync(cache)).toEqual([]);
  });

  it("keeps the entry another process finished first, and throws its own copy away", () => {
    const cache = freshCache();
    const other = tool();
    const racing = tool({
      build(dir) {
        install(other, undefined, cache);
        other.build(dir, () => undefined);
      },
    });
    expect(install(racing, undefined, cache)).toBe(join(cache, "thing-v1"));
    expect(other.builds).toBe(2);
    expect(readdirSync(cache)).toEqual(["thing-v1"]);
  });

  it("removes what a build that died left behind, and leaves a running build's folder alone", () => {
    const cache = freshCache();
    // pid 2^22 + 1 is above Linux's pid_max: no process has it.
    mkdirSync(join(cache, "thing-v1.partial-4194305"), { recursive: true });
    mkdirSync(join(cache, `thing-v1.partial-${process.ppid}`));
    mkdirSync(join(cache, "other-v2.partial-4194305"));
    install(tool(), undefined, cache);
    expect(readdirSync(cache).sort()).toEqual([
      "other-v2.partial-4194305",
      "thing-v1",
      `thing-v1.partial-${process.ppid}`,
    ]);
  });
});
