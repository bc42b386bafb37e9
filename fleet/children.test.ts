import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import ts from "typescript";
import { afterEach, describe, expect, it, vi } from "vitest";
import { alive, stopChild } from "./children.js";

/** Runs for a minute at most: a child this test fails to end does not stay behind for long. */
const LINGER = "setTimeout(() => {}, 60_000);";
/** Says "TERM" on each SIGTERM and keeps running; says "ready" once the handler is in place. */
const IGNORES_SIGTERM = `process.on("SIGTERM", () => console.log("TERM")); ${LINGER} console.log("ready");`;
/** Runs until a signal ends it, SIGTERM included (Node's default). */
const RUNS = `${LINGER} console.log("ready");`;

const started: ChildProcess[] = [];

function node(script: string): ChildProcess & { lines: AsyncIterator<string> } {
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  started.push(child);
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return Object.assign(child, { lines });
}

async function nextLine(child: { lines: AsyncIterator<string> }): Promise<string | undefined> {
  const line = await child.lines.next();
  return line.done ? undefined : line.value;
}

afterEach(() => {
  vi.useRealTimers();
  for (const child of started.splice(0)) child.kill("SIGKILL");
});

describe("alive", () => {
  it("is true until the child exits, by its own exit code or by a signal", async () => {
    const quits = node("process.exitCode = 3");
    expect(alive(quits)).toBe(true);
    await once(quits, "exit");
    expect(quits.exitCode).toBe(3);
    expect(alive(quits)).toBe(false);

    const killed = node(RUNS);
    expect(await nextLine(killed)).toBe("ready");
    expect(alive(killed)).toBe(true);
    killed.kill("SIGKILL");
    await once(killed, "exit");
    expect(alive(killed)).toBe(false);
  });

  it("is false for no child, and for a binary that could not be run even before its error", async () => {
    expect(alive(undefined)).toBe(false);
    const missing = spawn(join(tmpdir(), "no-such-binary-for-children-test"));
    expect(missing.exitCode).toBeNull();
    expect(alive(missing)).toBe(false);
    const [error] = (await once(missing, "error")) as [NodeJS.ErrnoException];
    expect(error.code).toBe("ENOENT");
    expect(alive(missing)).toBe(false);
  });
});

describe("stopChild", () => {
  it("sends SIGKILL after the grace to a child that ignores the signal, and resolves on its exit", async () => {
    const child = node(IGNORES_SIGTERM);
    expect(await nextLine(child)).toBe("ready");
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const stopped = stopChild(child, "SIGTERM", 5_000);
    expect(await nextLine(child)).toBe("TERM");
    expect(alive(child)).toBe(true);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(5_000);
    await stopped;
    expect(child.signalCode).toBe("SIGKILL");
    expect(alive(child)).toBe(false);
  });

  it("sends no SIGKILL to a child that exits on the signal, and leaves no timer behind", async () => {
    const child = node(RUNS);
    expect(await nextLine(child)).toBe("ready");
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    await stopChild(child, "SIGTERM", 5_000);
    expect(child.signalCode).toBe("SIGTERM");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("waits without SIGKILL when the grace is 0", async () => {
    const child = node(IGNORES_SIGTERM);
    expect(await nextLine(child)).toBe("ready");
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    let done = false;
    const stopped = stopChild(child, "SIGTERM", 0).then(() => (done = true));
    expect(await nextLine(child)).toBe("TERM");
    expect(vi.getTimerCount()).toBe(0);
    expect(done).toBe(false);
    expect(alive(child)).toBe(true);
    child.kill("SIGKILL");
    await stopped;
    expect(child.signalCode).toBe("SIGKILL");
  });

  it("resolves at once for no child, an exited child and a binary that could not be run", async () => {
    await stopChild(undefined, "SIGTERM", 0);
    const exited = node("");
    await once(exited, "exit");
    await stopChild(exited, "SIGTERM", 0);
    expect(exited.exitCode).toBe(0);
    const missing = spawn(join(tmpdir(), "no-such-binary-for-children-test"));
    const failed = once(missing, "error");
    await stopChild(missing, "SIGTERM", 0);
    await failed;
  });
});

describe("track", () => {
  it("kills a tracked child with SIGKILL when this process exits, though it ignores SIGTERM", async () => {
    // A parent that loads this module, tracks a child writing to the parent's own stdout, and exits
    // without stopping it: that stdout ends only once the child, its last writer, is gone too.
    const dir = mkdtempSync(join(tmpdir(), "soc-children-"));
    try {
      const source = readFileSync(join(import.meta.dirname, "children.ts"), "utf8");
      const { outputText } = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2023 },
      });
      writeFileSync(join(dir, "children.mjs"), outputText);
      const spawnChild = `spawn(process.execPath, ["-e", ${JSON.stringify(IGNORES_SIGTERM)}], { stdio: "inherit" })`;
      writeFileSync(
        join(dir, "parent.mjs"),
        [
          `import { spawn } from "node:child_process";`,
          `import { track } from "./children.mjs";`,
          `track(${spawnChild});`,
          `process.stdin.on("data", () => process.exit(0));`,
        ].join("\n"),
      );
      const tracker = spawn(process.execPath, [join(dir, "parent.mjs")], {
        stdio: ["pipe", "pipe", "inherit"],
      });
      started.push(tracker);
      const lines = createInterface({ input: tracker.stdout })[Symbol.asyncIterator]();
      expect((await lines.next()).value).toBe("ready");
      tracker.stdin.write("exit\n");
      const [code] = (await once(tracker, "exit")) as [number | null];
      expect(code).toBe(0);
      // Done only when the child has closed its stdout: it died without saying "TERM".
      expect(await lines.next()).toEqual({ done: true, value: undefined });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
