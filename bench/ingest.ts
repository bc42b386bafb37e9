import { request as httpRequest, Agent as HttpAgent } from "node:http";
import { request as httpsRequest, Agent as HttpsAgent } from "node:https";
import { falcoAlert } from "../fleet/alerts.js";
import { LocalFleet } from "../fleet/local.js";
import { loadIdentity } from "../runtime/tls.js";
import { FleetConfig } from "../contracts/config.js";
import { loadConfig } from "../runtime/config.js";
import { summary } from "./figures.js";

/**
 * `node dist/bench/ingest.js`: the Falco ingest over mutual TLS against plain HTTP, in one run,
 * each on a fleet of its own (the prefilter as `npm start` runs it, every event judged and
 * dropped: the ingest's own cost). Two ways Falco's http_output sends:
 * - `keep_alive: true`: `--connections` connections kept open, each posting its next event as soon
 *   as the last is answered, `--events` events in all: throughput and latency;
 * - `keep_alive: false` (the falco chart's default): a new connection, and so a TLS handshake, per
 *   event, one at a time, `--fresh` events.
 */
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const events = Number(args.get("events") ?? 20_000);
const connections = Number(args.get("connections") ?? 8);
const fresh = Number(args.get("fresh") ?? 1_000);
const warmup = 500;

// Warning events under a Critical minimum: judged, remembered, never forwarded.
const body = (i: number) =>
  JSON.stringify(
    falcoAlert({
      rule: "Terminal shell in container",
      priority: "Warning",
      tags: ["container", "shell", "mitre_execution", "T1059"],
      namespace: "shop",
      pod: `web-${i % 500}`,
      image: "docker.io/library/nginx",
    }),
  );

for (const tls of ["plain", "mtls"] as const) {
  const fleet = await LocalFleet.start({
    env: {
      SOC_LOG_LEVEL: "warn",
      SOC_PREFILTER: "priority",
      SOC_MIN_PRIORITY: "Critical",
      SOC_INGEST_TLS: tls,
    },
  });
  try {
    const config = loadConfig(FleetConfig, fleet.env);
    const post = sender(config, tls);
    const kept = post.keepAlive(connections);
    await closedLoop(kept, warmup, connections);
    const started = performance.now();
    const latencies = await closedLoop(kept, events, connections);
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `${tls.padEnd(5)} keep-alive, ${connections} connections: ${Math.round(events / seconds)} events/s  ${summary(latencies)}`,
    );
    const once = post.fresh();
    const handshakes: number[] = [];
    for (let i = 0; i < fresh; i++) {
      const t0 = performance.now();
      await once(body(i));
      handshakes.push(performance.now() - t0);
    }
    console.log(`${tls.padEnd(5)} a connection per event:   ${summary(handshakes)}`);
  } finally {
    await fleet.stop();
  }
}

/** `count` events over `parallel` senders, each posting its next as soon as the last is answered. */
async function closedLoop(
  send: (body: string) => Promise<void>,
  count: number,
  parallel: number,
): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const i = next++;
        const t0 = performance.now();
        await send(body(i));
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return latencies;
}

/** Posts to the ingest as Falco's libcurl does: over keep-alive connections, or one connection per event. */
function sender(config: FleetConfig, tls: "plain" | "mtls") {
  const url = new URL(config.ingestUrl);
  const identity = tls === "mtls" ? loadIdentity(config.certDir, "falco") : null;
  const post = (agent: HttpAgent | false, payload: string) =>
    new Promise<void>((resolve, reject) => {
      const options = {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
        ...(identity && { ca: identity.ca, cert: identity.cert, key: identity.key }),
      };
      const req = (identity ? httpsRequest : httpRequest)(options, (res) => {
        res.resume();
        res.on("end", () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`ingest answered ${res.statusCode}`)),
        );
      });
      req.on("error", reject);
      req.end(payload);
    });
  return {
    keepAlive(sockets: number) {
      const options = { keepAlive: true, maxSockets: sockets };
      const agent = identity
        ? new HttpsAgent({ ...options, ca: identity.ca, cert: identity.cert, key: identity.key })
        : new HttpAgent(options);
      return (payload: string) => post(agent, payload);
    },
    fresh: () => (payload: string) => post(false, payload),
  };
}
