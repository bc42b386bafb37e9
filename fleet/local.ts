import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { a2aDesk } from "../bot/desk.js";
import type { CaseDesk } from "../commands/index.js";
import { FleetConfig, peerOptions } from "../contracts/config.js";
import { Peers } from "../runtime/a2a/client.js";
import { clientComponent } from "../runtime/component.js";
import { loadConfig } from "../runtime/config.js";
import { falcoOutput } from "./falco-output.js";
import { freePortBase } from "./ports.js";

/** The package root, from the source (fleet/) or the build (dist/fleet/). */
const root = [join(import.meta.dirname, ".."), join(import.meta.dirname, "..", "..")].find((dir) =>
  existsSync(join(dir, "package.json")),
) as string;

export interface SocResult {
  code: number;
  stdout: string;
  stderr: string;
  json: unknown;
}

/**
 * The whole fleet as `npm start` runs it (separate processes, mTLS, real OPA), in a temporary
 * SOC_HOME on ports of its own, driven the way a person would: HTTP to the ingest, `soc` commands.
 * Tests and benchmarks use it.
 */
export class LocalFleet {
  readonly output: string[] = [];
  readonly #listeners: ((line: string) => void)[] = [];
  #operator: CaseDesk | undefined;
  #falco: ((body: string) => Promise<Response>) | undefined;
  private constructor(
    readonly home: string,
    readonly env: NodeJS.ProcessEnv,
    private readonly launcher: ChildProcess,
    readonly ingestUrl: string,
  ) {}

  static async start({
    env = {},
    sample = false,
    command = [
      process.execPath,
      join(root, "dist", "fleet", "launcher", "start.js"),
      ...(sample ? [] : ["--no-sample"]),
    ],
    prepare,
  }: {
    env?: Record<string, string>;
    /** Replays the bundled sample of Falco events once ready, as `npm start` does. */
    sample?: boolean;
    command?: string[];
    /** Runs on the fresh SOC_HOME before the fleet starts, e.g. to seed a store for a benchmark. */
    prepare?: (home: string) => void | Promise<void>;
  } = {}): Promise<LocalFleet> {
    const home = mkdtempSync(join(tmpdir(), "soc-test-"));
    await prepare?.(home);
    // Every fleet gets ports of its own: test files start fleets in parallel.
    const base = Number(env.SOC_PORT_BASE ?? (await freePortBase()));
    const fleetEnv = {
      ...process.env,
      SOC_HOME: home,
      SOC_PORT_BASE: String(base),
      SOC_LOG_LEVEL: "debug",
      // Events come in as in a cluster: over mTLS, as Falco with its certificate.
      SOC_INGEST_TLS: "mtls",
      ...env,
    };
    const [cmd = "", ...args] = command;
    const launcher = spawn(cmd, args, {
      cwd: root,
      env: fleetEnv,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const fleet = new LocalFleet(home, fleetEnv, launcher, loadConfig(FleetConfig, fleetEnv).ingestUrl);
    const lines = createInterface({ input: launcher.stdout });
    lines.on("line", (line) => {
      fleet.output.push(line);
      for (const listener of fleet.#listeners) listener(line);
    });
    launcher.stderr?.on("data", (chunk: Buffer) => fleet.output.push(chunk.toString()));
    await fleet.waitFor(
      () => fleet.output.some((l) => l.startsWith("fleet ready")),
      120_000,
      "the fleet to start",
    );
    return fleet;
  }

  /** Calls `listener` with every line the launcher prints from now on (escalations among them). */
  onLine(listener: (line: string) => void): void {
    this.#listeners.push(listener);
  }

  /** Sends one event as Falco's http_output does (over mTLS as `falco`, unless the ingest is plain). */
  async post(event: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    this.#falco ??= falcoOutput(loadConfig(FleetConfig, this.env));
    const response = await this.#falco(typeof event === "string" ? event : JSON.stringify(event));
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  /** Runs `soc <args> --json` as a person would from a second terminal. */
  soc(args: string[], { json = true }: { json?: boolean } = {}): Promise<SocResult> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [join(root, "bin", "soc.js"), ...args, ...(json ? ["--json"] : [])],
        { cwd: root, env: this.env, timeout: 60_000 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
          resolve({ code, stdout, stderr, json: parseJson(stdout) });
        },
      );
    });
  }

  /**
   * The desk `soc` commands act through, in this process (the operator's certificate, A2A over mTLS
   * to the fleet): for loops where a process per command would be most of what is measured.
   */
  desk(): CaseDesk {
    if (!this.#operator) {
      const config = loadConfig(FleetConfig, this.env);
      const component = clientComponent("operator", config.certDir);
      const peers = new Peers(component, peerOptions(config));
      this.#operator = a2aDesk(peers);
    }
    return this.#operator;
  }

  /** Every supervised process (OPA and each component) by name. */
  pids(): Record<string, number> {
    const dir = join(this.home, "run");
    return Object.fromEntries(
      readdirSync(dir).map((file) => [
        file.replace(/\.pid$/, ""),
        Number(readFileSync(join(dir, file), "utf8").trim()),
      ]),
    );
  }

  pid(component: string): number {
    return Number(readFileSync(join(this.home, "run", `${component}.pid`), "utf8").trim());
  }

  signal(component: string, signal: NodeJS.Signals): void {
    process.kill(this.pid(component), signal);
  }

  /** Every JSON log line each component wrote, by component. */
  logs(): Record<string, Record<string, unknown>[]> {
    const dir = join(this.home, "logs");
    return Object.fromEntries(
      readdirSync(dir).map((file) => [
        file.replace(/\.log$/, ""),
        readFileSync(join(dir, file), "utf8")
          .split("\n")
          .filter((l) => l.startsWith("{"))
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      ]),
    );
  }

  async waitFor<T>(
    probe: () => T | Promise<T>,
    timeoutMs = 30_000,
    what = "a condition",
  ): Promise<NonNullable<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}\n${this.output.slice(-40).join("\n")}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async stop(): Promise<void> {
    if (this.launcher.exitCode === null) {
      const exited = new Promise((resolve) => this.launcher.once("exit", resolve));
      // The whole process group, as Ctrl-C in a terminal would: npm, the launcher and its children.
      process.kill(-(this.launcher.pid ?? 0), "SIGTERM");
      await exited;
    }
    rmSync(this.home, { recursive: true, force: true });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** A random base whose 31 ports (base … base+30) are all free now; test files run fleets in parallel. */
