import { Kafka } from "kafkajs";
import { FeedbackLabel } from "../../../contracts/feedback.js";
import { topics } from "../../../contracts/topics.js";
import { connectConsumer, kafkaClientOptions, type KafkaConnection } from "../../../runtime/kafka.js";

/**
 * Analysts' decisions (contracts/feedback.ts) as labels of the training export. They take
 * precedence over any other label of the same event, and train.py treats them apart:
 * `feedback:malicious` rows are left out of training like attack episodes, `feedback:benign` rows
 * are trained on with extra weight, so that what analysts dismissed scores as normal next time.
 */
export const FEEDBACK_LABEL = { benign: "feedback:benign", malicious: "feedback:malicious" } as const;

/** event id → the analysts' last word on it (the latest `at` wins; a later dismissal undoes an approval). */
export function feedbackLabels(labels: Iterable<FeedbackLabel>): Map<string, string> {
  const latest = new Map<string, FeedbackLabel>();
  for (const label of labels) {
    const before = latest.get(label.uuid);
    if (!before || label.at >= before.at) latest.set(label.uuid, label);
  }
  return new Map([...latest].map(([uuid, label]) => [uuid, FEEDBACK_LABEL[label.label]]));
}

/** The labels in `$SOC_HOME/feedback.jsonl` (the coordinator's record), one JSON line each. */
export function parseFeedback(text: string): FeedbackLabel[] {
  const labels: FeedbackLabel[] = [];
  for (const [index, line] of text.split("\n").entries()) {
    if (line.trim() === "") continue;
    const parsed = FeedbackLabel.safeParse(JSON.parse(line));
    if (!parsed.success)
      throw new Error(`feedback line ${index + 1}: ${parsed.error.issues[0]?.message ?? "invalid"}`);
    labels.push(parsed.data);
  }
  return labels;
}

/** Training reads `soc.feedback` in a group of its own each time, named with this prefix (for ACLs). */
export const TRAINING_GROUP_PREFIX = "soc-training-";

/**
 * Every label on `soc.feedback` so far, in the order they were decided: read from the beginning up
 * to the end offsets at the time of the call, in a throwaway consumer group that commits nothing
 * (every training reads it all).
 */
export async function readFeedbackTopic(
  connection: KafkaConnection,
  timeoutMs = 60_000,
): Promise<FeedbackLabel[]> {
  const kafka = new Kafka(kafkaClientOptions(connection, "soc-training"));
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  try {
    if (!(await admin.listTopics()).includes(topics.feedback)) return [];
    const offsets = await admin.fetchTopicOffsets(topics.feedback);
    ends = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  } finally {
    await admin.disconnect();
  }
  const remaining = new Set([...ends].filter(([, high]) => high > 0n).map(([partition]) => partition));
  if (remaining.size === 0) return [];
  const labels: FeedbackLabel[] = [];
  const group = `${TRAINING_GROUP_PREFIX}${process.pid}-${Date.now()}`;
  const consumer = await connectConsumer(kafka, group, topics.feedback);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`soc.feedback not read to its end in ${timeoutMs} ms`)),
        timeoutMs,
      );
      consumer
        .run({
          autoCommit: false,
          eachMessage: ({ partition, message }) => {
            // The topic is ours, but a bad record must not stop a training: it is skipped.
            const parsed = FeedbackLabel.safeParse(jsonOrNull(message.value?.toString("utf8")));
            if (parsed.success) labels.push(parsed.data);
            if (BigInt(message.offset) + 1n >= (ends.get(partition) ?? 0n)) remaining.delete(partition);
            if (remaining.size === 0) {
              clearTimeout(timer);
              resolve();
            }
            return Promise.resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  // In the order they were decided: the partitions come in whatever order the fetches fall.
  return labels.sort((a, b) => a.at.localeCompare(b.at) || a.uuid.localeCompare(b.uuid));
}

function jsonOrNull(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? "null");
  } catch {
    return null;
  }
}
