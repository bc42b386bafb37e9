import Database from "better-sqlite3";
import { join } from "node:path";
import type { Post } from "@mattermost/types/posts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Case } from "../contracts/case.js";
import { falcoAlert, alerts } from "../fleet/alerts.js";
import { KafkaBroker } from "../fleet/kafka.js";
import { clientFor } from "../fleet/mattermost.js";
import { PostgresSql } from "../runtime/sql/postgres.js";
import { MattermostStage } from "./mattermost-harness.js";

/** What each kind of event must come to. */
type Kind = "execute" | "escalate" | "reject";

const events: Record<Kind, (name: string) => unknown> = {
  execute: (name) =>
    falcoAlert({
      rule: "Read sensitive file untrusted",
      priority: "Warning",
      tags: ["T1555", "container", "filesystem", "maturity_stable", "mitre_credential_access"],
      pod: `web-${name}`,
    }),
  escalate: (name) => ({
    ...alerts.escalate(),
    output_fields: { ...escalateFields, "k8s.pod.name": `keycloak-${name}` },
  }),
  reject: () => alerts.autoReject(),
};
const escalateFields = alerts.escalate().output_fields;

describe("two coordinators and two bots as separate processes on one PostgreSQL and one Kafka", () => {
  let broker: KafkaBroker;
  let stage: MattermostStage;
  let sql: PostgresSql;
  /** Every event posted, by trace id: what it must come to. */
  const sent = new Map<string, Kind>();

  beforeAll(async () => {
    broker = await KafkaBroker.start();
    stage = await MattermostStage.start(
      {
        KAFKA_BROKERS: broker.brokers.join(","),
        // A killed replica's partitions go to the other after 6 s (the broker's least), its cases after 2 s.
        KAFKA_SESSION_TIMEOUT_MS: "6000",
        SOC_LEASE_MS: "2000",
        // A bot taking the outbox over waits out the dead one's last try: this, plus a second.
        SOC_BOT_REQUEST_TIMEOUT_MS: "3000",
        SOC_REPLICAS: "coordinator=2,notify=2",
        SOC_RESTART_MAX_MS: "1000",
      },
      { database: true },
    );
    sql = new PostgresSql(stage.fleet.env.SOC_DATABASE_URL ?? "", 2);
  });
  afterAll(async () => {
    await sql?.close();
    await stage?.stop();
    await broker?.stop();
  });

  const post = async (kind: Kind, name: string) => {
    const { status, body } = await stage.fleet.post(events[kind](name));
    expect(status).toBe(200);
    const traceId = body.trace_id as string;
    sent.set(traceId, kind);
    return traceId;
  };

  /** Whether every case of `traces` has come to its end: closed as its kind says, or shown in Mattermost. */
  const ended = async (traces: string[]) => {
    const rows = await sql.all<
      Pick<Case, "id" | "trace_id" | "status" | "outcome" | "resolution"> & { shown: number | null }
    >(
      `SELECT c.id, c.trace_id, c.status, c.outcome, c.resolution,
              (SELECT MAX(o.delivered_at) FROM outbox o WHERE o.case_id = c.id AND o.kind = 'escalation') AS shown
         FROM cases c WHERE c.trace_id IN (${traces.map(() => "?").join(", ")})`,
      traces,
    );
    if (rows.length < traces.length) return false;
    return rows.every((c) => {
      const kind = sent.get(c.trace_id);
      if (kind === "escalate") return c.status === "awaiting_human" && c.shown !== null;
      return c.status === "closed" && c.resolution === (kind === "execute" ? "remediated" : "rejected");
    });
  };

  /**
   * Every post of the channel, oldest first, however many pages. Pages count from the newest, so a
   * post made while paging shifts the rest: the same post may come on two pages, and is one post.
   */
  const channelPosts = async (): Promise<Post[]> => {
    const client = clientFor(stage.world.url, stage.world.admin.token);
    const all = new Map<string, Post>();
    for (let page = 0; ; page++) {
      const list = await client.getPosts(stage.world.channel.id, page, 200);
      const posts = list.order.map((id) => list.posts[id]).filter((p): p is Post => p !== undefined);
      for (const post of posts) all.set(post.id, post);
      if (posts.length < 200) return [...all.values()].sort((a, b) => a.create_at - b.create_at);
    }
  };

  /** What must hold of every case posted so far, however the replicas died or restarted. */
  const expectEachOnce = async () => {
    const cases = await sql.all<{ id: string; trace_id: string; outcome: string | null }>(
      "SELECT id, trace_id, outcome FROM cases",
    );
    expect(cases).toHaveLength(sent.size);

    // Each action carried out once: one record per auto-executed case in cluster-actions' journal.
    const journal = new Database(join(stage.fleet.home, "data", "cluster-actions.db"), { readonly: true });
    const actions = journal.prepare("SELECT case_id, COUNT(*) AS n FROM actions GROUP BY case_id").all() as {
      case_id: string;
      n: number;
    }[];
    journal.close();
    const executed = cases.filter((c) => sent.get(c.trace_id) === "execute").map((c) => c.id);
    expect(Object.fromEntries(actions.map((a) => [a.case_id, a.n]))).toEqual(
      Object.fromEntries(executed.map((id) => [id, 1])),
    );

    // Each escalation posted once, and in the order the bots queued them.
    const escalated = cases.filter((c) => sent.get(c.trace_id) === "escalate");
    const posts = await channelPosts();
    const bot = posts.filter((p) => p.user_id === stage.world.bot.id);
    for (const c of escalated)
      expect(bot.filter((p) => p.message.includes(`Escalated \`${c.id}\``)).length, c.id).toBe(1);
    const queued = await sql.all<{ post_id: string }>(
      "SELECT post_id FROM outbox WHERE kind = 'escalation' ORDER BY seq",
    );
    const at = new Map(bot.map((p) => [p.id, p.create_at]));
    const times = queued.map((q) => at.get(q.post_id) ?? Number.NaN);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(queued).toHaveLength(escalated.length);

    // Never two runs of one case at once: no agent's answer was recorded by another run first.
    const logs = stage.fleet.logs();
    const twice = Object.entries(logs)
      .filter(([name]) => name.startsWith("coordinator"))
      .flatMap(([, lines]) => lines.filter((l) => String(l.msg).startsWith("step already recorded")));
    expect(twice).toEqual([]);
  };

  it(
    "kill -9 of one coordinator and one bot mid-stream, 20 trials: every case ends, each action runs once, each escalation is posted once and in order",
    { timeout: 900_000 },
    async () => {
      const fleet = stage.fleet;
      for (let trial = 1; trial <= 20; trial++) {
        const coordinator = `coordinator-${String(1 + (trial % 2))}`;
        const bot = `notify-${String(1 + (Math.floor(trial / 2) % 2))}`;
        const before = [fleet.pid(coordinator), fleet.pid(bot)];
        const traces = [
          await post("execute", `${trial}a`),
          await post("escalate", `${trial}a`),
          await post("reject", ""),
        ];
        fleet.signal(coordinator, "SIGKILL");
        fleet.signal(bot, "SIGKILL");
        traces.push(
          await post("execute", `${trial}b`),
          await post("escalate", `${trial}b`),
          await post("reject", ""),
        );
        await fleet.waitFor(() => ended(traces), 60_000, `trial ${trial}: every case at its end`);
        // Both were killed, and are back (as a kubelet restarts them) before the next trial kills again.
        await fleet.waitFor(
          () => [fleet.pid(coordinator), fleet.pid(bot)].every((pid, i) => pid !== before[i]),
          30_000,
          `trial ${String(trial)}: ${coordinator} and ${bot} restarted`,
        );
      }
      await expectEachOnce();
    },
  );

  it(
    "a rolling restart under load, each replica stopped and started in turn, loses nothing",
    { timeout: 600_000 },
    async () => {
      const fleet = stage.fleet;
      const traces: string[] = [];
      let streaming = true;
      const stream = (async () => {
        for (let n = 0; streaming; n++) {
          const kinds: Kind[] = ["execute", "escalate", "reject"];
          traces.push(await post(kinds[n % 3] as Kind, `roll-${String(n)}`));
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })();
      const starts = (replica: string) =>
        fleet.logs()[replica]?.filter((l) => l.msg === "component ready").length ?? 0;
      for (const replica of ["coordinator-1", "notify-1", "coordinator-2", "notify-2"]) {
        const started = starts(replica);
        fleet.signal(replica, "SIGTERM");
        // In turn, as a Deployment's rollout does: the next one only once this one is back and ready.
        await fleet.waitFor(() => starts(replica) > started, 30_000, `${replica} back`);
      }
      streaming = false;
      await stream;
      expect(traces.length).toBeGreaterThan(20);
      await fleet.waitFor(() => ended(traces), 60_000, "every case of the rolling restart at its end");
      await expectEachOnce();
    },
  );
});
