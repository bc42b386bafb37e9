import { createHash } from "node:crypto";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { dirname } from "node:path";
import type { Outcome } from "../../contracts/policy.js";

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
 * hold (undefined, functions) are dropped the way JSON.stringify drops them.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  return Object.fromEntries(entries.map(([key, item]) => [key, sortKeys(item)]));
}

export function inputDigest(input: unknown): string {
  return `sha256:${createHash("sha256").update(canonicalJson(input)).digest("hex")}`;
}

/**
 * Appends one JSON line per decision. Writes are buffered by the stream (a decision never waits
 * for the disk); `close` flushes what is pending, and the component calls it on stop.
 */
export class DecisionLog {
  readonly #stream: WriteStream;
  #failed: Error | null = null;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.#stream = createWriteStream(path, { flags: "a" });
    // A full disk must not crash the engine mid-decision; the failure is reported by `failure`.
    this.#stream.on("error", (error) => {
      this.#failed = error;
    });
  }

  write(record: DecisionRecord): void {
    if (this.#failed) return;
    this.#stream.write(`${JSON.stringify(record)}\n`);
  }

  /** The write error that stopped the log, if any. */
  get failure(): Error | null {
    return this.#failed;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#stream.closed || this.#failed) {
        resolve();
        return;
      }
      this.#stream.end(() => resolve());
    });
  }
}
