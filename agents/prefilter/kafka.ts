import type { Message } from "kafkajs";
import { topics } from "../../contracts/topics.js";
import { SEND_CHUNK, type Sender } from "../../runtime/kafka.js";
import type { AnomalySink } from "./pipeline.js";

/** The scoring stage's group, on `falco.events.keyed`. */
export const CONSUMER_GROUP = "soc-prefilter";
/** The re-keying stage's group, on `falco.events` (rekey.ts). */
export const REKEY_GROUP = "soc-prefilter-rekey";

/**
 * Anomalies to `soc.anomalies`, keyed by namespace/pod so a workload's anomalies stay in order.
 * The anomalies of one consumed batch are forwarded in the same tick: they go out as one send
 * (one round trip with acks = all), in the order they were given.
 */
export function anomalyTopic(producer: Sender): AnomalySink {
  let open: { messages: Message[]; bytes: number; sent: Promise<void> } | null = null;
  return (anomaly, key) => {
    const value = JSON.stringify(anomaly);
    if (!open || open.bytes + value.length > SEND_CHUNK) {
      const batch: { messages: Message[]; bytes: number; sent: Promise<void> } = {
        messages: [],
        bytes: 0,
        sent: new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
          if (open === batch) open = null;
          await producer.send({ topic: topics.anomalies, acks: -1, messages: batch.messages });
        }),
      };
      open = batch;
    }
    open.messages.push({ key, value });
    open.bytes += value.length + key.length;
    return open.sent;
  };
}
