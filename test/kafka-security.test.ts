import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { feedbackTopicSink } from "../agents/coordinator/feedback.js";
import { readFeedbackTopic } from "../agents/prefilter/features/feedback.js";
import { FleetConfig } from "../contracts/config.js";
import type { FeedbackLabel } from "../contracts/feedback.js";
import { ensureCertificates } from "../fleet/certs.js";
import { KafkaBroker, kafkaClientOptions } from "../fleet/kafka.js";
import { loadConfig } from "../runtime/config.js";
import type { KafkaConnection } from "../runtime/kafka.js";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const label: FeedbackLabel = {
  uuid: "3f9a2c1e-0b7d-4e5f-8a6b-1c2d3e4f5a6b",
  label: "malicious",
  case_id: "C-7K2F9",
  trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
  rule: "Terminal shell in container",
  by: "alice",
  at: "2026-12-06T10:00:00.000Z",
};

const without = (env: Record<string, string>, ...names: string[]) =>
  Object.fromEntries(Object.entries(env).filter(([name]) => !names.includes(name)));

/**
 * The fleet's Kafka clients over TLS with SASL/SCRAM-SHA-512, as Strimzi's `tls` listener with
 * `scram-sha-512` authentication serves them, against a real broker: the configuration every
 * component reads (KAFKA_TLS, KAFKA_CA_FILE, KAFKA_SASL_*), the coordinator's feedback producer
 * and the training export's reader.
 */
describe("Kafka over TLS with SASL/SCRAM", { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "soc-kafka-tls-"));
  let broker: KafkaBroker | undefined;
  let env: Record<string, string> = {};

  beforeAll(async () => {
    ensureCertificates(dir, ["kafka"]);
    broker = await KafkaBroker.start({
      secure: {
        tls: { cert: join(dir, "kafka.crt"), key: join(dir, "kafka.key") },
        users: [{ name: "soc-coordinator", password: "correct horse battery staple" }],
      },
    });
    env = {
      KAFKA_BROKERS: broker.secureBrokers.join(","),
      KAFKA_TLS: "true",
      KAFKA_CA_FILE: join(dir, "ca.crt"),
      KAFKA_SASL_MECHANISM: "scram-sha-512",
      KAFKA_SASL_USERNAME: "soc-coordinator",
      KAFKA_SASL_PASSWORD: "correct horse battery staple",
    };
  }, 240_000);

  afterAll(async () => {
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Whether a client with these settings gets the topic list: one attempt, no retries. */
  const connects = async (connection: KafkaConnection): Promise<string> => {
    const admin = new Kafka({
      ...kafkaClientOptions(connection, "probe"),
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    }).admin();
    try {
      await admin.connect();
      await admin.listTopics();
      return "connected";
    } catch (error) {
      return (error as Error).name;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  };

  it("carries the coordinator's labels to the training export, both configured as the chart configures them", async () => {
    const { kafka } = loadConfig(FleetConfig, env);
    expect(kafka).toMatchObject({ tls: { caFile: env.KAFKA_CA_FILE }, sasl: { mechanism: "scram-sha-512" } });
    const sink = feedbackTopicSink(kafka, "soc-coordinator", 1);
    try {
      await sink.publish(label);
    } finally {
      await sink.close();
    }
    expect(await readFeedbackTopic(kafka)).toEqual([label]);
  });

  it("is refused with a wrong password, without TLS, and with TLS that does not trust the broker's CA", async () => {
    const { kafka } = loadConfig(FleetConfig, env);
    expect(await connects(kafka)).toBe("connected");
    const wrong = loadConfig(FleetConfig, { ...env, KAFKA_SASL_PASSWORD: "guess" }).kafka;
    expect(await connects(wrong)).toBe("KafkaJSSASLAuthenticationError");
    const plain = loadConfig(FleetConfig, without(env, "KAFKA_TLS", "KAFKA_CA_FILE")).kafka;
    expect(plain.tls).toBeUndefined();
    expect(await connects(plain)).not.toBe("connected");
    // The system's CAs: the broker's certificate chains to the fleet's own.
    expect(await connects({ ...kafka, tls: {} })).not.toBe("connected");
  });

  it("refuses a configuration that would send the password nowhere or read a CA it does not use", () => {
    expect(() => loadConfig(FleetConfig, without(env, "KAFKA_SASL_PASSWORD"))).toThrow(
      "KAFKA_SASL_PASSWORD is required with KAFKA_SASL_MECHANISM",
    );
    expect(() => loadConfig(FleetConfig, { ...env, KAFKA_TLS: "false" })).toThrow(
      "KAFKA_CA_FILE needs KAFKA_TLS=true",
    );
  });
});
