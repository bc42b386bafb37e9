import { Counter, Gauge } from "prom-client";
import { Anomaly } from "../../contracts/anomaly.js";
import type { CaseRuns } from "./runs.js";
import type { Component } from "../../runtime/component.js";
import { causeChain } from "../../runtime/errors.js";
import { newTrace, withTrace } from "../../runtime/trace.js";
import { topics } from "../../contracts/topics.js";
import {
  connectConsumer,
  ensureTopics,
  Kafka,
  kafkaClientOptions,
  type KafkaConnection,
} from "../../runtime/kafka.js";

export const COORDINATOR_GROUP = "soc-coordinator";

/**
 * Opens a case for every anomaly on `soc.anomalies` (the pre-filter's output when Kafka is
 * configured). At least once: an offset is committed only after its case is in the case store,
 * and an anomaly seen before (same trace_id or event id) returns its existing case, so a
 * redelivery opens nothing twice. While the replica has no room (`runs`), the consumer waits, its
 * session kept alive and what it took committed: the rest waits on the topic, counted by the lag
 * gauge. An anomaly that is not one is counted, logged and skipped: it came from no pre-filter of
 * ours.
 */
export async function consumeAnomalies(
  component: Component,
  connection: KafkaConnection,
  runs: Pick<CaseRuns, "hasRoom" | "room">,
  open: (anomaly: Anomaly) => Promise<unknown>,
): Promise<void> {
  const invalid = new Counter({
    name: "soc_coordinator_invalid_anomalies_total",
    help: "Messages on soc.anomalies that are not anomalies, skipped",
    registers: [component.metrics.registry],
  });
  const kafka = new Kafka(kafkaClientOptions(connection, component.name));
  await ensureTopics(kafka, [topics.anomalies]);
  // A replica that dies keeps its partitions for a session's time: their anomalies wait that long.
  const session = connection.sessionTimeoutMs ?? 10_000;
  const heartbeatInterval = Math.max(500, Math.floor(session / 5));
  const consumer = await connectConsumer(kafka, COORDINATOR_GROUP, topics.anomalies, {
    sessionTimeout: session,
    heartbeatInterval,
  });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async (payload) => {
      const { batch } = payload;
      // With autoCommit off, kafkajs commits only the offsets it is handed.
      const commit = () => payload.commitOffsetsIfNecessary(payload.uncommittedOffsets());
      for (const message of batch.messages) {
        if (!payload.isRunning() || payload.isStale()) break;
        if (!runs.hasRoom) {
          await commit();
          while (!runs.hasRoom && payload.isRunning()) {
            await Promise.race([
              runs.room(),
              new Promise((resolve) => setTimeout(resolve, heartbeatInterval)),
            ]);
            await payload.heartbeat();
          }
        }
        const parsed = parseAnomaly(message.value);
        if (parsed.ok) {
          await withTrace(newTrace(parsed.anomaly.trace_id), () => open(parsed.anomaly));
        } else {
          invalid.inc();
          component.log.error({ offset: message.offset, reason: parsed.reason }, "not an anomaly: skipped");
        }
        payload.resolveOffset(message.offset);
        await payload.heartbeat();
      }
      await commit();
      await payload.heartbeat();
    },
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    component.log.error(
      { err: causeChain(payload.error), restart: payload.restart },
      "anomaly consumer crashed",
    );
  });
  component.onStop(() => consumer.disconnect());
  await exportLag(component, kafka);
}

/** How old a lag reading may be when scraped again: the broker is asked at most this often. */
const LAG_CACHE_MS = 5_000;

/**
 * The coordinators' queue on Kafka as a gauge: anomalies on soc.anomalies their group has not yet
 * taken (each replica reads the same, the group's). Anomalies wait there while every replica is
 * full; `soc_cases{status="open"}` counts those waiting in the case store.
 */
async function exportLag(component: Component, kafka: Kafka): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  component.onStop(() => admin.disconnect());
  let read: { at: number; lag: Promise<number> } | undefined;
  const lagNow = async () => {
    const [ends, committed] = await Promise.all([
      admin.fetchTopicOffsets(topics.anomalies),
      admin.fetchOffsets({ groupId: COORDINATOR_GROUP, topics: [topics.anomalies] }),
    ]);
    const taken = new Map(
      committed.flatMap((t) => t.partitions).map((p) => [p.partition, Number(p.offset)] as const),
    );
    return ends.reduce((sum, end) => {
      const at = taken.get(end.partition) ?? -1;
      // Never committed: the group starts from the beginning of what the partition still holds.
      return sum + Number(end.high) - (at >= 0 ? at : Number(end.low));
    }, 0);
  };
  const lag = new Gauge({
    name: "soc_coordinator_anomalies_lag",
    help: "Anomalies on soc.anomalies the coordinators' group has not yet taken (the queue on Kafka)",
    registers: [component.metrics.registry],
    async collect() {
      if (!read || Date.now() - read.at > LAG_CACHE_MS) read = { at: Date.now(), lag: lagNow() };
      try {
        lag.set(await read.lag);
      } catch (error) {
        read = undefined;
        component.log.warn({ err: causeChain(error) }, "the coordinators' lag on soc.anomalies not read");
      }
    },
  });
}

function parseAnomaly(value: Buffer | null): { ok: true; anomaly: Anomaly } | { ok: false; reason: string } {
  try {
    const parsed = Anomaly.safeParse(JSON.parse(value?.toString("utf8") ?? ""));
    if (parsed.success) return { ok: true, anomaly: parsed.data };
    return {
      ok: false,
      reason: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
    };
  } catch (error) {
    return { ok: false, reason: `not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
}
