import { isLoopback, type FleetConfig } from "../contracts/config.js";
import { loadIdentity, mtlsFetch } from "../runtime/tls.js";

/**
 * Posts Falco events to the fleet's ingest as Falco's `http_output` does: one JSON event per POST,
 * over mTLS with the `falco` certificate of the fleet's CA when the ingest asks for it (or another
 * identity's, to show the ingest refuses it).
 */
export function falcoOutput(
  config: Pick<FleetConfig, "ingestUrl" | "ingestTls" | "certDir">,
  identity = "falco",
): (body: string) => Promise<Response> {
  const send = config.ingestTls === "mtls" ? mtlsFetch(loadIdentity(config.certDir, identity)) : fetch;
  return (body) =>
    send(config.ingestUrl, { method: "POST", headers: { "content-type": "application/json" }, body });
}

/**
 * The ingest `npm start` runs when none is configured: plain HTTP on a loopback host (and it says
 * so at start), mTLS anywhere else.
 */
export function localIngest(env: NodeJS.ProcessEnv): string {
  return env.SOC_INGEST_TLS || (isLoopback(env.SOC_HOST ?? "127.0.0.1") ? "plain" : "mtls");
}
