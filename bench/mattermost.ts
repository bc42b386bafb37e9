import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Post } from "@mattermost/types/posts";
import { SqliteSql } from "../runtime/sql/sqlite.js";
import { CaseStore } from "../agents/coordinator/store.js";
import { Anomaly } from "../contracts/anomaly.js";
import { falcoAlert } from "../fleet/alerts.js";
import { LocalFleet } from "../fleet/local.js";
import { MattermostServer, seedMattermost } from "../fleet/mattermost.js";
import { PostgresServer } from "../fleet/postgres.js";
import { PersonSocket } from "../fleet/mattermost-socket.js";

/**
 * `node dist/bench/mattermost.js [--cases=100000] [--events=500] [--rate=10] [--commands=300]`,
 * through a real Mattermost server (PostgreSQL) and the fleet as separate processes:
 * 1. `/soc trace <case>` with `--cases` cases stored, executed as an analyst, p50/p99, next to
 *    `/soc help` (Mattermost → bot → Mattermost without the fleet: the floor).
 * 2. Falco event at the ingest → escalation post seen on the analyst's websocket, p50/p99.
 */
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const cases = Number(args.get("cases") ?? 100_000);
const events = Number(args.get("events") ?? 500);
const rate = Number(args.get("rate") ?? 10);
const commands = Number(args.get("commands") ?? 300);

const postgres = await PostgresServer.start();
const server = await MattermostServer.start(postgres, console.log);
let fleet: LocalFleet | undefined;
try {
  const world = await seedMattermost(server.url, ["alice"]);
  const alice = world.people.alice;
  if (!alice) throw new Error("alice was not seeded");
  const seeded: string[] = [];
  const seedStarted = performance.now();
  fleet = await LocalFleet.start({
    env: {
      SOC_LOG_LEVEL: "info",
      SOC_PREFILTER: "priority",
      MATTERMOST_URL: server.url,
      MATTERMOST_BOT_TOKEN: world.bot.token,
      MATTERMOST_TEAM: world.team.name,
      MATTERMOST_CHANNEL: world.channel.name,
      SOC_APPROVERS: "alice:incident-commander",
    },
    prepare: (home) => seedCases(join(home, "data"), cases, seeded),
  });
  console.log(
    `${cases} closed cases with 5 steps each stored in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s (with the fleet's start)`,
  );

  const run = (text: string) =>
    alice.client.executeCommand(`/soc ${text}`, { channel_id: world.channel.id, team_id: world.team.id });
  const floor = await timed(commands, async () => {
    const reply = await run("help");
    if (!reply.text?.includes("trace <trace_id|case>")) throw new Error("/soc help answered something else");
  });
  const traces = await timed(commands, async (i) => {
    const id = seeded[(i * 7919) % seeded.length] ?? "";
    const reply = await run(`trace ${id}`);
    if (!reply.text?.includes(id)) throw new Error(`/soc trace ${id} answered something else`);
  });
  report(`/soc help (the floor: Mattermost → bot → Mattermost), ${commands} runs`, floor);
  report(`/soc trace <case> with ${cases} cases stored, ${commands} runs`, traces);

  const socket = await PersonSocket.open(server.url, alice.token);
  const seenAt = new Map<string, number>();
  const watcher = setInterval(() => {
    for (const event of socket.events.splice(0)) {
      if (event.event !== "posted") continue;
      const post = JSON.parse(String(event.data.post)) as Post;
      const id = /^\*\*Escalated `(C-[A-Z0-9]{5})`/.exec(post.message)?.[1];
      if (id && !seenAt.has(id)) seenAt.set(id, performance.now());
    }
  }, 2);
  const f = fleet;
  // Not counted: the first events warm up the JIT, TLS sessions and the MCP session of every hop.
  const warmup = 20;
  const sentAt = new Map<string, number>();
  const sends: Promise<void>[] = [];
  const started = performance.now();
  for (let i = 0; i < warmup + events; i++) {
    const wait = started + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const t0 = performance.now();
    const alert = falcoAlert({
      rule: "Drop and execute new binary in container",
      priority: "Critical",
      tags: ["TA0003", "container", "maturity_stable", "mitre_persistence", "process"],
      namespace: "identity",
      pod: `keycloak-${i}`,
      image: "quay.io/keycloak/keycloak",
    });
    sends.push(
      f.post(alert).then(({ body }) => {
        if (i >= warmup) sentAt.set(body.case_id as string, t0);
      }),
    );
  }
  await Promise.all(sends);
  await f.waitFor(() => [...sentAt.keys()].every((id) => seenAt.has(id)), 120_000, "every escalation post");
  clearInterval(watcher);
  socket.close();
  report(
    `Falco event at the ingest → escalation post on the analyst's websocket, ${events} events at ${rate}/s`,
    [...sentAt].map(([id, t0]) => (seenAt.get(id) ?? Number.NaN) - t0),
  );
} finally {
  await fleet?.stop();
  await server.destroy();
  postgres.stop();
}

/** Closed cases (so the coordinator resumes none of them) with a five-step chain each. */
async function seedCases(dataDir: string, count: number, ids: string[]): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  const store = await CaseStore.open(new SqliteSql(join(dataDir, "cases.db")));
  try {
    for (let i = 0; i < count; i++) {
      const anomaly = Anomaly.parse({
        trace_id: i.toString(16).padStart(32, "0"),
        event: falcoAlert({
          rule: "Read sensitive file untrusted",
          priority: "Warning",
          tags: ["T1555"],
          pod: `web-${i}`,
        }),
        received_at: new Date().toISOString(),
        score: 0.8,
        model_version: "bench",
        threshold: 0.7,
      });
      const { case: opened } = await store.open(anomaly);
      for (const [agent, skill] of [
        ["prefilter", "open_case"],
        ["detect", "gather_evidence"],
        ["analyst", "classify"],
        ["reviewer", "review"],
        ["coordinator", "close"],
      ] as const) {
        await store.addStep(opened.id, anomaly.trace_id, skill, {
          agent,
          skill,
          summary: `${skill} for web-${i}`,
          input: null,
          output: null,
          mcp_calls:
            skill === "review"
              ? [{ server: "policy-engine", tool: "evaluate_action", latency_ms: 2.1, error: null }]
              : [],
          tokens: { in: 0, out: 0, cost: 0 },
          duration_ms: 3,
          error: null,
        });
      }
      await store.update(opened.id, { status: "closed", resolution: "rejected" });
      ids.push(opened.id);
    }
  } finally {
    await store.close();
  }
}

async function timed(count: number, once: (i: number) => Promise<void>): Promise<number[]> {
  for (let i = 0; i < 20; i++) await once(i); // warm-up, not counted
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await once(i);
    latencies.push(performance.now() - t0);
  }
  return latencies;
}

function report(what: string, latencies: number[]): void {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  console.log(
    `${what}: p50 ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms, max ${at(1).toFixed(1)} ms`,
  );
}
