import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { bundleIgnoreArgs } from "../../agents/policy-engine/bundle.js";
import { FleetConfig } from "../../contracts/config.js";
import { ingestCallers } from "../../contracts/skills.js";
import { loadConfig } from "../../runtime/config.js";
import { ensureCertificates } from "../certs.js";
import { falcoOutput, localIngest } from "../falco-output.js";
import { components } from "../components.js";
import { freePortBase } from "../ports.js";
import { serveReplicas } from "./service.js";
import { Supervisor, type ProcessSpec } from "./supervisor.js";

import { falcoLangBinary } from "../tools/falco-lang.js";
import { opaBinary } from "../tools/opa.js";
import { smollm2Model } from "../tools/smollm2.js";
import { privateDir } from "../../runtime/private-dir.js";

const root = fileURLToPath(new URL("../../..", import.meta.url));

/** The components that run as several replicas, their shared state in PostgreSQL. */
const replicable = ["coordinator", "notify"] as const;

/** What the launcher alone reads: in a cluster, the kubelet restarts the processes. */
const LauncherConfig = z.object({
  /** The longest wait before restarting a process that keeps exiting (from 250 ms, doubling). */
  SOC_RESTART_MAX_MS: z.coerce.number().int().positive().default(5_000),
  /**
   * Replicas per component, `coordinator=2,notify=2` (one each by default): each its own process
   * and ports, all behind the component's address, as a Deployment's pods behind its Service.
   */
  SOC_REPLICAS: z
    .string()
    .default("")
    .transform((value, ctx) => {
      const counts: Partial<Record<(typeof replicable)[number], number>> = {};
      for (const entry of value.split(",").filter(Boolean)) {
        const [name = "", count = ""] = entry.split("=");
        const n = Number(count);
        if (!(replicable as readonly string[]).includes(name) || !Number.isInteger(n) || n < 1 || n > 8) {
          ctx.addIssue({
            code: "custom",
            message: `SOC_REPLICAS: "${entry}" is not <${replicable.join("|")}>=<1…8>`,
          });
          continue;
        }
        counts[name as (typeof replicable)[number]] = n;
      }
      return counts;
    }),
});
const say = (line: string) => process.stdout.write(`${line}\n`);

/** `npm start`: the whole fleet on this machine, each component its own process over mTLS. */
async function main(argv: string[]): Promise<void> {
  const replaySample = !argv.includes("--no-sample");
  let config: FleetConfig;
  let launcher: z.output<typeof LauncherConfig>;
  // On one machine, the ingest may be plain HTTP on loopback (and says so below); anywhere else mTLS.
  process.env.SOC_INGEST_TLS = localIngest(process.env);
  try {
    config = loadConfig(FleetConfig);
    launcher = loadConfig(LauncherConfig);
    if (Object.values(launcher.SOC_REPLICAS).some((n) => n > 1) && !config.databaseUrl)
      throw new Error("SOC_REPLICAS: replicas share their state in PostgreSQL: set SOC_DATABASE_URL");
  } catch (error) {
    say(error instanceof Error ? error.message : String(error));
    process.exit(2);
  }
  const dirs = { logs: join(config.home, "logs"), run: join(config.home, "run") };
  privateDir(config.dataDir);
  for (const dir of [dirs.logs, dirs.run]) mkdirSync(dir, { recursive: true });
  say(`soc-fleet: state in ${config.home}`);
  const created = ensureCertificates(config.certDir, [
    ...components.map((c) => c.name),
    "operator",
    ...ingestCallers,
  ]);
  if (created.length > 0) say(`created development certificates: ${created.join(", ")}`);

  const opaAddress = new URL(config.opaUrl).host;
  const opa = opaBinary(say);
  const specs: ProcessSpec[] = [
    {
      name: "opa",
      command: opa,
      args: [
        "run",
        "--server",
        "--addr",
        opaAddress,
        "--log-level",
        "error",
        ...bundleIgnoreArgs(),
        "-b",
        join(root, "policies"),
      ],
      terminal: "log-only",
    },
  ];
  const replicas = await replicaPlan(config, launcher.SOC_REPLICAS);
  for (const c of components) {
    const spec = {
      command: process.execPath,
      args: [...config.nodeArgs, join(root, "dist", "fleet", "run.js"), c.name],
      terminal: c.name === "notify" ? ("raw" as const) : ("prefixed" as const),
    };
    const own = replicas.filter((r) => r.component === c.name);
    if (own.length === 0) specs.push({ name: c.name, ...spec });
    for (const r of own) specs.push({ name: r.name, ...spec, env: r.env });
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SOC_HOME: config.home,
    SOC_OPA_BIN: opa,
    // The rules agent's validator: the Falco project's falco-lang, built once from ../shared/vendor.
    SOC_FALCO_LANG_BIN: falcoLangBinary(say),
  };
  // The embedded model with no file named: the small one from the tool cache, fetched once.
  if (config.llm.provider === "embedded" && !config.llm.model) env.SOC_LLM_MODEL = smollm2Model(say);
  const supervisor = new Supervisor(dirs, env, say, launcher.SOC_RESTART_MAX_MS);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`stopping the fleet (${signal})…`);
    void supervisor.stop().then(() => process.exit(0));
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));

  for (const spec of specs) supervisor.start(spec);
  for (const [port, replicaPorts] of serviceMap(config, replicas)) {
    await serveReplicas(config.host, port, replicaPorts);
  }
  await waitUntilReady(
    [
      { name: "opa", url: `${config.opaUrl}/health` },
      ...components
        .filter((c) => !replicas.some((r) => r.component === c.name))
        .map((c) => ({ name: c.name, url: `http://${config.host}:${config.opsPort(c.name)}/readyz` })),
      ...replicas.map((r) => ({
        name: r.name,
        url: `http://${config.host}:${r.config.listen(r.component).opsPort}/readyz`,
      })),
    ],
    say,
  );
  say(`fleet ready: Falco ingest ${config.ingestUrl} (point Falco's http_output here)`);
  say(
    config.ingestTls === "plain"
      ? "  plain HTTP on loopback: any process on this machine may send events (SOC_INGEST_TLS=mtls takes only Falco's certificate)"
      : `  mutual TLS: Falco's http_output with mtls: true, ca_cert ${join(config.certDir, "ca.crt")}, client_cert and client_key ${join(config.certDir, "falco.crt")} and falco.key`,
  );
  say(
    `decide from another terminal: npx soc cases --state escalated | npx soc trace <case> | npx soc approve <case>`,
  );
  if (replaySample) await replay(join(root, "fleet", "sample", "falco-events.jsonl"), falcoOutput(config));
}

interface Replica {
  component: (typeof replicable)[number];
  /** Its process's name: the component's and its number, `coordinator-2`. */
  name: string;
  env: NodeJS.ProcessEnv;
  config: FleetConfig;
}

/** Each replica's name and ports of its own; none for a component with one. */
async function replicaPlan(
  config: FleetConfig,
  counts: Partial<Record<Replica["component"], number>>,
): Promise<Replica[]> {
  const plan: Replica[] = [];
  // Free now, and none taken twice (nothing listens yet): not the fleet's own, nor another's.
  const bases = new Set([config.ingestPort - 1]);
  const base = async (): Promise<number> => {
    for (;;) {
      const found = await freePortBase();
      if (!bases.has(found)) {
        bases.add(found);
        return found;
      }
    }
  };
  for (const component of replicable) {
    const count = counts[component] ?? 1;
    if (count < 2) continue;
    for (let i = 1; i <= count; i++) {
      const name = `${component}-${String(i)}`;
      const env = { SOC_REPLICA: name, SOC_LISTEN_PORT_BASE: String(await base()) };
      plan.push({ component, name, env, config: loadConfig(FleetConfig, { ...process.env, ...env }) });
    }
  }
  return plan;
}

/** The ports each replicated component is reached on, and its replicas' ports behind each. */
function serviceMap(config: FleetConfig, replicas: Replica[]): Map<number, number[]> {
  const services = new Map<number, number[]>();
  const add = (port: number, replicaPort: number) =>
    services.set(port, [...(services.get(port) ?? []), replicaPort]);
  for (const r of replicas) {
    add(config.port(r.component), r.config.listen(r.component).port);
    add(config.opsPort(r.component), r.config.listen(r.component).opsPort);
    if (r.component === "notify" && config.mattermost && r.config.mattermost)
      add(config.mattermost.port, r.config.mattermost.listenPort);
  }
  return services;
}

async function waitUntilReady(
  targets: { name: string; url: string }[],
  report: (line: string) => void,
): Promise<void> {
  const pending = new Set(targets.map((t) => t.name));
  while (pending.size > 0) {
    for (const target of targets.filter((t) => pending.has(t.name))) {
      const ok = await fetch(target.url, { signal: AbortSignal.timeout(1_000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) {
        pending.delete(target.name);
        report(`  ${target.name} ready`);
      }
    }
    if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Posts the bundled Falco sample to the ingest, one event per POST as Falco's http_output does. */
async function replay(path: string, send: (body: string) => Promise<Response>): Promise<void> {
  const lines = readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim());
  say(`replaying ${lines.length} sample Falco events…`);
  let forwarded = 0;
  for (const line of lines) {
    const response = await send(line);
    const result = (await response.json()) as { forwarded?: boolean };
    if (result.forwarded) forwarded++;
  }
  say(`sample replayed: ${lines.length} events, ${forwarded} forwarded to the fleet`);
}

await main(process.argv.slice(2));
