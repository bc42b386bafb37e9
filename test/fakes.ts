import type { Component } from "../runtime/component.js";
import { createLogger } from "../runtime/log.js";
import { createMetrics } from "../runtime/metrics.js";

/** A component for unit tests: silent logs, its own metrics registry, no certificate, no network. */
export function clientComponentForTests(name: string): Component {
  return {
    name,
    log: createLogger(name, "silent"),
    metrics: createMetrics(name),
    identity: { name, ca: Buffer.from(""), cert: Buffer.from(""), key: Buffer.from("") },
    fetch: () => Promise.reject(new Error("no network in unit tests")),
    onStop: () => undefined,
  };
}
