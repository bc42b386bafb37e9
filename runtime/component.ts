import { createServer, type Server } from "node:http";
import { causeChain } from "./errors.js";
import { createLogger, type Logger } from "./log.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { loadIdentity, mtlsFetch, type Identity } from "./tls.js";

export interface ComponentOptions {
  name: string;
  host: string;
  /** Plain-HTTP port for /healthz, /readyz and /metrics: probes and scrapers carry no client certificate. */
  opsPort: number;
  certDir: string;
  logLevel: string;
}

/** What every process gets from the runtime. */
export interface Component {
  name: string;
  log: Logger;
  metrics: Metrics;
  identity: Identity;
  /** `fetch` over mutual TLS as this component. */
  fetch: typeof fetch;
  onStop(stop: () => Promise<void> | void): void;
}

/**
 * Runs one fleet process: logger, metrics, identity, ops endpoints, graceful stop on SIGTERM/SIGINT.
 * `start` resolves when the component is ready to serve.
 */
export async function runComponent(
  options: ComponentOptions,
  start: (component: Component) => Promise<void>,
) {
  // What a component writes (its data directory, databases, journals, decision logs) is its own:
  // directories 0700 and files 0600, whatever umask the container or the shell gave it.
  process.umask(0o077);
  const log = createLogger(options.name, options.logLevel);
  const stops: (() => Promise<void> | void)[] = [];
  let ready = false;
  process.on("unhandledRejection", (error) => {
    log.fatal({ err: causeChain(error) }, "unhandled rejection");
    process.exit(1);
  });
  try {
    const metrics = createMetrics(options.name);
    const ops = await serveOps(options, metrics, () => ready);
    stops.push(() => new Promise<void>((resolve) => ops.close(() => resolve())));
    const identity = loadIdentity(options.certDir, options.name);
    const component: Component = {
      name: options.name,
      log,
      metrics,
      identity,
      fetch: mtlsFetch(identity),
      onStop: (stop) => stops.push(stop),
    };
    await start(component);
    ready = true;
    log.info({ ops_port: options.opsPort }, "component ready");
  } catch (error) {
    log.fatal({ err: causeChain(error) }, "component failed to start");
    process.exit(1);
  }
  const stop = async (signal: string) => {
    log.info({ signal }, "component stopping");
    ready = false;
    for (const fn of stops.reverse()) await fn();
    process.exit(0);
  };
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));
}

function serveOps(options: ComponentOptions, metrics: Metrics, isReady: () => boolean): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === "/healthz") {
      res.writeHead(200).end("ok\n");
    } else if (req.url === "/readyz") {
      res.writeHead(isReady() ? 200 : 503).end(isReady() ? "ready\n" : "starting\n");
    } else if (req.url === "/metrics") {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": metrics.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.opsPort, options.host, () => resolve(server));
  });
}

/**
 * A component with no certificate and no network (a unit test, a benchmark harness): its own
 * metrics registry and logs at `logLevel` (silent unless asked). `onStop` collects what to stop.
 */
export function offlineComponent(
  name: string,
  { logLevel = "silent", onStop = () => undefined }: { logLevel?: string; onStop?: Component["onStop"] } = {},
): Component {
  return {
    name,
    log: createLogger(name, logLevel),
    metrics: createMetrics(name),
    identity: { name, ca: Buffer.from(""), cert: Buffer.from(""), key: Buffer.from("") },
    fetch: () => Promise.reject(new Error(`${name} has no network here`)),
    onStop,
  };
}

/**
 * A component without a process of its own (a command-line client, a test, a benchmark): identity,
 * metrics and silent logs, no ops server. `onStop` collects what a test must stop afterwards.
 */
export function clientComponent(
  name: string,
  certDir: string,
  onStop: Component["onStop"] = () => undefined,
): Component {
  const identity = loadIdentity(certDir, name);
  return {
    name,
    log: createLogger(name, "silent"),
    metrics: createMetrics(name),
    identity,
    fetch: mtlsFetch(identity),
    onStop,
  };
}
