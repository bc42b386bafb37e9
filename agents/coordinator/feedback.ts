import { appendFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Anomaly } from "../../contracts/anomaly.js";
import type { Decision } from "../../contracts/case.js";
import { eventIdOf } from "../../contracts/falco.js";
import { FeedbackLabel } from "../../contracts/feedback.js";
import { topics } from "../../contracts/topics.js";
import { causeChain } from "../../runtime/errors.js";
import type { Logger } from "../../runtime/log.js";
import {
  connectProducer,
  ensureTopics,
  Kafka,
  kafkaClientOptions,
  type KafkaConnection,
  type Sender,
} from "../../runtime/kafka.js";
import { privateDir } from "../../runtime/private-dir.js";

/**
 * Analysts' decisions as training labels for the prefilter's model: a dismissed case's event is
 * benign, an approved one malicious (investigate decides nothing). Each label is appended to
 * `$SOC_HOME/feedback.jsonl`, the durable local record that `npm run train` can read, and, with
 * Kafka configured, published to `soc.feedback` keyed by the event id.
 */

/** The label a decision gives the case's event; null for investigate, which is not a verdict. */
export function labelOf(caseId: string, anomaly: Anomaly, decision: Decision): FeedbackLabel | null {
  if (decision.action === "investigate") return null;
  return FeedbackLabel.parse({
    uuid: eventIdOf(anomaly.event),
    label: decision.action === "approve" ? "malicious" : "benign",
    case_id: caseId,
    trace_id: anomaly.trace_id,
    rule: anomaly.event.rule,
    by: decision.by,
    at: decision.at,
  });
}

/** Where a label goes besides the file. */
export interface LabelSink {
  publish(label: FeedbackLabel): Promise<void>;
  close(): Promise<void>;
}

export class Feedback {
  constructor(
    private readonly file: string,
    private readonly sink: LabelSink | null,
    private readonly log: Logger,
  ) {
    privateDir(dirname(file));
  }

  /** Records the label of a decision just applied; a failed publish leaves it in the file only. */
  async record(caseId: string, anomaly: Anomaly, decision: Decision): Promise<FeedbackLabel | null> {
    const label = labelOf(caseId, anomaly, decision);
    if (!label) return null;
    // The file first and synchronously: the decision is already stored, so is its label.
    appendFileSync(this.file, `${JSON.stringify(label)}\n`);
    if (this.sink) {
      try {
        await this.sink.publish(label);
      } catch (error) {
        this.log.error(
          { err: causeChain(error), uuid: label.uuid },
          "feedback label not published to soc.feedback; it stays in feedback.jsonl",
        );
      }
    }
    return label;
  }

  async close(): Promise<void> {
    await this.sink?.close();
  }
}

/**
 * Labels to Kafka's `soc.feedback`, keyed by event id. Connected on the first decision rather than
 * at start: a broker that is down must not keep the coordinator from opening cases.
 */
export function feedbackTopicSink(connection: KafkaConnection, clientId: string, partitions = 3): LabelSink {
  const kafka = new Kafka(kafkaClientOptions(connection, clientId));
  let producer: Promise<Sender> | null = null;
  const connect = async (): Promise<Sender> => {
    await ensureTopics(kafka, [topics.feedback], partitions);
    return connectProducer(kafka);
  };
  return {
    async publish(label) {
      producer ??= connect();
      let sender: Sender;
      try {
        sender = await producer;
      } catch (error) {
        producer = null; // the next decision tries to connect again
        throw error;
      }
      await sender.send({
        topic: topics.feedback,
        acks: -1,
        messages: [{ key: label.uuid, value: JSON.stringify(label) }],
      });
    },
    async close() {
      if (producer) await (await producer.catch(() => null))?.disconnect();
    },
  };
}
