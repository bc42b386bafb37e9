import { Counter } from "prom-client";
import { Anomaly } from "../../contracts/anomaly.js";
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
 * redelivery opens nothing twice. `open` may wait: it holds the consumer back while too many cases
 * are being worked on. An anomaly that is not one is counted, logged and skipped: it came from no
 * pre-filter of ours.
 */
export async function consumeAnomalies(
  component: Component,
  connection: KafkaConnection,
  open: (anomaly: Anomaly) => Promise<void>,
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
  const consumer = await connectConsumer(kafka, COORDINATOR_GROUP, topics.anomalies, {
    sessionTimeout: session,
    heartbeatInterval: Math.max(500, Math.floor(session / 5)),
  });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async (payload) => {
      const { batch } = payload;
      for (const message of batch.messages) {
        if (!payload.isRunning() || payload.isStale()) break;
        const parsed = parseAnomaly(message.value);
        if (parsed.ok) {
          await withTrace(newTrace(parsed.anomaly.trace_id), () => open(parsed.anomaly));
        } else {
          invalid.inc();
          component.log.error({ offset: message.offset, reason: parsed.reason }, "not an anomaly: skipped");
        }
        payload.resolveOffset(message.offset);
        // Throttled by kafkajs: keeps the session alive while `open` waits for room.
        await payload.heartbeat();
      }
      await payload.commitOffsetsIfNecessary();
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
