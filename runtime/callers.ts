import type { IncomingMessage, ServerResponse } from "node:http";
import type { Component } from "./component.js";
import { peerIdentity } from "./tls.js";

/**
 * Answers a caller whose verified certificate identity is not on the allow-list: 403, counted in
 * `soc_calls_refused_total` and logged. Every mTLS server of the fleet refuses this one way.
 */
export function refuseCaller(
  component: Component,
  res: ServerResponse,
  caller: string | undefined,
  path: string | undefined,
): void {
  component.metrics.refused.inc({ caller: caller ?? "unknown" });
  component.log.warn({ caller: caller ?? null, path: path ?? null }, "caller refused");
  res.writeHead(403, { "content-type": "application/json" }).end(
    JSON.stringify({
      error: { code: "caller_refused", message: `caller ${caller ?? "unknown"} is not allowed` },
    }),
  );
}

/** Express-style middleware letting through only `allowed` identities, before any body is read. */
export function callersOnly(component: Component, allowed: Iterable<string>) {
  const admitted = new Set(allowed);
  return (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const caller = peerIdentity(req);
    if (caller && admitted.has(caller)) next();
    else refuseCaller(component, res, caller, req.url);
  };
}
