import { Gauge } from "prom-client";
import { join } from "node:path";
import { SocError } from "../../runtime/errors.js";
import { skills } from "../../contracts/skills.js";
import { handler } from "../../runtime/a2a/skill.js";
import type { Agent } from "../agent.js";
import { serveHttpIngest } from "./http.js";
import { consumeEvents } from "./consumer.js";
import { rekeyEvents } from "./rekey.js";
import { topics } from "../../contracts/topics.js";
import { connectProducer, ensureTopics, Kafka, kafkaClientOptions } from "../../runtime/kafka.js";
import { anomalyTopic } from "./kafka.js";
import { startJudge, type JudgeOptions } from "./judge.js";
import type { Forwarding } from "../../contracts/policy.js";
import { DEFAULT_MODEL, exportDrift, followForwarding, readForwarding } from "./model-scorer.js";
import { Pipeline } from "./pipeline.js";
import { privateDir } from "../../runtime/private-dir.js";

export const prefilter: Agent = {
  kind: "agent",
  name: "prefilter",
  description: "Receives every Falco event, keeps the recent past, and forwards only what deserves a case.",
  async skills({ component, config, peers, mcp }) {
    privateDir(config.dataDir);
    // Without a threshold nothing is forwarded blindly: the prefilter does not start until policy answers.
    const policy = mcp("policy-engine");
    const scorer: JudgeOptions["scorer"] =
      config.prefilter === "model"
        ? { kind: "model", modelPath: DEFAULT_MODEL ?? "", forwarding: await readForwarding(policy) }
        : { kind: "priority", minimum: config.minPriority };
    const judge = await startJudge(component, { scorer });
    if (scorer.kind === "model") {
      const inForce = new Gauge({
        name: "soc_prefilter_threshold",
        help: "The anomaly-score threshold in force: the policy's budget calibrated on the model's training window, or its explicit threshold",
        registers: [component.metrics.registry],
      });
      const shown = (set: { threshold: number | string; source: string | null }) => {
        if (typeof set.threshold === "number") inForce.set(set.threshold);
        return set;
      };
      const configure = async (forwarding: Forwarding) => shown(await judge.call("configure", [forwarding]));
      // The judge was built with the policy's setting: what it made of it.
      component.log.info(
        { ...shown(await judge.call("inForce", [])), floor: scorer.forwarding.floor },
        "forwarding set",
      );
      followForwarding(component, policy, {
        forwarding: scorer.forwarding,
        refreshMs: config.thresholdRefreshMs,
        apply: configure,
      });
      exportDrift(component, () => judge.call("psi", []));
    }
    const kafka =
      config.kafka.brokers.length > 0 ? new Kafka(kafkaClientOptions(config.kafka, component.name)) : null;
    const producer = kafka ? await connectProducer(kafka) : null;
    if (producer) component.onStop(() => producer.disconnect());
    const sinks = producer ? [anomalyTopic(producer)] : [];
    // With Kafka, anomalies reach the coordinator on soc.anomalies; without, by its open_case skill.
    const pipeline = new Pipeline(component, judge, peers, sinks, !producer);
    await serveHttpIngest(
      component,
      {
        host: config.host,
        port: config.ingestPort,
        tls: config.ingestTls,
        rejectedPath: join(config.dataDir, "rejected-events.jsonl"),
      },
      pipeline,
    );
    if (kafka && producer) {
      await ensureTopics(kafka, [topics.events, topics.keyedEvents, topics.anomalies, topics.deadLetter]);
      await rekeyEvents(component, kafka);
      await consumeEvents(component, kafka, producer, pipeline);
    }
    return [
      handler(skills.ingest, async ({ event }) => {
        const outcome = await pipeline.process(event);
        if (outcome.kind === "rejected") throw new SocError("invalid_event", outcome.reason);
        if (outcome.kind === "duplicate") return { trace_id: null, forwarded: false, case_id: null };
        return {
          trace_id: outcome.trace_id,
          forwarded: outcome.kind === "forwarded",
          case_id: outcome.kind === "forwarded" ? outcome.case_id : null,
        };
      }),
      handler(skills.recentEvents, (query) => pipeline.related(query)),
    ];
  },
};
