import { createHash } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { dirname } from "node:path";
import type { Outcome } from "../../contracts/policy.js";
import { privateDir } from "../../runtime/private-dir.js";

/** One line of `$SOC_HOME/data/decisions.jsonl`. */
export interface DecisionRecord {
  time: string;
  trace_id: string | null;
  case_id: string;
  /** `sha256:<hex>` of the input's canonical JSON: the same input always has the same digest. */
  input_digest: string;
  /** The input itself (structured fields only, never Falco's free text), so it can be replayed against another bundle. */
  input: unknown;
  outcome: Outcome;
  reasons: string[];
  policy_version: string;
  /** Which path answered: OPA's REST API, the in-process Wasm, or neither (fail-safe). */
  evaluator: "opa" | "wasm";
  /** Why the decision is a fail-safe escalation, or null when the policy answered. */
  failsafe: string | null;
  latency_ms: number;
}

/**
 * JSON with object keys sorted at every level and no whitespace, so that equal values always
 * serialise to the same bytes whatever order their keys were built in. Values that JSON cannot
 * hold (undefined, functions) are dropped the way JSON.stringify drops them. Written straight to
 * a string, without sorted copies of every object: it runs once per decision, and its output is
 * reused for the digest, the decision log line and the request to OPA.
 */
export function canonicalJson(value: unknown): string {
  return canonical(value) ?? "null";
}

function canonical(value: unknown): string | undefined {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) out += `${i > 0 ? "," : ""}${canonical(value[i]) ?? "null"}`;
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  let out = "{";
  for (const key of Object.keys(record).sort()) {
    const item = canonical(record[key]);
    if (item === undefined) continue;
    out += `${out.length > 1 ? "," : ""}${JSON.stringify(key)}:${item}`;
  }
  return `${out}}`;
}

/** `sha256:<hex>` of canonical JSON already made (the engine makes it once per decision). */
export function digestOf(json: string): string {
  return `sha256:${createHash("sha256").update(json).digest("hex")}`;
}

export function inputDigest(input: unknown): string {
  return digestOf(canonicalJson(input));
}

/**
 * Appends one JSON line per decision. Lines are gathered and handed to the file together, at most
 * `flushMs` after the first of them (or sooner past 64 KiB): one write per decision woke a
 * thread-pool thread per decision, which showed in the verdict's latency on a busy machine. A
 * decision never waits for the disk; `close` writes what is pending, and the component calls it
 * on stop. A crash loses at most the last `flushMs` of lines.
 */
export class DecisionLog {
  readonly #stream: WriteStream;
  #failed: Error | null = null;
  #pending = "";
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly path: string,
    private readonly flushMs = 20,
  ) {
    privateDir(dirname(path));
    this.#stream = createWriteStream(path, { flags: "a" });
    // A full disk must not crash the engine mid-decision; the failure is reported by `failure`.
    this.#stream.on("error", (error) => {
      this.#failed = error;
      this.#pending = "";
    });
  }

  /**
   * Queues one line. `inputJson`, the record's input as canonical JSON, saves serialising the
   * input again when the caller has it already (the engine made it for the digest).
   */
  write(record: DecisionRecord, inputJson = canonicalJson(record.input)): void {
    if (this.#failed) return;
    // The record without its input (undefined fields are left out), then the input's JSON last.
    const head = JSON.stringify({ ...record, input: undefined });
    this.#pending += `${head.slice(0, -1)}${head.length > 2 ? "," : ""}"input":${inputJson}}\n`;
    if (this.#pending.length > 65_536) this.#flush();
    else this.#timer ??= setTimeout(() => this.#flush(), this.flushMs);
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending === "" || this.#failed) return;
    this.#stream.write(this.#pending);
    this.#pending = "";
  }

  /** The write error that stopped the log, if any. */
  get failure(): Error | null {
    return this.#failed;
  }

  close(): Promise<void> {
    this.#flush();
    return new Promise((resolve) => {
      if (this.#stream.closed || this.#failed) {
        resolve();
        return;
      }
      this.#stream.end(() => resolve());
    });
  }
}
