import type { FalcoAlert } from "./alert.js";
import { planEpisode, type EpisodeKind } from "./attacks.js";
import { copiesOf, DEFAULT_MIX, PROFILE_NAMES, type Mix, type ProfileName } from "./mix.js";
import { batchProfile } from "./jobs.js";
import { ciProfile, engineerProfile } from "./people.js";
import { Rng } from "./prng.js";
import { K8S_SUFFIX, ROOT, container, proc, type Planned } from "./scenario.js";
import { databaseProfile, nodeProfile, operatorProfile, webProfile } from "./services.js";
import { DAY, Stream, streamSeed, type Profile } from "./stream.js";
import { BATCH_NODES, clusterOf, podIp, type Cluster, type Workload } from "./workloads.js";

/**
 * The labelled corpus: days of benign alerts from a mid-sized cluster's workload profiles (web
 * servers, databases, operators on the API server, CronJobs, CI runners, engineers debugging, the
 * nodes themselves) with attack episodes laid over them, every alert in falcosidekick's form (with
 * a uuid) and in time order. It feeds training, the prefilter's evaluation and the benches.
 *
 * Exactly `benign` benign alerts (about 40 000 a day, 1.3 % of them at Warning or above: CI jobs,
 * engineers, node maintenance), and `episodes` episodes of 1–4 alerts each, labelled
 * `ep-0007-memfd` and so on. The same options always give the same alerts.
 */

export interface CorpusOptions {
  seed: number;
  benign: number;
  episodes: number;
  start: Date;
  /** Which profiles run, how many copies of each, and which attack kinds: the default mix unless given. */
  mix?: Mix;
}

export interface CorpusItem {
  event: FalcoAlert;
  /** "benign", or the id of the attack episode the alert belongs to. */
  label: string;
}

export const DEFAULT_CORPUS_START = new Date("2026-11-23T00:00:00Z");

export function episodeLabel(index: number, kind: EpisodeKind): string {
  return `ep-${String(index).padStart(4, "0")}-${kind}`;
}

const byTime = (a: Planned<string>, b: Planned<string>) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0);

function check({ seed, benign, episodes, start }: CorpusOptions): void {
  if (!Number.isSafeInteger(seed)) throw new RangeError("seed must be an integer");
  if (!Number.isSafeInteger(benign) || benign < 1) throw new RangeError("benign must be a positive integer");
  if (!Number.isSafeInteger(episodes) || episodes < 0) throw new RangeError("episodes must be 0 or more");
  if (Number.isNaN(start.getTime())) throw new RangeError("start must be a valid date");
}

const makers: Record<ProfileName, (stream: Stream, cluster: Cluster) => Profile> = {
  web: webProfile,
  database: databaseProfile,
  operator: operatorProfile,
  node: (stream) => nodeProfile(stream),
  batch: (stream) => batchProfile(stream),
  ci: (stream) => ciProfile(stream),
  engineer: engineerProfile,
};

/** Runs the benign profiles a day at a time until `benign` alerts fall before the end of a day. */
function planBenign(
  { seed, benign, mix = DEFAULT_MIX }: CorpusOptions,
  startMs: number,
  startNs: bigint,
  cluster: Cluster,
) {
  const streams: Stream[] = [];
  const profiles: Profile[] = [];
  PROFILE_NAMES.forEach((name, i) => {
    for (let copy = 0; copy < copiesOf(mix, name); copy++) {
      // The first copy of profile i draws from stream i + 1, as the default mix always has; more
      // copies from streams of their own, clear of the attacks' (8) and the uuids' (9).
      const stream = new Stream(seed, copy === 0 ? i + 1 : 100 + 10 * i + copy, startNs, startMs);
      streams.push(stream);
      profiles.push(makers[name](stream, cluster));
    }
  });
  // A profile's events of day d all come at or after the start of day d (some spill past its end),
  // so once `benign` alerts precede the end of the last day run, none can be missing before them.
  for (let day = 0; ; day++) {
    for (const profile of profiles) profile.run(day * DAY, (day + 1) * DAY);
    const end = startNs + BigInt((day + 1) * DAY) * 1_000_000_000n;
    let before = 0;
    for (const stream of streams) for (const item of stream.plan.items) if (item.ns < end) before++;
    if (before >= benign) break;
  }
  return streams
    .flatMap((stream) => stream.plan.items)
    .sort(byTime)
    .slice(0, benign);
}

/** Half the escapes start from a privileged debug pod the attacker made; the rest from any workload. */
function victimFor(kind: EpisodeKind, stream: Stream, cluster: Cluster): Workload {
  if ((kind === "kmod" || kind === "release-agent") && stream.rng.chance(0.5)) {
    const node = stream.rng.pick(BATCH_NODES);
    const pod = `node-debugger-${node}-${stream.rng.chars(5, K8S_SUFFIX)}`;
    return {
      on: container(stream.rng, ["default", pod, "debugger", "docker.io/library/ubuntu", "24.04", node]),
      main: proc("sleep", "sleep infinity", "containerd-shim", "/usr/bin/sleep", ROOT),
      ip: podIp(stream.rng, node),
    };
  }
  return stream.rng.pick(cluster.all);
}

/** Every alert of the corpus, planned but not yet built, in time order. */
export function planCorpus(options: CorpusOptions): Planned<string>[] {
  check(options);
  const startMs = options.start.getTime();
  const startNs = BigInt(startMs) * 1_000_000n;
  const cluster = clusterOf(new Rng(streamSeed(options.seed, 0)));
  const benign = planBenign(options, startMs, startNs, cluster);
  const last = benign[benign.length - 1]?.ns ?? startNs;
  const span = Number(last - startNs) / 1e9;

  // The mix's kinds in rotation from a random offset: each occurs once per round.
  const kinds = (options.mix ?? DEFAULT_MIX).episodes;
  const attacks = new Stream(options.seed, 8, startNs, startMs);
  const offset = attacks.rng.int(0, kinds.length - 1);
  for (let i = 0; i < options.episodes; i++) {
    const kind = kinds[(i + offset) % kinds.length] ?? "shell";
    const victim = victimFor(kind, attacks, cluster);
    planEpisode(attacks, episodeLabel(i + 1, kind), kind, victim, span * attacks.uniform(0.03, 0.97));
  }
  return [...benign, ...attacks.plan.items].sort(byTime);
}

/** The corpus one alert at a time, for writers that should not hold it all in memory. */
export function* corpusItems(options: CorpusOptions): Generator<CorpusItem> {
  const plan = planCorpus(options);
  // uuids come from their own stream, in time order, as falcosidekick gives them on arrival.
  const uuids = new Rng(streamSeed(options.seed, 9));
  for (const item of plan) yield { event: item.build(uuids.uuid()), label: item.label };
}

export function generateCorpus(options: CorpusOptions): CorpusItem[] {
  return [...corpusItems(options)];
}
