#!/usr/bin/env python3
"""Simulate a Kubernetes cluster's Falco alerts, as falcosidekick forwards them, with ground truth.

    python3 simulate.py --profile saas-web --seed 7 --hours 24 --out events.jsonl --labels labels.jsonl
    python3 simulate.py --list-profiles

Writes one falcosidekick JSON object per line, sorted by time, and a parallel labels file saying
for each event whether it is benign or which attack episode (ep-0003-<kind>) it belongs to. The
same profile, seed and arguments always give byte-identical files.
"""

import argparse
import json
import os
import random
import sys
import time
from collections import Counter
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rules as ruleset                                          # noqa: E402
from attacks import plan_episodes                                # noqa: E402
from behaviour import emits_for                                  # noqa: E402
from cluster import NS, build_pods                               # noqa: E402
from hostnoise import host_emits, pod_start_emits                # noqa: E402
from names import uuid4                                          # noqa: E402
from people import people_emits                                  # noqa: E402
from profiles import PROFILES, build_cluster                     # noqa: E402


def parse_time(text):
    return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()) * NS


def rfc3339(t):
    seconds, nanos = divmod(t, NS)
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos:09d}Z"


def clock(t):
    seconds, nanos = divmod(t, NS)
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%H:%M:%S") + f".{nanos:09d}"


def generate(profile_name, seed, hours=24.0, start="2026-11-23T00:00:00Z", scale=1.0, episodes=None, rules_dir=None):
    """Return (events, labels, episodes) for one simulated window.

    Every part of the simulation draws from its own generator seeded by (seed, profile, part),
    so changing, say, the number of episodes leaves the benign traffic untouched.
    """
    rules = ruleset.load_rules(rules_dir)
    profile = PROFILES[profile_name]

    def rng(part):
        return random.Random(f"{seed}:{profile_name}:{part}")

    cluster = build_cluster(rng("cluster"), profile, parse_time(start), hours, scale)
    build_pods(rng("pods"), cluster)
    emits = []
    benign = rng("workloads")
    for workload in cluster.workloads:
        for pod in workload.pods:
            emits.extend(emits_for(benign, cluster, workload, pod, cluster.start, cluster.end))
    emits.extend(pod_start_emits(rng("pod-starts"), cluster))
    emits.extend(host_emits(rng("hosts"), cluster, profile.host_activities))
    emits.extend(people_emits(rng("people"), cluster, profile.sessions_per_day, profile.copies_per_day, profile.ssh_per_day))
    count = round(profile.episodes_per_day * hours / 24) if episodes is None else episodes
    planned = plan_episodes(rng("attacks"), cluster, count, dict(profile.episode_weights))
    for episode in planned:
        emits.extend(episode.emits)

    emits = sorted((e for e in emits if cluster.start <= e.t < cluster.end), key=lambda e: e.t)
    ids = rng("uuid")
    events, labels = [], []
    for emit in emits:
        event = to_falcosidekick(rules[emit.rule], emit, uuid4(ids))
        events.append(event)
        labels.append({"uuid": event["uuid"], "label": emit.label})
    kept = {label["label"] for label in labels}
    return events, labels, [e for e in planned if e.id in kept]


def to_falcosidekick(rule, emit, event_uuid):
    """The JSON falcosidekick forwards for one Falco alert."""
    if not rule.enabled:
        raise ValueError(f"rule {rule.name!r} is disabled in the official ruleset")
    values = dict(emit.target.fields())
    values.update(emit.values)
    message, fields = ruleset.render(rule, values)
    return {
        "uuid": event_uuid,
        "output": f"{clock(emit.t)}: {rule.priority} {message}",
        "priority": rule.priority,
        "rule": rule.name,
        "time": rfc3339(emit.t),
        "source": rule.source,
        "tags": sorted(rule.tags),
        "hostname": emit.target.node.name,
        "output_fields": fields,
    }


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, separators=(",", ":"), ensure_ascii=False) + "\n")


def summary(profile, events, labels, episodes, seconds):
    """Human-readable statistics for one run."""
    benign = sum(1 for l in labels if l["label"] == "benign")
    per_episode = Counter(l["label"] for l in labels if l["label"] != "benign")
    sizes = sorted(per_episode.values())
    priorities = Counter(e["priority"] for e in events)
    order = ("Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug")
    lines = [f"profile {profile}: {len(events)} events, {benign} benign, {len(episodes)} episodes, {seconds:.1f} s",
             f"  events per episode: min {sizes[0] if sizes else 0}, median {sizes[len(sizes) // 2] if sizes else 0}, "
             f"max {sizes[-1] if sizes else 0}, total {sum(sizes)}",
             "  priorities: " + ", ".join(f"{p} {priorities[p]}" for p in order if priorities[p]),
             "  top rules:"]
    lines += [f"    {n:7d}  {rule}" for rule, n in Counter(e["rule"] for e in events).most_common(10)]
    lines.append("  episodes: " + ", ".join(f"{e.id}({per_episode[e.id]})" for e in episodes))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--profile", choices=sorted(PROFILES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--start", default="2026-11-23T00:00:00Z", help="window start, UTC, e.g. 2026-11-23T00:00:00Z")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies benign rates (probes, jobs, sessions)")
    parser.add_argument("--episodes", type=int, help="number of attack episodes (default: the profile's ~25 per 24 h)")
    parser.add_argument("--out", help="events JSONL path")
    parser.add_argument("--labels", help="labels JSONL path")
    parser.add_argument("--rules-dir", help="directory holding falco_rules.yaml and friends")
    parser.add_argument("--stats", action="store_true", help="print a summary of the run to stderr")
    parser.add_argument("--list-profiles", action="store_true")
    args = parser.parse_args(argv)

    if args.list_profiles:
        for name in sorted(PROFILES):
            print(f"{name:16} {PROFILES[name].summary}")
        return 0
    if not (args.profile and args.out and args.labels):
        parser.error("--profile, --out and --labels are required")
    began = time.perf_counter()
    events, labels, episodes = generate(args.profile, args.seed, args.hours, args.start, args.scale, args.episodes, args.rules_dir)
    write_jsonl(args.out, events)
    write_jsonl(args.labels, labels)
    if args.stats:
        print(summary(args.profile, events, labels, episodes, time.perf_counter() - began), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
