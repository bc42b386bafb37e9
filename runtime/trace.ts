import { AsyncLocalStorage } from "node:async_hooks";
import { randomFillSync } from "node:crypto";

/** What every log line and every outgoing call of the current piece of work carries. */
export interface TraceContext {
  traceId: string;
  spanId: string;
  caseId?: string;
}

const storage = new AsyncLocalStorage<TraceContext>();

export function currentTrace(): TraceContext | undefined {
  return storage.getStore();
}

export function withTrace<T>(context: TraceContext, work: () => T): T {
  return storage.run(context, work);
}

/** Runs `work` in the current trace with the case attached. */
export function withCase<T>(caseId: string, work: () => T): T {
  const current = storage.getStore() ?? newTrace();
  return storage.run({ ...current, caseId }, work);
}

/** Random bytes drawn a few kilobytes at a time: every Falco event gets a trace id. */
const pool = Buffer.alloc(4_096);
let used = pool.length;

function randomHex(bytes: number): string {
  if (used + bytes > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  used += bytes;
  return pool.toString("hex", used - bytes, used);
}

/** 32 random hex digits (W3C trace-id). */
export function newTraceId(): string {
  return randomHex(16);
}

function newSpanId(): string {
  return randomHex(8);
}

export function newTrace(traceId = newTraceId()): TraceContext {
  return { traceId, spanId: newSpanId() };
}

const traceparentPattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** W3C trace-context: `00-<trace-id>-<parent-id>-<flags>`; all-zero ids are invalid. */
export function parseTraceparent(header: string | undefined | null): TraceContext | undefined {
  const match = header ? traceparentPattern.exec(header.trim()) : null;
  if (!match?.[1] || /^0+$/.test(match[1]) || /^0+$/.test(match[2] ?? "")) return undefined;
  return { traceId: match[1], spanId: newSpanId() };
}

/** The header to send on an outgoing call, as a child span of the current work. */
export function traceparent(context = storage.getStore()): string | undefined {
  return context ? `00-${context.traceId}-${context.spanId}-01` : undefined;
}
