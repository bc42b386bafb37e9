import { setTimeout as sleep } from "node:timers/promises";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { consumeEvents } from "../../agents/prefilter/consumer.js";
import { startJudge } from "../../agents/prefilter/judge.js";
import { anomalyTopic, CONSUMER_GROUP, REKEY_GROUP } from "../../agents/prefilter/kafka.js";
import { Pipeline } from "../../agents/prefilter/pipeline.js";
import { rekeyEvents } from "../../agents/prefilter/rekey.js";
import type { Peers } from "../../runtime/a2a/client.js";
import { offlineComponent } from "../../runtime/component.js";
import type { Admin } from "kafkajs";
import { topics } from "../../contracts/topics.js";
import { connectProducer, Kafka, kafkaClientOptions } from "../../runtime/kafka.js";
import { shippedScorer } from "../evaluation/policy-settings.js";

/**
 * The prefilter minus its process shell, for the benchmark and the partition test to run as many
 * processes as they like: the same re-keying stage (rekeyEvents, group soc-prefilter-rekey), Kafka
 * consumer (consumeEvents, group soc-prefilter), Pipeline, judging thread (model scorer on the
 * shipped model at the shipped policy's forwarding threshold) and idempotent anomaly producer as
 * agents/prefilter/agent.ts builds. Only the coordinator is replaced, by a function that opens a
 * case at once (the fleet makes an mTLS A2A call), and the policy engine by the shipped bundle's
 * settings, read from policies/ at start.
 *
 * `node dist/fleet/harness/prefilter.js --brokers=host:port[,…]`. On stdout: `HARNESS ready` once
 * connected; it consumes once it reads `go` on stdin; on SIGTERM it stops as the prefilter does
 * (what it fetched is judged and committed), prints `HARNESS {"count":…,"ms":…}` (anomaly sends
 * and the time spent awaiting them) and exits.
 */
export async function runPrefilterHarness(brokers: string[]): Promise<void> {
  const say = (line: string) => void process.stdout.write(`HARNESS ${line}\n`);
  const stops: (() => Promise<void> | void)[] = [];
  // Warnings on stderr, no network: only the coordinator is replaced (below).
  const component = offlineComponent("prefilter", { logLevel: "warn", onStop: (stop) => stops.push(stop) });
  let cases = 0;
  const coordinator: Pick<Peers, "call"> = {
    call: () =>
      Promise.resolve({
        output: { case_id: `C-${String(++cases).padStart(5, "0")}`, trace_id: "", duplicate: false },
        usage: { mcp_calls: [], tokens: { in: 0, out: 0, cost: 0 } },
      }) as never,
  };
  const judge = await startJudge(component, {
    scorer: shippedScorer(),
  });
  const kafka = new Kafka(kafkaClientOptions({ brokers }, `harness-prefilter-${process.pid}`));
  const producer = await connectProducer(kafka);
  stops.push(() => producer.disconnect());
  // Timed, not changed: how long anomaly sends take (acks=all; a batch's anomalies go out as one send).
  const send = anomalyTopic(producer);
  const sends = { count: 0, ms: 0 };
  const timedSend: typeof send = async (anomaly, key) => {
    const started = performance.now();
    await send(anomaly, key);
    sends.count++;
    sends.ms += performance.now() - started;
  };
  const pipeline = new Pipeline(component, judge, coordinator, [timedSend]);
  process.once("SIGTERM", () => {
    void (async () => {
      for (const stop of stops.reverse()) await stop();
      say(JSON.stringify(sends));
      process.exit(0);
    })();
  });
  say("ready");
  await new Promise<void>((resolve) => {
    createInterface({ input: process.stdin }).on("line", (line) => {
      if (line.trim() === "go") resolve();
    });
  });
  await rekeyEvents(component, kafka);
  await consumeEvents(component, kafka, producer, pipeline);
}

/**
 * Both of the prefilter's stages from the start again: its groups deleted, and `falco.events.keyed`
 * (with any other of `renew`) made anew and empty, with `partitions` partitions: else a run would
 * score the copies of the run before it too.
 */
export async function restartPrefilter(
  admin: Admin,
  partitions: number,
  renew: readonly string[] = [topics.keyedEvents],
): Promise<void> {
  await deleteGroup(admin, REKEY_GROUP);
  await deleteGroup(admin, CONSUMER_GROUP);
  const existing = new Set(await admin.listTopics());
  const gone = renew.filter((topic) => existing.has(topic));
  if (gone.length > 0) await admin.deleteTopics({ topics: gone });
  const deadline = Date.now() + 60_000;
  for (const topic of renew) {
    for (;;) {
      try {
        const made = { topic, numPartitions: partitions, replicationFactor: 1 };
        if (await admin.createTopics({ waitForLeaders: true, topics: [made] })) break;
      } catch (error) {
        // A deleted topic goes in the background: "marked for deletion" until then.
        if (Date.now() > deadline) throw error;
      }
      await sleep(250);
    }
  }
}

/** Deletes a consumer group once its members have left (a stopped consumer leaves at once; a killed one after its session). */
export async function deleteGroup(admin: Admin, groupId: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { groups } = await admin.describeGroups([groupId]);
    const state = groups[0]?.state ?? "Dead";
    if (state === "Dead") return;
    if (state === "Empty") {
      await admin.deleteGroups([groupId]);
      return;
    }
    if (Date.now() > deadline) throw new Error(`group ${groupId} still ${state} after 60 s`);
    await sleep(500);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const brokers = process.argv.find((arg) => arg.startsWith("--brokers="))?.slice("--brokers=".length);
  if (!brokers) {
    process.stderr.write("usage: node dist/fleet/harness/prefilter.js --brokers=host:port[,…]\n");
    process.exit(2);
  }
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";
  await runPrefilterHarness(brokers.split(","));
}
