import { readFileSync } from "node:fs";
import { falcoAlert } from "../fleet/alerts.js";
import { LocalFleet } from "../fleet/local.js";

/**
 * `npm run bench`: the fleet as separate processes over mTLS with real OPA, as `npm start` runs it.
 * 1. Falco event in → escalation shown by the front end, p50/p99 over `--events` events sent at
 *    `--rate` per second (open loop: the sender never waits for the fleet).
 * 2. Idle resident memory of every process and of the whole fleet.
 */
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const events = Number(args.get("events") ?? 1000);
const rate = Number(args.get("rate") ?? 10);
/** Events sent first and not counted: JIT, first TLS handshakes and the MCP session warm up here. */
const warmup = Number(args.get("warmup") ?? 20);

const fleet = await LocalFleet.start({
  env: { SOC_LOG_LEVEL: "info", SOC_PREFILTER: "priority", SOC_PORT_BASE: args.get("port-base") ?? "24000" },
});
try {
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const memory = residentMemory(fleet.pids());
  const cold = await escalationLatency(fleet, warmup, rate, "warmup");
  const latencies = await escalationLatency(fleet, events, rate, "run");
  console.log(`warm-up (not counted): ${warmup} events, slowest ${cold.at(-1)?.toFixed(1) ?? "?"} ms`);
  report(latencies, memory);
} finally {
  await fleet.stop();
}

async function escalationLatency(
  f: LocalFleet,
  count: number,
  perSecond: number,
  batch: string,
): Promise<number[]> {
  const sentAt = new Map<string, number>();
  const shownAt = new Map<string, number>();
  f.onLine((line) => {
    const trace = /^ESCALATED \S+ {2}trace ([0-9a-f]{32})$/.exec(line)?.[1];
    if (trace && !shownAt.has(trace)) shownAt.set(trace, performance.now());
  });
  const posts: Promise<void>[] = [];
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const alert = falcoAlert({
      rule: "Drop and execute new binary in container",
      priority: "Critical",
      tags: ["TA0003", "container", "maturity_stable", "mitre_persistence", "process"],
      namespace: "identity",
      pod: `keycloak-${batch}-${i}`,
      image: "quay.io/keycloak/keycloak",
    });
    const t0 = performance.now();
    posts.push(f.post(alert).then(({ body }) => void sentAt.set(body.trace_id as string, t0)));
  }
  await Promise.all(posts);
  await f.waitFor(() => shownAt.size >= count, 120_000, "every escalation to be shown");
  return [...sentAt].map(([trace, t0]) => (shownAt.get(trace) ?? Number.NaN) - t0).sort((a, b) => a - b);
}

function residentMemory(pids: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => {
      const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
      return [name, Number(kb) / 1024];
    }),
  );
}

function report(latencies: number[], memory: Record<string, number>): void {
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  console.log(
    `event in → escalation shown, ${latencies.length} events at ${rate}/s: p50 ${ms(at(0.5))}, p90 ${ms(at(0.9))}, p99 ${ms(at(0.99))}, max ${ms(at(1))}`,
  );
  console.log("idle resident memory (MB):");
  for (const [name, mb] of Object.entries(memory).sort())
    console.log(`  ${name.padEnd(16)} ${mb.toFixed(1)}`);
  const agents = Object.entries(memory).filter(([name]) => name !== "opa");
  console.log(
    `  ${"fleet (node)".padEnd(16)} ${agents.reduce((sum, [, mb]) => sum + mb, 0).toFixed(1)} over ${agents.length} processes; max ${Math.max(...agents.map(([, mb]) => mb)).toFixed(1)}`,
  );
  console.log(
    `  ${"with opa".padEnd(16)} ${Object.values(memory)
      .reduce((a, b) => a + b, 0)
      .toFixed(1)}`,
  );
}
