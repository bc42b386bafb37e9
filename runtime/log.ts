import { pino, type Logger } from "pino";
import { currentTrace } from "./trace.js";

export type { Logger };

/**
 * JSON lines on stdout, snake_case fields, constant messages; the trace_id and case of the
 * current work are added to every line from the async context.
 */
export function createLogger(component: string, level = "info"): Logger {
  return pino({
    level,
    base: { component },
    messageKey: "msg",
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin() {
      const trace = currentTrace();
      return trace ? { trace_id: trace.traceId, ...(trace.caseId ? { case: trace.caseId } : {}) } : {};
    },
  });
}
