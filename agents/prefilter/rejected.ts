import { appendFile, rename, stat } from "node:fs/promises";
import { Counter } from "prom-client";
import type { Component } from "../../runtime/component.js";

/** How much of a rejected body is kept: enough to see what it was, not enough to fill a disk. */
export const KEPT_BODY_CHARS = 4_096;
/** The file's size before it is rotated to `<path>.1` (the previous `.1` is dropped). */
export const KEPT_FILE_BYTES = 16 * 1024 * 1024;

/**
 * Rejected input, kept for inspection as JSON lines {at, reason, body}: each body cut to
 * KEPT_BODY_CHARS of its JSON (`truncated` says so), the file rotated once it reaches
 * `maxBytes`, so that a sender of garbage costs at most twice that on disk. Writes are queued one
 * after another; a write that fails is logged and counted, never left unhandled.
 */
export class RejectedLog {
  readonly #path: string;
  readonly #maxBytes: number;
  readonly #component: Pick<Component, "log" | "metrics">;
  readonly #rotations: Counter;
  readonly #failures: Counter;
  #size: number | null = null;
  #queue: Promise<void> = Promise.resolve();

  constructor(component: Pick<Component, "log" | "metrics">, path: string, maxBytes = KEPT_FILE_BYTES) {
    this.#component = component;
    this.#path = path;
    this.#maxBytes = maxBytes;
    const registers = [component.metrics.registry];
    this.#rotations = new Counter({
      name: "soc_prefilter_rejected_rotations_total",
      help: "Times the file of rejected events reached its size and was rotated",
      registers,
    });
    this.#failures = new Counter({
      name: "soc_prefilter_rejected_write_failures_total",
      help: "Rejected events that could not be kept for inspection",
      registers,
    });
  }

  /** Keeps one rejected body with its reason; resolves once written (or once its failure is logged). */
  keep(reason: string, body: unknown): Promise<void> {
    const json = serialised(body);
    const cut = json === null || json.length > KEPT_BODY_CHARS;
    const line = `${JSON.stringify({
      at: new Date().toISOString(),
      reason,
      body: json === null ? null : cut ? json.slice(0, KEPT_BODY_CHARS) : body,
      ...(json === null ? { truncated: true, unkept: "nested too deeply to write out" } : {}),
      ...(json !== null && cut ? { truncated: true, body_chars: json.length } : {}),
    })}\n`;
    this.#queue = this.#queue.then(() => this.#write(line));
    return this.#queue;
  }

  async #write(line: string): Promise<void> {
    try {
      const bytes = Buffer.byteLength(line);
      this.#size ??= await stat(this.#path).then(
        (s) => s.size,
        () => 0,
      );
      if (this.#size > 0 && this.#size + bytes > this.#maxBytes) {
        await rename(this.#path, `${this.#path}.1`);
        this.#rotations.inc();
        this.#size = 0;
      }
      await appendFile(this.#path, line);
      this.#size += bytes;
    } catch (error) {
      this.#size = null;
      this.#failures.inc();
      this.#component.log.error(
        { err: error instanceof Error ? error.message : String(error) },
        "rejected event not kept",
      );
    }
  }
}

/** The body as JSON; null for one nested deeper than JSON.stringify's stack allows (JSON.parse took it). */
function serialised(body: unknown): string | null {
  try {
    return JSON.stringify(body) ?? "null";
  } catch {
    return null;
  }
}
