import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { logLevel, Partitioners, type Admin, type Consumer, type Kafka as KafkaClient } from "kafkajs";
import { CONSUMER_GROUP, REKEY_GROUP } from "../agents/prefilter/kafka.js";
import { keyOf } from "../agents/prefilter/rekey.js";
import { buildJudge } from "../agents/prefilter/judge.js";
import { restartPrefilter } from "../fleet/harness/prefilter.js";
import { topics } from "../contracts/topics.js";
import { chunked, connectConsumer, Kafka, kafkaClientOptions, messageBytes } from "../runtime/kafka.js";
import { KAFKA_VERSION, KafkaBroker } from "../fleet/kafka.js";
import { LocalFleet } from "../fleet/local.js";
import { shippedForwarding, shippedScorer } from "../fleet/evaluation/policy-settings.js";
import { evaluate, renderEvaluation } from "../fleet/evaluation/prefilter.js";
import { toJsonLine } from "../fleet/sample/alert.js";
import { writeLabelledCorpus } from "./corpus.js";
import { DEFAULT_CORPUS_START, generateCorpus } from "../fleet/sample/generate-corpus.js";
import { FleetConfig } from "../contracts/config.js";
import { loadConfig } from "../runtime/config.js";

/**
 * `node dist/bench/prefilter.js`: the pre-filter's Kafka and detection-economy measures, in one run on one
 * machine (build first: `npx tsc -p tsconfig.build.json`).
 *
 * 1. Through a real broker (Apache Kafka, KRaft, started here and deleted at the end): `--events`
 *    corpus events, falcosidekick's JSON without a key, produced once to `falco.events` (4
 *    partitions) before anything consumes them. Then, each in a process of its own and a consumer
 *    group of its own (or the prefilter's, freshly deleted, with `falco.events.keyed` made anew):
 *    a. the ceiling: a raw kafkajs consumer that only parses each message's JSON and commits;
 *    b. the prefilter as the fleet runs it (`LocalFleet`, `SOC_PREFILTER=model`), measured from
 *       outside by its scoring group's committed offsets on `falco.events.keyed` (polled every
 *       250 ms): an event counts once it has been re-keyed and judged;
 *    c. the prefilter's re-keying stage, consumer, pipeline, model scorer and anomaly producer in
 *       the harness (fleet/harness/prefilter.ts) with a coordinator that answers at once, one
 *       process and then two in the same groups.
 *    d. the re-keying ceiling: raw kafkajs copying every event to a keyed topic and reading the
 *       copies back, on the most favourable settings: what no pre-filter that re-keys through the
 *       broker can pass on this machine.
 *    Rates are steady state, from 10 % to 90 % of the events, so that process start, group join
 *    and JIT warm-up stay out of them.
 * 2. Detection economy: a generated corpus (fixed seed, `--benign` benign events, `--episodes`
 *    attack episodes) through `evaluate()` at the policy's threshold, next to the "every Warning
 *    and above" baseline.
 *
 * Options: --events=100000 --benign=100000 --episodes=60 --seed=11 (the economy corpus; the
 * throughput corpus uses seed+1), --skip-kafka, --skip-fleet (leaves out b), --skip-economy.
 * Internal: --role=ceiling and --role=rekey-ceiling run the measured raw consumers (the bench starts them).
 */

const args = new Map(
  process.argv.slice(2).map((arg) => {
    const [key = "", value = "true"] = arg.replace(/^--/, "").split("=");
    return [key, value] as const;
  }),
);

function integer(name: string, fallback: number, min = 1): number {
  const raw = args.get(name);
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isSafeInteger(value) || value < min)
    throw new RangeError(`--${name} must be an integer ≥ ${min}`);
  return value;
}

const PARTITIONS = 4;
const POLL_MS = 250;
const TOPIC = topics.events;
const self = fileURLToPath(import.meta.url);
const harness = fileURLToPath(new URL("../fleet/harness/prefilter.js", import.meta.url));
const now = (): number => performance.timeOrigin + performance.now();
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Child processes: each measured consumer runs alone in a Node process, as a prefilter does.
// Protocol on stdout: "BENCH ready", then (after "go" on stdin) "BENCH {json}" for the ceiling.
// ---------------------------------------------------------------------------------------------

function say(message: string): void {
  process.stdout.write(`BENCH ${message}\n`);
}

function waitForGo(): Promise<void> {
  return new Promise((resolve) => {
    createInterface({ input: process.stdin }).on("line", (line) => {
      if (line.trim() === "go") resolve();
    });
  });
}

/** CPU time of this process in ms (user + system). */
function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** The ceiling: consume, parse each message's JSON, resolve and commit; nothing else. */
async function ceilingRole(): Promise<void> {
  const brokers = (args.get("brokers") ?? "").split(",");
  const groupId = args.get("group") ?? "";
  const expect = integer("expect", 1);
  const kafka = new Kafka(kafkaClientOptions({ brokers }, "bench-ceiling"));
  const consumer = await connectConsumer(kafka, groupId, TOPIC);
  process.once("SIGTERM", () => void consumer.disconnect().then(() => process.exit(0)));
  say("ready");
  await waitForGo();
  await timedRead(consumer, expect);
}

/**
 * Reads as lean as the prefilter's consumer: parses every message, resolves and commits once per
 * batch; says when the first, the 10 %, the 90 % and the last of `expect` messages were read, with
 * this process's CPU time at 10 % and 90 %.
 */
async function timedRead(consumer: Consumer, expect: number): Promise<void> {
  let count = 0;
  let objects = 0;
  const at = { first: 0, p10: 0, p90: 0, last: 0, cpu10: 0, cpu90: 0 };
  const [i10, i90] = [Math.ceil(expect * 0.1), Math.floor(expect * 0.9)];
  await consumer.run({
    eachBatchAutoResolve: false,
    autoCommit: true,
    eachBatch: async (run) => {
      if (!run.isRunning() || run.isStale()) return;
      let last: string | null = null;
      for (const message of run.batch.messages) {
        const body: unknown = JSON.parse(message.value?.toString("utf8") ?? "");
        if (typeof body === "object") objects++;
        last = message.offset;
        count++;
        if (count === 1) at.first = now();
        if (count === i10) [at.p10, at.cpu10] = [now(), ownCpuMs()];
        if (count === i90) [at.p90, at.cpu90] = [now(), ownCpuMs()];
        if (count === expect) {
          at.last = now();
          say(JSON.stringify({ count, objects, ...at }));
        }
      }
      if (last === null) return;
      run.resolveOffset(last);
      await run.commitOffsetsIfNecessary();
      await run.heartbeat();
    },
  });
}

/**
 * The re-keying ceiling: the least any pre-filter that re-keys through the broker must do, in raw
 * kafkajs, on the most favourable settings. One process copies every message of `falco.events` to
 * `--copy-topic` keyed by its stream (JSON.parse for the key; the partitions copied at once, each
 * batch sent with the leader's ack alone, then committed) and reads the copies back (JSON.parse and
 * commit): no merge, features, model, idempotence or forwarding. Timed like the ceiling, on the
 * copies read back.
 */
async function rekeyCeilingRole(): Promise<void> {
  const brokers = (args.get("brokers") ?? "").split(",");
  const groupId = args.get("group") ?? "";
  const copyTopic = args.get("copy-topic") ?? "";
  const expect = integer("expect", 1);
  const kafka = new Kafka(kafkaClientOptions({ brokers }, "bench-rekey-ceiling"));
  // The most favourable settings, not the pre-filter's: no idempotence, the leader's ack alone.
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const copier = await connectConsumer(kafka, `${groupId}-copy`, TOPIC);
  const reader = await connectConsumer(kafka, groupId, copyTopic);
  process.once("SIGTERM", () => {
    void Promise.all([copier.disconnect(), reader.disconnect(), producer.disconnect()]).then(() =>
      process.exit(0),
    );
  });
  say("ready");
  await waitForGo();
  await copier.run({
    partitionsConsumedConcurrently: PARTITIONS,
    eachBatchAutoResolve: false,
    autoCommit: true,
    eachBatch: async (run) => {
      if (!run.isRunning() || run.isStale() || run.batch.messages.length === 0) return;
      const messages = run.batch.messages.map(({ value }) => ({ key: keyOf(value).key, value }));
      for (const chunk of chunked(messages, messageBytes))
        await producer.send({ topic: copyTopic, acks: 1, messages: chunk });
      run.resolveOffset(run.batch.lastOffset());
      await run.commitOffsetsIfNecessary();
      await run.heartbeat();
    },
  });
  await timedRead(reader, expect);
}

// ---------------------------------------------------------------------------------------------
// The bench itself.
// ---------------------------------------------------------------------------------------------

/** Everything to undo, newest first, also on Ctrl-C. */
const cleanups: (() => Promise<void> | void)[] = [];
async function cleanUp(): Promise<void> {
  while (cleanups.length > 0) {
    const step = cleanups.pop();
    try {
      await step?.();
    } catch (error) {
      log(`cleanup: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** A measured child process of this bench (--role=…), with its protocol lines. */
class Child {
  readonly lines: string[] = [];
  readonly exited: Promise<void>;
  private constructor(readonly proc: ChildProcess) {
    createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      const protocol = /^(?:BENCH|HARNESS) /.exec(line);
      if (protocol) this.lines.push(line.slice(protocol[0].length));
      else log(`[${proc.pid ?? "?"}] ${line}`);
    });
    this.exited = new Promise((resolve) => proc.once("exit", () => resolve()));
  }

  /** This bench in `--role=ceiling`, or the prefilter harness (fleet/harness/prefilter.ts). */
  static spawn(role: "ceiling" | "rekey-ceiling" | "harness", extra: string[]): Child {
    const nodeArgs = (process.env.SOC_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
    const script = role === "harness" ? [harness] : [self, `--role=${role}`];
    const child = new Child(
      // SOC_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) reaches the measured processes too.
      spawn(process.execPath, [...nodeArgs, ...script, ...extra], {
        stdio: ["pipe", "pipe", "inherit"],
      }),
    );
    cleanups.push(() => child.stop());
    return child;
  }

  get pid(): number {
    return this.proc.pid ?? 0;
  }

  async waitFor(prefix: string, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.lines.find((l) => l.startsWith(prefix));
      if (line !== undefined) return line;
      if (this.proc.exitCode !== null) throw new Error(`--role child ${this.pid} exited early`);
      if (Date.now() > deadline) throw new Error(`--role child ${this.pid}: no "${prefix}" in time`);
      await sleep(20);
    }
  }

  go(): void {
    this.proc.stdin?.write("go\n");
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), 15_000);
    this.proc.kill("SIGTERM");
    await this.exited;
    clearTimeout(timer);
  }
}

/** User + system CPU seconds of a process so far (Linux /proc; clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** All cores' busy and total clock ticks since boot (first line of /proc/stat). */
function machineTicks(): { busy: number; all: number } {
  const [, ...ticks] = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/);
  const values = ticks.slice(0, 8).map(Number);
  const all = sum(values);
  // idle and iowait are the 4th and 5th fields.
  return { busy: all - (values[3] ?? 0) - (values[4] ?? 0), all };
}

interface Sample {
  t: number;
  done: number;
  members: number;
  state: string;
  /** CPU seconds of the measured processes, NaN while they are not known yet. */
  cpu: number;
  /** The whole machine's busy and total CPU time so far (/proc/stat), in clock ticks. */
  busy: number;
  all: number;
}

interface Watch {
  groupId: string;
  topic: string;
  /** Per partition: where the measured consumption starts (the group's position before it). */
  from: number[];
  to: number[];
  /** The processes whose CPU time is recorded with every sample. */
  pids: () => number[];
  timeoutMs: number;
}

/** Polls the group's committed offsets (and members) until every event is committed. */
async function watchGroup(admin: Admin, watch: Watch): Promise<Sample[]> {
  const total = sum(watch.to) - sum(watch.from);
  const samples: Sample[] = [];
  const deadline = Date.now() + watch.timeoutMs;
  for (;;) {
    const started = Date.now();
    const sample = await groupSample(admin, watch).catch((error: unknown) => {
      // A coordinator move or a slow answer costs one sample, not the measurement.
      log(`poll of ${watch.groupId} failed: ${error instanceof Error ? error.message : String(error)}`);
      return null;
    });
    if (sample) samples.push(sample);
    if (sample && sample.done >= total) return samples;
    if (Date.now() > deadline)
      throw new Error(`group ${watch.groupId}: ${samples.at(-1)?.done ?? 0} of ${total} committed in time`);
    await sleep(Math.max(0, POLL_MS - (Date.now() - started)));
  }
}

async function groupSample(admin: Admin, watch: Watch): Promise<Sample> {
  const [offsets] = await admin.fetchOffsets({ groupId: watch.groupId, topics: [watch.topic] });
  const t = now();
  const pids = watch.pids();
  const cpu = pids.length > 0 ? sum(pids.map(cpuSeconds)) : Number.NaN;
  const { groups } = await admin.describeGroups([watch.groupId]);
  let done = 0;
  for (const { partition, offset } of offsets?.partitions ?? []) {
    const from = watch.from[partition] ?? 0;
    done += Math.max(0, Math.min(watch.to[partition] ?? 0, Number(offset)) - from);
  }
  const { busy, all } = machineTicks();
  return { t, done, members: groups[0]?.members.length ?? 0, state: groups[0]?.state ?? "", cpu, busy, all };
}

/**
 * The first group on a fresh broker waits for __consumer_offsets to be created (REFERENCE.md:
 * about 1.4 s of "coordinator not available"): done here, before anything is timed.
 */
async function warmUpGroups(admin: Admin): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await admin.fetchOffsets({ groupId: "bench-warm-up", topics: [TOPIC] });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(500);
    }
  }
}

/** When the committed count first reached `target`, interpolated between the polls around it. */
function crossing(samples: Sample[], target: number): number {
  const i = samples.findIndex((s) => s.done >= target);
  const after = samples[i];
  const before = samples[i - 1];
  if (!after) return Number.NaN;
  if (!before || after.done === before.done) return after.t;
  return before.t + ((target - before.done) / (after.done - before.done)) * (after.t - before.t);
}

interface Rate {
  /** Events per second from 10 % to 90 % of the total (or from `fromT`, if later). */
  rate: number;
  seconds: number;
  events: number;
  /** Events per CPU-second of the measured processes, over the polls inside the window. */
  perCpuSecond: number;
  /** Share of the whole machine's CPU (all cores) busy over the polls inside the window. */
  machineBusy: number;
  total: number;
}

function steadyRate(samples: Sample[], total: number, fromT = Number.NEGATIVE_INFINITY): Rate {
  const t10 = crossing(samples, total * 0.1);
  const t90 = crossing(samples, total * 0.9);
  let start = t10;
  let startDone = total * 0.1;
  if (fromT > t10) {
    start = fromT;
    startDone = samples.find((s) => s.t >= fromT)?.done ?? Number.NaN;
  }
  const events = total * 0.9 - startDone;
  const within = samples.filter((s) => s.t >= start && s.t <= t90);
  const [m, n] = [within[0], within.at(-1)];
  const machineBusy = m && n && n.all > m.all ? (n.busy - m.busy) / (n.all - m.all) : Number.NaN;
  const inside = within.filter((s) => Number.isFinite(s.cpu));
  const [a, b] = [inside[0], inside.at(-1)];
  const perCpuSecond = a && b && b.cpu > a.cpu ? (b.done - a.done) / (b.cpu - a.cpu) : Number.NaN;
  return {
    rate: events / ((t90 - start) / 1000),
    seconds: (t90 - start) / 1000,
    events,
    perCpuSecond,
    machineBusy,
    total,
  };
}

const f0 = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a");
const pct = (n: number): string => (Number.isFinite(n) ? `${(100 * n).toFixed(1)} %` : "n/a");
const met = (ok: boolean): string => (ok ? "met" : "NOT MET");

async function endOffsets(admin: Admin, topic: string): Promise<number[]> {
  const offsets = await admin.fetchTopicOffsets(topic);
  const ends: number[] = [];
  for (const { partition, high } of offsets) ends[partition] = Number(high);
  return ends;
}

/**
 * What the harness's judge (shipped model, shipped forwarding) forwards reading the events in the
 * order the re-keying stage's merge gives: event time, then the partition each was produced to.
 */
function forwardedInMemory(lines: readonly Buffer[]): number {
  const judge = buildJudge({
    scorer: shippedScorer(),
  });
  const order = lines
    .map((line, i) => ({ line, i, time: keyOf(line).time }))
    .sort((a, b) => a.time - b.time || (a.i % PARTITIONS) - (b.i % PARTITIONS) || a.i - b.i);
  return order.filter(({ line }) => judge.judge(JSON.parse(line.toString("utf8"))).kind === "selected")
    .length;
}

/** Events per partition of `falco.events.keyed` once re-keyed: kafkajs' default (murmur2) partitioner on each key. */
function keyedPartitionCounts(lines: readonly Buffer[]): number[] {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
    partitionErrorCode: 0,
  }));
  const counts = new Array<number>(PARTITIONS).fill(0);
  for (const value of lines) {
    const partition = partitioner({
      topic: topics.keyedEvents,
      partitionMetadata,
      message: { key: keyOf(value).key, value },
    });
    counts[partition] = (counts[partition] ?? 0) + 1;
  }
  return counts;
}

async function produceCorpus(
  kafka: KafkaClient,
  count: number,
  seed: number,
): Promise<{ bytes: number; rate: number; lines: Buffer[] }> {
  log(`generating ${count} corpus events (seed ${seed})…`);
  const episodes = Math.max(1, Math.round(count / 2_000));
  const lines = generateCorpus({ seed, benign: count, episodes, start: DEFAULT_CORPUS_START })
    .slice(0, count)
    .map((item) => Buffer.from(toJsonLine(item.event)));
  const bytes = lines.reduce((total, line) => total + line.length, 0);
  log(`producing ${count} events (${(bytes / 1e6).toFixed(0)} MB) to ${TOPIC}…`);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const started = now();
  // 1000 messages of ≈1.3 kB over 4 partitions: ≈330 kB per partition, under message.max.bytes.
  // No key; the partitions in turn, as falcosidekick's writer (kafka-go, round-robin balancer).
  for (let i = 0; i < lines.length; i += 1_000) {
    await producer.send({
      topic: TOPIC,
      acks: -1,
      messages: lines.slice(i, i + 1_000).map((value, k) => ({ value, partition: (i + k) % PARTITIONS })),
    });
  }
  const rate = count / ((now() - started) / 1000);
  await producer.disconnect();
  return { bytes, rate, lines };
}

interface Waited {
  count: number;
  ms: number;
}

/** The fleet prefilter's own count and total time of open_case calls to the coordinator (its /metrics). */
async function prefilterMetrics(
  fleet: LocalFleet,
): Promise<{ openCases: number; openCaseSeconds: number; served: number; servedSeconds: number }> {
  const config = loadConfig(FleetConfig, fleet.env);
  const response = await fetch(`http://${config.host}:${config.opsPort("prefilter")}/metrics`);
  const text = await response.text();
  const total = (metric: string, skill: string) =>
    sum(
      text
        .split("\n")
        .filter((line) => line.startsWith(`${metric}{`) && line.includes(`skill="${skill}"`))
        .map((line) => Number(line.slice(line.lastIndexOf(" ") + 1))),
    );
  return {
    openCases: total("soc_a2a_client_seconds_count", "open_case"),
    openCaseSeconds: total("soc_a2a_client_seconds_sum", "open_case"),
    // The detect agent asks the prefilter for each case's related events: work on the same process.
    served: total("soc_a2a_server_seconds_count", "recent_events"),
    servedSeconds: total("soc_a2a_server_seconds_sum", "recent_events"),
  };
}

type FleetFigures = Rate & {
  anomalies: number;
  dlq: number;
  othersCpu: number;
  /** From the first commit to the last, seconds. */
  wall: number;
  openCases: number;
  openCaseSeconds: number;
  served: number;
  servedSeconds: number;
};

interface Ceiling {
  internal: Rate;
  polled: Rate;
  firstToLast: number;
}

interface KafkaFigures {
  events: number;
  bytes: number;
  produceRate: number;
  ceilings: Ceiling[];
  /** (d): the raw re-keying copy, read back. */
  rekeyCeiling: Ceiling;
  /** Null with --skip-fleet. */
  fleet: FleetFigures | null;
  /** What the shipped judge forwards of the events in one process, in event-time order, without Kafka. */
  inMemory: number;
  harness: (Rate & {
    processes: number;
    before: number;
    anomalies: number;
    dlq: number;
    sends: number;
    sendSeconds: number;
  })[];
}

async function kafkaBench(eventCount: number, seed: number): Promise<KafkaFigures> {
  log(`starting Apache Kafka ${KAFKA_VERSION} (KRaft, one node)…`);
  const broker = await KafkaBroker.start({ log });
  cleanups.push(() => broker.stop());
  const brokers = broker.brokers;
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";
  // The bench's own client logs nothing: what it meets (the first group's wait) is retried and reported here.
  const kafka = new Kafka({ ...kafkaClientOptions({ brokers }, "bench"), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  cleanups.push(() => admin.disconnect());
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1 },
      { topic: topics.keyedEvents, numPartitions: PARTITIONS, replicationFactor: 1 },
      { topic: topics.anomalies, numPartitions: 3, replicationFactor: 1 },
      { topic: topics.deadLetter, numPartitions: 3, replicationFactor: 1 },
    ],
  });
  const { bytes, rate: produceRate, lines } = await produceCorpus(kafka, eventCount, seed);
  // Where the prefilter's re-keying stage puts each event: what its scoring stage has to commit.
  const keyedTo = keyedPartitionCounts(lines);
  const inMemory = forwardedInMemory(lines);
  const to = await endOffsets(admin, TOPIC);
  const total = sum(to);
  if (total !== eventCount) throw new Error(`${TOPIC} holds ${total} events, expected ${eventCount}`);
  const zero = to.map(() => 0);
  const timeoutMs = Math.max(180_000, eventCount * 3);
  const brokersArg = `--brokers=${brokers.join(",")}`;

  await warmUpGroups(admin);

  /** (a) the raw consumer, or (d) the raw re-keying copy read back, in a process of its own. */
  const ceiling = async (round: number, kind: "ceiling" | "rekey-ceiling" = "ceiling") => {
    const groupId = `bench-${kind}-${round}`;
    const copyTopic = `bench.rekeyed-${round}`;
    if (kind === "rekey-ceiling") {
      log(`(d) re-keying ceiling: raw kafkajs copy to ${copyTopic} and back, in group ${groupId}…`);
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic: copyTopic, numPartitions: PARTITIONS, replicationFactor: 1 }],
      });
    } else log(`(a) ceiling, round ${round}: raw kafkajs consumer in group ${groupId}…`);
    const child = Child.spawn(kind, [
      brokersArg,
      `--group=${groupId}`,
      `--expect=${total}`,
      `--copy-topic=${copyTopic}`,
    ]);
    await child.waitFor("ready");
    const watching = watchGroup(admin, {
      groupId,
      topic: kind === "ceiling" ? TOPIC : copyTopic,
      from: zero,
      to: kind === "ceiling" ? to : keyedTo,
      pids: () => [child.pid],
      timeoutMs,
    });
    child.go();
    const polled = steadyRate(await watching, total);
    const result = JSON.parse(await child.waitFor("{")) as Record<string, number>;
    await child.stop();
    const n = (key: string) => result[key] ?? Number.NaN;
    const events = Math.floor(total * 0.9) - Math.ceil(total * 0.1);
    const internal: Rate = {
      rate: events / ((n("p90") - n("p10")) / 1000),
      seconds: (n("p90") - n("p10")) / 1000,
      events,
      perCpuSecond: events / ((n("cpu90") - n("cpu10")) / 1000),
      machineBusy: polled.machineBusy,
      total,
    };
    return { internal, polled, firstToLast: (total - 1) / ((n("last") - n("first")) / 1000) };
  };
  const ceilings = [await ceiling(1)];

  const fleetFigures =
    args.get("skip-fleet") === "true"
      ? null
      : await fleetBench(admin, brokers, { total, zero, to: keyedTo, timeoutMs });

  const harness: KafkaFigures["harness"] = [];
  for (const processes of [1, 2]) {
    log(
      `(c) harness, ${processes} process(es) in groups ${REKEY_GROUP} and ${CONSUMER_GROUP} (deleted first)…`,
    );
    await restartPrefilter(admin, PARTITIONS);
    const before = sum(await endOffsets(admin, topics.anomalies));
    const dlq = sum(await endOffsets(admin, topics.deadLetter));
    const children = Array.from({ length: processes }, () => Child.spawn("harness", [brokersArg]));
    for (const child of children) await child.waitFor("ready");
    const watching = watchGroup(admin, {
      groupId: CONSUMER_GROUP,
      topic: topics.keyedEvents,
      from: zero,
      to: keyedTo,
      pids: () => children.map((c) => c.pid),
      timeoutMs,
    });
    for (const child of children) child.go();
    const samples = await watching;
    // With two processes, only the part after both joined counts (the first can start alone).
    const joined = samples.find((s) => s.members >= processes && s.state === "Stable");
    const rate = steadyRate(
      samples,
      total,
      processes > 1 ? (joined?.t ?? Number.POSITIVE_INFINITY) : undefined,
    );
    const beforeJoin = processes > 1 ? (joined?.done ?? Number.NaN) : 0;
    for (const child of children) await child.stop();
    const waits = children.map(
      (c) => JSON.parse(c.lines.find((l) => l.startsWith("{")) ?? "{}") as Partial<Waited>,
    );
    harness.push({
      ...rate,
      sends: sum(waits.map((w) => w.count ?? Number.NaN)),
      sendSeconds: sum(waits.map((w) => w.ms ?? Number.NaN)) / 1000,
      processes,
      before: beforeJoin,
      anomalies: sum(await endOffsets(admin, topics.anomalies)) - before,
      dlq: sum(await endOffsets(admin, topics.deadLetter)) - dlq,
    });
  }
  ceilings.push(await ceiling(2));
  const rekeyCeiling = await ceiling(3, "rekey-ceiling");
  return {
    events: total,
    bytes,
    produceRate,
    ceilings,
    rekeyCeiling,
    fleet: fleetFigures,
    harness,
    inMemory,
  };
}

/** (b): the fleet as `npm start` runs it, with Kafka; its prefilter measured by its group's commits. */
async function fleetBench(
  admin: Admin,
  brokers: string[],
  range: { total: number; zero: number[]; to: number[]; timeoutMs: number },
): Promise<FleetFigures> {
  const { total, zero, to, timeoutMs } = range;
  log("(b) the fleet's prefilter (LocalFleet, SOC_PREFILTER=model)…");
  const anomaliesBefore = sum(await endOffsets(admin, topics.anomalies));
  const dlqBefore = sum(await endOffsets(admin, topics.deadLetter));
  // The prefilter's pid is known once the fleet is ready; its CPU is sampled from then on.
  const prefilterPid: number[] = [];
  await restartPrefilter(admin, PARTITIONS);
  const watchingFleet = watchGroup(admin, {
    groupId: CONSUMER_GROUP,
    topic: topics.keyedEvents,
    from: zero,
    to,
    pids: () => prefilterPid,
    timeoutMs,
  });
  const fleetEnv = { KAFKA_BROKERS: brokers.join(","), SOC_PREFILTER: "model", SOC_LOG_LEVEL: "warn" };
  const started = LocalFleet.start({ env: fleetEnv });
  // Stopped even if the group never catches up (the watch throws before `started` is awaited).
  cleanups.push(async () => (await started.catch(() => undefined))?.stop());
  const fleet = await started;
  prefilterPid.push(fleet.pid("prefilter"));
  const others = () =>
    Object.entries(fleet.pids())
      .filter(([name]) => name !== "prefilter")
      .map(([, pid]) => pid);
  const othersAtReady = sum(others().map(cpuSeconds));
  const fleetSamples = await watchingFleet;
  const othersCpu = sum(others().map(cpuSeconds)) - othersAtReady;
  const fleetRate = steadyRate(fleetSamples, total);
  const firstCpu = fleetSamples.find((s) => Number.isFinite(s.cpu));
  if (firstCpu && firstCpu.done > total * 0.1)
    log(`note: the fleet became ready only after ${pct(firstCpu.done / total)} were committed`);
  const metrics = await prefilterMetrics(fleet);
  const figures = {
    ...fleetRate,
    ...metrics,
    wall:
      ((fleetSamples.at(-1)?.t ?? Number.NaN) - (fleetSamples.find((s) => s.done > 0)?.t ?? Number.NaN)) /
      1000,
    anomalies: sum(await endOffsets(admin, topics.anomalies)) - anomaliesBefore,
    dlq: sum(await endOffsets(admin, topics.deadLetter)) - dlqBefore,
    othersCpu,
  };
  await fleet.stop();
  cleanups.pop();
  return figures;
}

/** The lines of (b), or why there are none. */
function fleetLines(fleet: FleetFigures | null, events: number, best: number, bestCpu: number): string[] {
  if (!fleet) return ["   (b) the fleet's prefilter: not run (--skip-fleet)"];
  return [
    "   (b) one prefilter process, as the fleet runs it (LocalFleet, SOC_PREFILTER=model, real coordinator over mTLS), group soc-prefilter",
    `       ${f0(fleet.rate)} events/s (${f0(fleet.events)} events in ${fleet.seconds.toFixed(2)} s); ${f0(fleet.perCpuSecond)} events per CPU-s of the prefilter process; machine ${pct(fleet.machineBusy)} busy`,
    `       = ${pct(fleet.rate / best)} of the ceiling (target ≥ 70 %): ${met(fleet.rate / best >= 0.7)}; per CPU-second ${pct(fleet.perCpuSecond / bestCpu)} of the ceiling's`,
    `       forwarded to soc.anomalies: ${f0(fleet.anomalies)} (${pct(fleet.anomalies / events)} of the events); dead letters: ${f0(fleet.dlq)}; ` +
      `the fleet's other processes used ${fleet.othersCpu.toFixed(1)} CPU-s meanwhile`,
    fleet.openCases === 0
      ? `       the coordinator takes the anomalies from soc.anomalies (group soc-coordinator): no open_case call held the prefilter up, ` +
        `${fleet.wall.toFixed(1)} s from first to last commit`
      : `       waiting on the coordinator: ${f0(fleet.openCases)} open_case calls took ${fleet.openCaseSeconds.toFixed(1)} s in all ` +
        `(mean ${((1000 * fleet.openCaseSeconds) / fleet.openCases).toFixed(1)} ms), at most 16 at a time while the consumer judges the next batches, ` +
        `of the ${fleet.wall.toFixed(1)} s from first to last commit`,
    `       it also served ${f0(fleet.served)} recent_events calls from the detect agent (${fleet.servedSeconds.toFixed(1)} s in all)`,
  ];
}

function reportKafka(k: KafkaFigures): void {
  const best = Math.max(...k.ceilings.map((c) => c.internal.rate));
  const bestCpu = Math.max(...k.ceilings.map((c) => c.internal.perCpuSecond));
  const one = k.harness.find((h) => h.processes === 1);
  const two = k.harness.find((h) => h.processes === 2);
  const rekey = k.rekeyCeiling;
  const lines = [
    `1. Through the real broker — Apache Kafka ${KAFKA_VERSION} (KRaft, 1 node, 127.0.0.1), topic ${TOPIC} with ${PARTITIONS} partitions`,
    `   ${f0(k.events)} corpus events (falcosidekick JSON, no key, ${(k.bytes / k.events).toFixed(0)} B average), produced once with acks=all at ${f0(k.produceRate)} events/s (reference only)`,
    "   Rates: steady state, 10 % → 90 % of the events; per CPU-second = events over the measured process's own user+system CPU in that window;",
    `   machine busy = share of all ${cpus().length} cores in use in that window (broker, bench and fleet included).`,
    "",
    "   (a) ceiling — raw kafkajs consumer group: JSON.parse each message, then resolveOffset and commit once per batch",
    ...k.ceilings.map(
      (c, i) =>
        `       round ${i + 1}${i === 0 ? " (before b)" : " (after c) "}: ${f0(c.internal.rate)} events/s (timed in the consumer), ` +
        `${f0(c.polled.rate)} events/s (by committed offsets), first→last ${f0(c.firstToLast)} events/s; ${f0(c.internal.perCpuSecond)} events per CPU-s; machine ${pct(c.polled.machineBusy)} busy`,
    ),
    `       ceiling used below: the faster round, ${f0(best)} events/s, ${f0(bestCpu)} events per CPU-s`,
    "",
    ...fleetLines(k.fleet, k.events, best, bestCpu),
    "",
    "   (c) the prefilter's own re-keying stage (rekeyEvents, group soc-prefilter-rekey), Kafka consumer (consumeEvents, group soc-prefilter),",
    "       Pipeline, judging thread (shipped model, policy budget) and idempotent anomaly producer in the harness (fleet/harness/prefilter.ts);",
    "       only the coordinator is a function that answers at once. An event counts once it is re-keyed and judged.",
    "       Why not two fleet prefilters: a second one next to the fleet would need the fleet's own ports (all derive from SOC_PORT_BASE,",
    "       no per-component override), one on another base would find no coordinator or policy engine, and a second whole fleet would",
    "       put a second coordinator and its agents on the same 2 cores. The harness runs one process, then two, with the same code, so the",
    "       factor compares like with like; the groups are deleted and the keyed topic made anew before each run (both start from the",
    "       first event) and the processes start consuming only once all are connected. They join the groups one after the other: a",
    "       partition that moves to the second mid-stream starts its windows afresh there, so the forwarded events may differ by a few.",
    ...(one
      ? [
          `       1 process : ${f0(one.rate)} events/s = ${pct(one.rate / best)} of the ceiling (target ≥ 70 %): ${met(one.rate / best >= 0.7)}; ` +
            `${f0(one.perCpuSecond)} events per CPU-s; machine ${pct(one.machineBusy)} busy; forwarded ${f0(one.anomalies)}, dead letters ${f0(one.dlq)}; ` +
            `awaiting ${f0(one.sends)} anomaly sends took ${one.sendSeconds.toFixed(1)} s`,
        ]
      : []),
    ...(two
      ? [
          `       2 processes: ${f0(two.rate)} events/s together (${f0(two.events)} events after both had joined and the group was stable; ` +
            `${f0(two.before)} committed before), ${f0(two.perCpuSecond)} events per CPU-s of the two; machine ${pct(two.machineBusy)} busy`,
          `       scaling 2 vs 1 process: ×${(two.rate / (one?.rate ?? Number.NaN)).toFixed(2)} (ideal ×2 given free cores; this machine has ${cpus().length}, ` +
            "shared with the broker and the bench, and one process already keeps two threads busy: its main thread and its judge); " +
            `CPU per event ×${((one?.perCpuSecond ?? Number.NaN) / two.perCpuSecond).toFixed(2)} of 1 process's (the partitions split the work, ` +
            `none is done twice); forwarded ${f0(two.anomalies)}, dead letters ${f0(two.dlq)}`,
          `       the same events forwarded: ${k.fleet ? `${f0(k.fleet.anomalies)} (fleet), ` : ""}${f0(one?.anomalies ?? Number.NaN)} (1 process), ` +
            `${f0(two.anomalies)} (2 processes), ${f0(k.inMemory)} (one judge in memory, in event-time order): one process reads every ` +
            `partition of ${TOPIC} and merges them in event-time order, each stream is re-keyed into one partition of ` +
            `${topics.keyedEvents}, and every process sees whole streams`,
        ]
      : []),
    "",
    "   (d) the re-keying ceiling — raw kafkajs in one process, on the most favourable settings: copy each message to a keyed topic",
    "       (JSON.parse for its stream; the 4 partitions at once, each batch sent with the leader's ack alone, no idempotence; commit) and",
    "       read the copies back (JSON.parse, commit); nothing else. No pre-filter that re-keys through the broker with kafkajs can go",
    "       faster than this on this machine: the broker writes every event twice and serves it twice, and the client encodes it again.",
    `       ${f0(rekey.internal.rate)} events/s (timed on the copies read back) = ${pct(rekey.internal.rate / best)} of the ceiling; ` +
      `${f0(rekey.internal.perCpuSecond)} events per CPU-s; machine ${pct(rekey.polled.machineBusy)} busy`,
    ...(one
      ? [
          `       the harness's 1 process reaches ${pct(one.rate / rekey.internal.rate)} of it, with ` +
            `${(rekey.internal.perCpuSecond / one.perCpuSecond).toFixed(2)}× its CPU per event (the merge, features, model and forwarding)`,
        ]
      : []),
  ];
  console.log(lines.join("\n"));
}

async function economyBench(seed: number, benign: number, episodes: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "soc-bench-economy-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  log(`generating the economy corpus (seed ${seed}, ${benign} benign, ${episodes} episodes)…`);
  const { eventsPath, labelsPath, count } = await writeLabelledCorpus(dir, { seed, benign, episodes });
  const forwarding = shippedForwarding();
  log(`evaluating ${count} events at the policy's budget ${String(forwarding.budget)}…`);
  const e = evaluate(eventsPath, labelsPath, { forwarding });
  const benignShare = e.model.benign_forwarded / e.model.benign_events;
  const detected = e.model.episodes_detected / e.model.episodes;
  const base = e.baseline_warning;
  console.log(
    [
      `2. Detection economy — generated corpus, seed ${seed}: ${f0(e.model.benign_events)} benign events, ${e.model.episodes} attack episodes ` +
        `(${count} events); threshold ${e.threshold.toFixed(4)} (${e.threshold_source}) from policies/soc/settings/data.json`,
      ...renderEvaluation(e)
        .split("\n")
        .map((line) => `   ${line}`),
      `   benign forwarded ${pct(benignShare)} (target ≤ 1 %): ${met(benignShare <= 0.01)}`,
      `   episodes detected ${pct(detected)} (target ≥ 95 %): ${met(detected >= 0.95)}`,
      `   baseline "every Warning and above": benign forwarded ${pct(base.benign_forwarded / base.benign_events)}, ` +
        `episodes detected ${pct(base.episodes_detected / base.episodes)}`,
    ].join("\n"),
  );
}

async function main(): Promise<void> {
  const eventCount = integer("events", 100_000);
  const benign = integer("benign", 100_000);
  const episodes = integer("episodes", 60);
  const seed = integer("seed", 11, 0);
  const cpu = cpus();
  const started = now();
  console.log(
    `prefilter benchmark — ${cpu.length} × ${cpu[0]?.model ?? "cpu"}, Node ${process.version}; ` +
      `command: node dist/bench/prefilter.js ${process.argv.slice(2).join(" ")}`.trimEnd(),
  );
  if (args.get("skip-kafka") !== "true") reportKafka(await kafkaBench(eventCount, seed + 1));
  if (args.get("skip-economy") !== "true") {
    console.log("");
    await economyBench(seed, benign, episodes);
  }
  console.log(`\nwhole run: ${((now() - started) / 1000).toFixed(0)} s`);
}

const role = args.get("role");
if (role === "ceiling") await ceilingRole();
else if (role === "rekey-ceiling") await rekeyCeilingRole();
else {
  const interrupted = (signal: string) => {
    log(`${signal}: cleaning up…`);
    void cleanUp().then(() => process.exit(130));
  };
  process.once("SIGINT", () => interrupted("SIGINT"));
  process.once("SIGTERM", () => interrupted("SIGTERM"));
  try {
    await main();
  } catch (error) {
    process.exitCode = 1;
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  } finally {
    await cleanUp();
  }
}
