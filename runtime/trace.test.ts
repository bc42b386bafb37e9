import { describe, expect, it } from "vitest";
import {
  currentTrace,
  newTrace,
  newTraceId,
  parseTraceparent,
  traceparent,
  withCase,
  withTrace,
  type TraceContext,
} from "./trace.js";

const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
const parentId = "00f067aa0ba902b7";

describe("parseTraceparent", () => {
  it("takes the trace id of a valid W3C header and starts a span of its own", () => {
    const parsed = parseTraceparent(`00-${traceId}-${parentId}-01`);
    expect(parsed?.traceId).toBe(traceId);
    expect(parsed?.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(parsed?.spanId).not.toBe(parentId);
    expect(parsed?.caseId).toBeUndefined();
  });

  it("accepts unsampled flags and surrounding whitespace", () => {
    expect(parseTraceparent(`00-${traceId}-${parentId}-00`)?.traceId).toBe(traceId);
    expect(parseTraceparent(`  00-${traceId}-${parentId}-01\t`)?.traceId).toBe(traceId);
  });

  it("gives a fresh span id on every parse", () => {
    const header = `00-${traceId}-${parentId}-01`;
    const spans = new Set(Array.from({ length: 20 }, () => parseTraceparent(header)?.spanId));
    expect(spans.size).toBe(20);
  });

  it("returns undefined for a missing header", () => {
    expect(parseTraceparent(undefined)).toBeUndefined();
    expect(parseTraceparent(null)).toBeUndefined();
    expect(parseTraceparent("")).toBeUndefined();
  });

  it("rejects upper-case hex, as the spec requires lower case", () => {
    expect(parseTraceparent(`00-${traceId.toUpperCase()}-${parentId}-01`)).toBeUndefined();
    expect(parseTraceparent(`00-${traceId}-${parentId.toUpperCase()}-01`)).toBeUndefined();
    expect(parseTraceparent(`00-${traceId}-${parentId}-0A`)).toBeUndefined();
  });

  it("rejects all-zero trace ids and all-zero parent ids", () => {
    expect(parseTraceparent(`00-${"0".repeat(32)}-${parentId}-01`)).toBeUndefined();
    expect(parseTraceparent(`00-${traceId}-${"0".repeat(16)}-01`)).toBeUndefined();
  });

  it("rejects any version other than 00", () => {
    expect(parseTraceparent(`01-${traceId}-${parentId}-01`)).toBeUndefined();
    expect(parseTraceparent(`ff-${traceId}-${parentId}-01`)).toBeUndefined();
  });

  it("rejects wrong lengths, non-hex characters and extra fields", () => {
    expect(parseTraceparent(`00-${traceId.slice(1)}-${parentId}-01`)).toBeUndefined();
    expect(parseTraceparent(`00-${traceId}a-${parentId}-01`)).toBeUndefined();
    expect(parseTraceparent(`00-${traceId}-${parentId.slice(1)}-01`)).toBeUndefined();
    expect(parseTraceparent(`00-${traceId.slice(0, 31)}g-${parentId}-01`)).toBeUndefined();
    expect(parseTraceparent(`00-${traceId}-${parentId}-1`)).toBeUndefined();
    expect(parseTraceparent(`00-${traceId}-${parentId}-01-extra`)).toBeUndefined();
    expect(parseTraceparent(`00_${traceId}_${parentId}_01`)).toBeUndefined();
  });
});

describe("traceparent", () => {
  it("is undefined outside any trace", () => {
    expect(currentTrace()).toBeUndefined();
    expect(traceparent()).toBeUndefined();
  });

  it("formats the current trace and span within withTrace", () => {
    const context: TraceContext = { traceId, spanId: parentId };
    const header = withTrace(context, () => traceparent());
    expect(header).toBe(`00-${traceId}-${parentId}-01`);
  });

  it("formats an explicitly given context", () => {
    expect(traceparent({ traceId, spanId: "1111111111111111" })).toBe(`00-${traceId}-1111111111111111-01`);
  });

  it("round-trips through parseTraceparent", () => {
    const context = newTrace();
    const parsed = parseTraceparent(traceparent(context));
    expect(parsed?.traceId).toBe(context.traceId);
  });

  it("follows nested traces and restores the outer one afterwards", () => {
    const outer: TraceContext = { traceId, spanId: parentId };
    const inner = newTrace();
    const seen = withTrace(outer, () => {
      const nested = withTrace(inner, () => traceparent());
      return [nested, traceparent()];
    });
    expect(seen).toEqual([`00-${inner.traceId}-${inner.spanId}-01`, `00-${traceId}-${parentId}-01`]);
    expect(currentTrace()).toBeUndefined();
  });

  it("survives an await inside withTrace", async () => {
    const context: TraceContext = { traceId, spanId: parentId };
    const header = await withTrace(context, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return traceparent();
    });
    expect(header).toBe(`00-${traceId}-${parentId}-01`);
  });
});

describe("withCase", () => {
  it("attaches the case and keeps the current trace and span", () => {
    const context: TraceContext = { traceId, spanId: parentId };
    const seen = withTrace(context, () => withCase("C-7K2F9", () => currentTrace()));
    expect(seen).toEqual({ traceId, spanId: parentId, caseId: "C-7K2F9" });
  });

  it("does not change the outer context", () => {
    const context: TraceContext = { traceId, spanId: parentId };
    const after = withTrace(context, () => {
      withCase("C-7K2F9", () => undefined);
      return currentTrace();
    });
    expect(after).toEqual({ traceId, spanId: parentId });
    expect(context.caseId).toBeUndefined();
  });

  it("starts a new valid trace when there is none", () => {
    const seen = withCase("C-ABCDE", () => currentTrace());
    expect(seen?.caseId).toBe("C-ABCDE");
    expect(seen?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(seen?.spanId).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe("newTraceId and newTrace", () => {
  it("makes 32 lower-case hex ids that differ", () => {
    const a = newTraceId();
    const b = newTraceId();
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(a).not.toBe(b);
  });

  it("keeps a given trace id and makes a 16-hex span id", () => {
    const context = newTrace(traceId);
    expect(context.traceId).toBe(traceId);
    expect(context.spanId).toMatch(/^[0-9a-f]{16}$/);
  });
});
