import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";
import { caseGraph } from "../agents/coordinator/graph.js";
import { openStorage } from "../agents/coordinator/storage.js";
import { Anomaly } from "../contracts/anomaly.js";
import type { Peers } from "../runtime/a2a/client.js";
import { offlineComponent } from "../runtime/component.js";
import { falcoAlert } from "../fleet/alerts.js";
import { LocalFleet } from "../fleet/local.js";
import { PostgresServer } from "../fleet/postgres.js";
import { PostgresSql } from "../runtime/sql/postgres.js";
import { summary } from "./figures.js";

/**
 * `node dist/bench/replicas.js`: coordinators as replicas, through the launcher as `npm start` runs
 * it, with the priority pre-filter and HTTP ingest (the replicas share the work through the
 * database).
 * 1. Cases per second from event to verdict, `--cases` auto-executed cases posted at once, and the
 *    coordinators' CPU per case: one coordinator on SQLite, then 1, 2 and 3 on PostgreSQL.
 *    Beside them, in this process, what a case costs before any I/O: LangGraph alone (the case graph's
 *    five nodes on the auto-execute path, each returning at once, no checkpointer), and the
 *    coordinator's own graph on its SQLite storage with agents that answer at once (no A2A, no HTTP).
 * 2. Takeover: `--kills` times each, a case held in flight (detect stopped) by one of two
 *    coordinators, whose holder is killed (kill -9, restarted by the launcher as a kubelet would) or
 *    frozen (SIGSTOP); the time until a coordinator holds the case again, and which.
 */
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const cases = Number(args.get("cases") ?? 300);
const kills = Number(args.get("kills") ?? 20);
const leaseMs = Number(args.get("lease-ms") ?? 2_000);
/** Cases each coordinator runs first, not counted: JIT and connections warm up here. */
const warmup = 40;

const floors = await inProcessFloors(1_000);
console.log(
  `in this process, ${String(floors.cases)} cases after ${String(floors.cases / 5)} to warm up: LangGraph alone ${floors.langgraph.toFixed(2)} ms CPU/case; ` +
    `the coordinator's graph on SQLite, agents answering at once ${floors.coordinator.toFixed(2)} ms CPU/case`,
);
const postgres = await PostgresServer.start();
/** The fleet running now: stopped with the database on Ctrl-C or SIGTERM, else its processes outlive the bench. */
let running: LocalFleet | null = null;
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => {
    void (running?.stop() ?? Promise.resolve()).finally(() => {
      postgres.stop();
      process.exit(130);
    });
  });
try {
  console.log(
    `coordinators from event to verdict, ${cases} auto-executed cases posted at once (${availableParallelism()} CPUs):`,
  );
  for (const [engine, count] of [
    ["sqlite", 1],
    ["postgres", 1],
    ["postgres", 2],
    ["postgres", 3],
  ] as const) {
    const url = engine === "postgres" ? postgres.createDatabase(`bench_${String(count)}`) : undefined;
    const fleet = (running = await LocalFleet.start({
      env: {
        SOC_LOG_LEVEL: "warn",
        SOC_PREFILTER: "priority",
        SOC_LEASE_MS: String(leaseMs),
        ...(url ? { SOC_DATABASE_URL: url, SOC_REPLICAS: `coordinator=${String(count)}` } : {}),
      },
    }));
    try {
      await throughput(fleet, warmup * count, `warm-${engine}-${String(count)}`);
      const coordinators = Object.keys(fleet.pids()).filter((name) => name.startsWith("coordinator"));
      const cpu0 = cpuMs(fleet, coordinators);
      const seconds = await throughput(fleet, cases, `run-${engine}-${String(count)}`);
      const cpu = cpuMs(fleet, coordinators) - cpu0;
      console.log(
        `  ${String(count)} on ${engine.padEnd(8)} ${(cases / seconds).toFixed(1).padStart(6)} cases/s  coordinator CPU ${(cpu / cases).toFixed(2)} ms/case`,
      );
    } finally {
      await fleet.stop();
    }
  }
  await takeover(postgres.createDatabase("bench_takeover"));
} finally {
  postgres.stop();
}

/** Posts `count` auto-executed events at once; seconds until every case is closed. */
async function throughput(fleet: LocalFleet, count: number, batch: string): Promise<number> {
  const started = performance.now();
  const traces = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const { body } = await fleet.post(autoExecute(`${batch}-${String(i)}`));
      return body.trace_id as string;
    }),
  );
  const desk = fleet.desk();
  await fleet.waitFor(
    async () => {
      const closed = await desk.cases("closed", 1_000);
      const ids = new Set(closed.map((c) => c.trace_id));
      return traces.every((t) => ids.has(t));
    },
    600_000,
    `${String(count)} cases closed`,
  );
  return (performance.now() - started) / 1000;
}

async function takeover(url: string): Promise<void> {
  const fleet = (running = await LocalFleet.start({
    env: {
      SOC_LOG_LEVEL: "warn",
      SOC_PREFILTER: "priority",
      SOC_DATABASE_URL: url,
      SOC_REPLICAS: "coordinator=2",
      SOC_LEASE_MS: String(leaseMs),
      SOC_RESTART_MAX_MS: "1000",
    },
  }));
  const sql = new PostgresSql(url, 1);
  /** The case's lease as the database has it, when someone holds it. */
  const lease = (traceId: string) =>
    sql.get<{ holder: string; expires_at: number }>(
      "SELECT l.holder, l.expires_at FROM leases l JOIN cases c ON l.name = 'case/' || c.id WHERE c.trace_id = ? AND l.holder != ''",
      [traceId],
    );
  const trial = async (i: number, signal: "SIGKILL" | "SIGSTOP") => {
    // The case waits on detect, in flight, holding its lease.
    fleet.signal("detect", "SIGSTOP");
    const { body } = await fleet.post(autoExecute(`takeover-${signal}-${String(i)}`));
    const traceId = body.trace_id as string;
    const first = await fleet.waitFor(() => lease(traceId), 30_000, "a coordinator to hold the case");
    const holder = first.holder.split("/")[1] ?? "";
    fleet.signal(holder, signal);
    const lost = performance.now();
    // As the holder left it (a renewal it sent just before has landed by now).
    await new Promise((resolve) => setTimeout(resolve, 50));
    const left = (await lease(traceId)) ?? first;
    // Held again: by the other replica, or by the killed one restarted under its name (it gives up
    // what it held before at start, and takes it anew: a later end).
    const next = await fleet.waitFor(
      async () => {
        const now = await lease(traceId);
        return now && (now.holder !== left.holder || now.expires_at > left.expires_at) ? now : undefined;
      },
      60_000,
      "another hold of the case",
    );
    const took = performance.now() - lost;
    if (signal === "SIGSTOP") fleet.signal(holder, "SIGCONT");
    fleet.signal("detect", "SIGCONT");
    await fleet.waitFor(async () => (await fleet.soc(["trace", traceId])).json, 30_000, "the case");
    return { took, by: next.holder === first.holder ? "itself, restarted" : "the other replica" };
  };
  try {
    for (const [signal, what] of [
      ["SIGKILL", "killed (kill -9, restarted as a kubelet would)"],
      ["SIGSTOP", "frozen (SIGSTOP: a hung process or a node cut off)"],
    ] as const) {
      const times: number[] = [];
      const by = new Map<string, number>();
      for (let i = 0; i < kills; i++) {
        const { took, by: who } = await trial(i, signal);
        times.push(took);
        by.set(who, (by.get(who) ?? 0) + 1);
      }
      console.log(
        `takeover, the holder ${what}, 2 coordinators, lease ${String(leaseMs)} ms, ${String(kills)} times: ${summary(times, 0)}`,
      );
      console.log(`  taken by ${[...by].map(([who, n]) => `${who} ${String(n)}×`).join(", ")}`);
    }
  } finally {
    fleet.signal("detect", "SIGCONT");
    await sql.close();
    await fleet.stop();
  }
}

function autoExecute(pod: string) {
  return falcoAlert({
    rule: "Read sensitive file untrusted",
    priority: "Warning",
    tags: ["T1555", "container", "filesystem", "maturity_stable", "mitre_credential_access"],
    pod: `web-${pod}`,
  });
}

/** CPU time (user + system) of the named fleet processes, from /proc, in ms. */
function cpuMs(fleet: LocalFleet, names: string[]): number {
  const tick = 10; // USER_HZ = 100
  return names.reduce((sum, name) => {
    const fields =
      readFileSync(`/proc/${String(fleet.pid(name))}/stat`, "utf8")
        .split(") ")[1]
        ?.split(" ") ?? [];
    return sum + (Number(fields[11]) + Number(fields[12])) * tick;
  }, 0);
}

/** CPU (user + system) of this process per call of `work`, in ms, after a fifth as many to warm up. */
async function cpuPerCall(count: number, work: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < count / 5; i++) await work(-1 - i);
  const before = process.cpuUsage();
  for (let i = 0; i < count; i++) await work(i);
  const { user, system } = process.cpuUsage(before);
  return (user + system) / 1000 / count;
}

/**
 * What a case costs the coordinator's process before any network: LangGraph's own machinery on
 * the case graph's auto-execute path (five nodes that return at once), and the coordinator's graph
 * as it runs (its SQLite case store and checkpointer) with agents that answer at once.
 */
async function inProcessFloors(count: number) {
  const Shape = Annotation.Root({ caseId: Annotation<string>, done: Annotation<string[]> });
  const node = (name: string) => () => Promise.resolve({ done: [name] });
  const bare = new StateGraph(Shape)
    .addNode("detect", node("detect"))
    .addNode("analyse", node("analyse"))
    .addNode("review", node("review"))
    .addNode("remediate", node("remediate"))
    .addNode("close", node("close"))
    .addEdge(START, "detect")
    .addConditionalEdges("detect", () => "analyse", ["analyse"])
    .addConditionalEdges("analyse", () => "review", ["review"])
    .addConditionalEdges("review", () => "remediate", ["remediate"])
    .addConditionalEdges("remediate", () => "close", ["close"])
    .addEdge("close", END)
    .compile();
  const langgraph = await cpuPerCall(count, (i) => bare.invoke({ caseId: String(i), done: [] }));

  const dataDir = mkdtempSync(join(tmpdir(), "soc-bench-floor-"));
  const storage = await openStorage({ databaseUrl: null, dataDir, replica: "bench", leaseMs: 30_000 });
  try {
    const graph = caseGraph(
      {
        store: storage.store,
        peers: answeringAtOnce(),
        log: offlineComponent("coordinator", { logLevel: "warn" }).log,
      },
      storage.checkpointer,
    );
    let cases = 0;
    const coordinator = await cpuPerCall(count, async () => {
      const { case: opened } = await storage.store.open(floorAnomaly(++cases));
      await graph.invoke(
        {
          caseId: opened.id,
          evidence: null,
          analysis: null,
          verdict: null,
          decision: null,
          resolution: null,
        },
        { configurable: { thread_id: opened.id }, durability: "exit" },
      );
    });
    const closed = (await storage.store.counts()).closed ?? 0;
    if (closed !== cases) throw new Error(`${String(closed)} of ${String(cases)} floor cases closed`);
    return { cases: count, langgraph, coordinator };
  } finally {
    await storage.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The agents of an auto-executed case, answering at once with what they would. */
function answeringAtOnce(): Peers {
  const call = (spec: { id: string }) => {
    const outputs: Record<string, unknown> = {
      gather_evidence: { summary: "no related events", related: [], pod: null, forwarded: null },
      classify: {
        tactic: "credential-access",
        technique: { id: "T1555", name: "Credentials from Password Stores" },
        severity: "medium",
        confidence: 0.8,
        action: {
          type: "label_pod",
          target: { kind: "Pod", namespace: "shop", name: "web", labels: {}, image: null },
          blast_radius: { pods: 1, nodes: 0, namespaces: 1 },
          description: "label the pod for quarantine",
        },
        asset_tags: [],
        rationale: "a sensitive file read",
        narrative: null,
      },
      review: {
        decision: { outcome: "auto_execute", reasons: ["low blast radius"], policy_version: "bench" },
      },
      execute: { mode: "dry-run", result: "labelled" },
    };
    return Promise.resolve({
      output: outputs[spec.id],
      usage: { mcp_calls: [], tokens: { in: 0, out: 0, cost: 0 } },
    });
  };
  return { call } as unknown as Peers;
}

/** The `n`th case's anomaly, an event of its own (falcoAlert gives each alert its own time). */
function floorAnomaly(n: number): Anomaly {
  return Anomaly.parse({
    trace_id: n.toString(16).padStart(32, "0"),
    event: falcoAlert({
      rule: "Read sensitive file untrusted",
      priority: "Warning",
      tags: ["T1555", "maturity_stable"],
      pod: `web-${String(n)}`,
    }),
    received_at: new Date().toISOString(),
    score: null,
    model_version: "rules-baseline",
    threshold: "Warning",
  });
}
