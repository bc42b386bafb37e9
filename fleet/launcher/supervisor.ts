import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, writeFileSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  /** Where its stderr lines go besides the log: the terminal with a prefix, as they are, or nowhere. */
  terminal: "prefixed" | "raw" | "log-only";
  /** Its own environment, over the fleet's. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Keeps the fleet's processes running: starts each, writes its output to `<logs>/<name>.log` and its
 * pid to `<run>/<name>.pid`, restarts one that exits unexpectedly (with backoff), stops all on request.
 */
export class Supervisor {
  readonly #children = new Map<string, ChildProcess>();
  readonly #logs = new Map<string, WriteStream>();
  #stopping = false;

  constructor(
    private readonly dirs: { logs: string; run: string },
    private readonly env: NodeJS.ProcessEnv,
    private readonly say: (line: string) => void,
    /** The longest wait before a restart. */
    private readonly maxDelayMs = 5_000,
  ) {}

  start(spec: ProcessSpec, attempt = 0): void {
    const log =
      this.#logs.get(spec.name) ??
      createWriteStream(join(this.dirs.logs, `${spec.name}.log`), { flags: "a" });
    this.#logs.set(spec.name, log);
    const started = Date.now();
    const child = spawn(spec.command, spec.args, {
      env: { ...this.env, ...spec.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#children.set(spec.name, child);
    if (child.pid) writeFileSync(join(this.dirs.run, `${spec.name}.pid`), `${child.pid}\n`);
    child.stdout?.pipe(log, { end: false });
    if (child.stderr) {
      createInterface({ input: child.stderr }).on("line", (line) => {
        log.write(`${line}\n`);
        if (spec.terminal !== "log-only") this.say(spec.terminal === "raw" ? line : `[${spec.name}] ${line}`);
      });
    }
    child.on("exit", (code, signal) => {
      if (this.#stopping) return;
      // A process that ran for a while gets a fresh backoff; one that keeps dying waits longer each time.
      const next = Date.now() - started > 10_000 ? 0 : attempt + 1;
      const delay = Math.min(250 * 2 ** next, this.maxDelayMs);
      this.say(`${spec.name} exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`);
      setTimeout(() => {
        if (!this.#stopping) this.start(spec, next);
      }, delay);
    });
  }

  /** SIGTERM to every process in reverse start order, SIGKILL after the grace period. */
  async stop(graceMs = 5_000): Promise<void> {
    this.#stopping = true;
    const children = [...this.#children.values()].reverse();
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) {
              resolve();
              return;
            }
            const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
            child.once("exit", () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill("SIGTERM");
          }),
      ),
    );
    for (const log of this.#logs.values()) log.end();
  }
}
