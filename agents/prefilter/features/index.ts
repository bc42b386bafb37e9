import { priorityRank, type FalcoEvent } from "../../../contracts/falco.js";
import { KeyedStore, type Stamped } from "./keyed.js";
import { DecayedCounts } from "./rarity.js";
import { furthestStage, tacticMask } from "./tactics.js";
import {
  DEFAULT_API_SERVERS,
  isShellOrInterpreter,
  isWritablePath,
  sensitivePattern,
  shannonEntropy,
} from "./text.js";
import { inContainer, streamOf, text } from "./stream.js";
import { parseEventTime } from "./time.js";
import { PodWindow, TacticWindow, TACTICS_WINDOW_MS } from "./windows.js";

/**
 * The prefilter's 17 features: one class, used by the training export and by the live scorer, so
 * the model is trained on exactly the numbers it is later asked about. features.md documents each.
 * The order is the model's input order; append, never reorder.
 */
export const FEATURE_NAMES: readonly string[] = [
  "priority",
  "rule_rarity",
  "kill_chain_stage",
  "is_container",
  "pod_rate_60s",
  "pod_rate_zscore",
  "pod_distinct_rules_5m",
  "container_distinct_tactics_15m",
  "proc_rarity_in_image",
  "parent_child_rarity_in_image",
  "cmdline_length",
  "cmdline_entropy",
  "is_shell_or_interpreter",
  "is_root",
  "has_tty",
  "exe_in_writable_path",
  "sensitive_target",
];
export const FEATURE_COUNT = 17;

/** The value of a feature whose Falco fields the event does not carry (a k8s_audit event has no proc). */
export const UNKNOWN = -1;

export interface Capacity {
  streams: number;
  pods: number;
  containers: number;
  rules: number;
  images: number;
  processes: number;
  pairs: number;
}

export const DEFAULT_CAPACITY: Capacity = {
  streams: 10_000,
  pods: 10_000,
  containers: 10_000,
  rules: 65_536,
  images: 4_096,
  processes: 65_536,
  pairs: 65_536,
};

export interface FeatureOptions {
  /** The API server's Service address(es) as `ip:port`; defaults cover common distributions. */
  apiServers?: readonly string[];
  capacity?: Partial<Capacity>;
}

/**
 * A stream is forgotten, clock and all, after a week of silence by the latest time its process has
 * seen. Everything else is forgotten by its own stream's time, so a process reading a backlog, where
 * one partition runs hours or days of event time ahead of another (a consumer fetches as many bytes
 * from each, whatever time they span), forgets nothing sooner than a process reading one partition.
 */
export const STREAM_IDLE_MS = 7 * 86_400_000;
/** A pod is forgotten after an hour of silence: long enough to keep its baseline across lulls. */
export const POD_IDLE_MS = 60 * 60_000;
const SWEEP_EVERY_MS = 60_000;
// Key prefixes that no Kubernetes namespace can take (they hold a NUL), for pod-less events.
const BY_CONTAINER = "\u0000container";
const BY_HOST = "\u0000host";

type Fields = FalcoEvent["output_fields"];

/** A numeric field; NaN when absent or not a number. */
function numeric(fields: Fields, name: string): number {
  const value = fields[name];
  if (typeof value === "number") return value;
  return typeof value === "string" && value.trim() !== "" ? Number(value) : Number.NaN;
}

const flag = (fields: Fields, name: string): boolean => fields[name] === true || fields[name] === "true";

export class FeatureExtractor {
  /** Each stream's clock: the latest event time it has seen (stream.ts). */
  readonly #streams: KeyedStore<Stamped>;
  readonly #pods: KeyedStore<PodWindow>;
  readonly #containers: KeyedStore<TacticWindow>;
  readonly #rules: DecayedCounts;
  readonly #processes: DecayedCounts;
  readonly #pairs: DecayedCounts;
  readonly #targets: RegExp;
  #clock = Number.NEGATIVE_INFINITY;
  #nextSweep = Number.NEGATIVE_INFINITY;
  #sweeps = 0;

  constructor(options: FeatureOptions = {}) {
    const cap = { ...DEFAULT_CAPACITY, ...options.capacity };
    this.#streams = new KeyedStore(cap.streams, STREAM_IDLE_MS, (now) => ({ lastSeen: now }));
    this.#pods = new KeyedStore(cap.pods, POD_IDLE_MS, (now) => new PodWindow(now));
    this.#containers = new KeyedStore(cap.containers, TACTICS_WINDOW_MS, (now) => new TacticWindow(now));
    this.#rules = new DecayedCounts(cap.rules, cap.images);
    this.#processes = new DecayedCounts(cap.processes, cap.images);
    this.#pairs = new DecayedCounts(cap.pairs, cap.images);
    this.#targets = sensitivePattern(options.apiServers ?? DEFAULT_API_SERVERS);
  }

  /** Writes the event's 17 features into `out` and counts the event into the windows. */
  extract(event: FalcoEvent, out: Float64Array): void {
    if (out.length < FEATURE_COUNT) throw new RangeError(`features need ${FEATURE_COUNT} slots`);
    const f = event.output_fields;
    const container = text(f, "container.id");
    const contained = inContainer(container);
    const image = text(f, "container.image.repository");
    // Every store below is keyed within the event's stream, and time runs per stream (stream.ts).
    const stream = streamOf(image, container, event.hostname);
    const now = this.#advance(stream, event.time);
    const namespace = text(f, "k8s.ns.name");
    const podName = text(f, "k8s.pod.name");
    // The pod, else its container, else the node: every event lands in some window.
    const hasPod = namespace !== null && podName !== null;
    const podA = hasPod ? namespace : contained ? BY_CONTAINER : BY_HOST;
    const podB = hasPod ? podName : contained ? container : event.hostname;
    const mask = tacticMask(event.tags);

    out[0] = priorityRank(event.priority);
    out[1] = this.#rules.observe(stream, event.rule, "", now);
    out[2] = furthestStage(mask);
    out[3] = container === null ? UNKNOWN : contained ? 1 : 0;

    const pod = this.#pods.get(stream, podA, podB, now);
    pod.lastSeen = now;
    const rate = pod.countEvent(now);
    out[4] = rate;
    out[5] = pod.zScore(rate);
    out[6] = pod.countRule(event.rule, now);
    const tactics = contained
      ? this.#containers.get(stream, BY_CONTAINER, container, now)
      : this.#containers.get(stream, podA, podB, now);
    tactics.lastSeen = now;
    out[7] = tactics.count(mask, now);

    const name = text(f, "proc.name");
    // A host's processes are counted within the host's stream, so a rare host binary still shows.
    const known = name !== null && (image !== null || container === "host");
    out[8] = known ? this.#processes.observe(stream, name, "", now) : UNKNOWN;
    out[9] = known ? this.#pairs.observe(stream, text(f, "proc.pname") ?? "", name, now) : UNKNOWN;

    const cmdline = text(f, "proc.cmdline");
    out[10] = cmdline === null ? UNKNOWN : cmdline.length;
    out[11] = cmdline === null ? UNKNOWN : shannonEntropy(cmdline);
    out[12] = name === null ? UNKNOWN : isShellOrInterpreter(name) ? 1 : 0;
    out[13] = this.#root(f);
    const tty = numeric(f, "proc.tty");
    out[14] = Number.isFinite(tty) ? (tty !== 0 ? 1 : 0) : UNKNOWN;
    out[15] = this.#writable(f);
    out[16] = this.#sensitive(text(f, "fd.name"), cmdline);
  }

  /**
   * The stream's event time, held monotonic: a late event counts at the latest time its stream has
   * seen, so windows never rewind (an event without a readable time, too). Sweeps run on the latest
   * time of all streams and drop each stream's idle entries by that stream's own time; they only
   * free memory, since an idle entry is forgotten anyway when next asked for.
   */
  #advance(stream: string, time: string): number {
    const t = parseEventTime(time);
    const clock = this.#streams.get(stream, "", "", Number.isNaN(t) ? 0 : t);
    const now = Number.isNaN(t) ? clock.lastSeen : Math.max(clock.lastSeen, t);
    clock.lastSeen = now;
    if (now > this.#clock) this.#clock = now;
    this.#sweep(this.#clock);
    return now;
  }

  readonly #clockOf = (stream: string): number | undefined => this.#streams.peek(stream, "", "")?.lastSeen;

  #sweep(now: number): void {
    if (now >= this.#nextSweep) {
      // One store per minute of event time, in turn: each is swept every five minutes, well
      // within its idle limit, and no single event pays for sweeping all five. Each stream's
      // entries go by the stream's own time: a process reading several partitions may be far
      // ahead in one of them, and what is idle in one stream is not in another.
      const turn = this.#sweeps++ % 5;
      const clockOf = this.#clockOf;
      if (turn === 0) {
        this.#pods.sweep(now, clockOf);
        this.#streams.sweep(now);
      } else if (turn === 1) this.#containers.sweep(now, clockOf);
      else if (turn === 2) this.#rules.sweep(now, clockOf);
      else if (turn === 3) this.#processes.sweep(now, clockOf);
      else this.#pairs.sweep(now, clockOf);
      this.#nextSweep = now + SWEEP_EVERY_MS;
    }
  }

  /** 1 for uid 0, 0 for another uid; the user name decides when Falco had no uid. */
  #root(f: Fields): number {
    const uid = numeric(f, "user.uid");
    if (Number.isFinite(uid) && uid >= 0) return uid === 0 ? 1 : 0;
    const user = text(f, "user.name");
    return user === null ? UNKNOWN : user === "root" ? 1 : 0;
  }

  #writable(f: Fields): number {
    // Falco's own verdicts first (overlayfs upper layer, memfd, writable by the user), then the path.
    if (flag(f, "proc.is_exe_upper_layer") || flag(f, "proc.is_exe_from_memfd")) return 1;
    if (flag(f, "proc.is_exe_writable")) return 1;
    const exe = text(f, "proc.exepath") ?? text(f, "proc.exe");
    if (exe !== null) return isWritablePath(exe) ? 1 : 0;
    return f["proc.is_exe_upper_layer"] === false ? 0 : UNKNOWN;
  }

  #sensitive(fd: string | null, cmdline: string | null): number {
    if (fd === null && cmdline === null) return UNKNOWN;
    return this.#touches(fd) || this.#touches(cmdline) ? 1 : 0;
  }

  #touches(target: string | null): boolean {
    return target !== null && this.#targets.test(target);
  }

  /** Entries held per store: what the bounded-memory guarantees are about. */
  sizes(): Record<keyof Capacity, number> {
    return {
      streams: this.#streams.size,
      pods: this.#pods.size,
      containers: this.#containers.size,
      rules: this.#rules.size.values,
      images: this.#processes.size.populations,
      processes: this.#processes.size.values,
      pairs: this.#pairs.size.values,
    };
  }
}
