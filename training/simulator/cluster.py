"""The cluster: nodes, workloads and the pods and containers they run over the window.

Pod names follow the controllers that create them (Deployment `<name>-<template hash>-<5>`,
StatefulSet `<name>-<ordinal>`, DaemonSet `<name>-<5>`, CronJob `<name>-<scheduled minute>-<5>`),
rollouts replace pods gradually under a new template hash and image tag, and every container has
its own id and start time. Behaviour (which rules fire) lives in the archetypes, not here.
"""

import math
from dataclasses import dataclass, field

import names
from procs import Proc

NS = 1_000_000_000
MINUTE = 60 * NS
HOUR = 3600 * NS
DAY = 24 * HOUR


# --- time patterns ---------------------------------------------------------------------------

def local_hour(t, tz):
    return (t / HOUR + tz) % 24


def traffic_shape(t, tz):
    """User-driven load: low at night, peaking mid-afternoon local time."""
    return 0.22 + 0.78 * (0.5 - 0.5 * math.cos(2 * math.pi * (local_hour(t, tz) - 4.5) / 24)) ** 1.4


def human_shape(t, tz):
    """People at work: almost nothing outside 08:00-19:00 local time, a dip at lunch."""
    hour = local_hour(t, tz)
    if hour < 7.5 or hour > 19.5:
        return 0.02
    return (0.45 if 12 <= hour < 13 else 1.0) * (0.6 if hour < 9 or hour > 18 else 1.0)


SHAPES = {"flat": lambda t, tz: 1.0, "traffic": traffic_shape, "human": human_shape}


def _mean_of(curve):
    return sum(curve(i * 5 * MINUTE, 0.0) for i in range(288)) / 288


SHAPE_MEANS = {name: _mean_of(curve) for name, curve in SHAPES.items()}


def poisson_times(rng, start, end, per_hour, shape="flat", tz=0.0):
    """Event times of a Poisson process averaging per_hour over a day, following the daily shape.

    Sampled by thinning: candidates at the peak rate, each kept with the shape's value at its time.
    """
    times, curve = [], SHAPES[shape]
    if per_hour <= 0 or end <= start:
        return times
    peak = per_hour / SHAPE_MEANS[shape]
    t = start
    while True:
        t += int(rng.expovariate(peak) * HOUR)
        if t >= end:
            return times
        if rng.random() < curve(t, tz):
            times.append(t)


def periodic_times(rng, start, end, period_s, jitter=0.05):
    """A timer such as a probe: fixed period, random phase, a little jitter each time."""
    times, period = [], int(period_s * NS)
    t = start + int(rng.random() * period)
    while t < end:
        times.append(t + int(rng.uniform(-jitter, jitter) * period))
        t += period
    return [x for x in times if start <= x < end]


# --- objects ---------------------------------------------------------------------------------

@dataclass
class Node:
    name: str
    ip: str
    pod_prefix: str
    pool: str = "default"
    allocated: int = 1

    def pod_ip(self):
        self.allocated = self.allocated % 250 + 1
        return f"{self.pod_prefix}{self.allocated + 1}"


class Host:
    """The node itself as an event source: Falco reports container.id=host."""

    def __init__(self, node):
        self.node = node

    def fields(self):
        return {"container.id": "host", "container.name": "host", "container.image.repository": "",
                "container.image.tag": "", "container.start_ts": None, "container.mounts": None,
                "k8s.pod.name": None, "k8s.ns.name": None}


@dataclass(eq=False)
class Container:
    id: str
    name: str
    image: str
    tag: str
    start: int
    pod: "Pod" = None
    privileged: bool = False
    caps: str = ""
    mounts: str = ""

    @property
    def node(self):
        return self.pod.node

    def fields(self):
        pod = self.pod
        return {"container.id": self.id, "container.name": self.name,
                "container.image.repository": self.image, "container.image.tag": self.tag,
                "container.start_ts": self.start, "container.mounts": self.mounts or None,
                "k8s.pod.name": pod.name, "k8s.ns.name": pod.namespace}


@dataclass(eq=False)
class Pod:
    name: str
    namespace: str
    node: Node
    ip: str
    start: int
    end: int
    workload: "Workload"
    containers: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)     # per-pod choices, e.g. which CI job it runs

    @property
    def main(self):
        return self.containers[self.workload.container]

    def alive(self, t):
        return self.start <= t < self.end


@dataclass(eq=False)
class Workload:
    kind: str                 # Deployment, StatefulSet, DaemonSet, CronJob, Job
    name: str
    namespace: str
    archetype: object         # benign.Archetype
    image: str
    tag: str
    replicas: int = 1
    container: str = ""       # main container name
    params: dict = field(default_factory=dict)
    appear_at: int = None     # created during the window (first rollout), else already running
    rollouts_per_day: float = 0.0
    period_s: int = 0         # CronJob schedule period
    offset_s: int = 0         # CronJob schedule offset within the period
    duration_s: tuple = (60, 300)
    meshed: bool = False
    pvc: bool = False
    pool: str = "default"
    pods: list = field(default_factory=list)

    def __post_init__(self):
        self.container = self.container or self.name


@dataclass
class Cluster:
    name: str
    provider: str
    region: str
    tz: float
    start: int
    end: int
    runtime: str = "containerd"
    api_ip: str = "10.96.0.1"
    egress_proxy: str = ""
    imds: bool = True
    registry: str = ""
    mesh_version: str = "1.23.3"
    scale: float = 1.0
    rotated_logs: tuple = ("/var/log/kube-proxy.log",)
    service_names: list = field(default_factory=list)
    attacker_namespaces: list = field(default_factory=list)
    nodes: list = field(default_factory=list)
    workloads: list = field(default_factory=list)

    @property
    def pods(self):
        return [pod for w in self.workloads for pod in w.pods]

    def alive(self, t, predicate=lambda pod: True):
        return [pod for pod in self.pods if pod.alive(t) and predicate(pod)]

    def shim(self, container_id):
        """The runtime process that parents a container's first process."""
        full_id = container_id + "0" * 52
        if self.runtime == "crio":
            return ("conmon", "/usr/bin/conmon",
                    f"conmon -b /run/containers/storage/overlay-containers/{full_id}/userdata -c {full_id} --exit-dir /var/run/crio/exits")
        return ("containerd-shim", "/usr/bin/containerd-shim-runc-v2",
                f"containerd-shim -namespace k8s.io -id {full_id} -address /run/containerd/containerd.sock")

    def ancestry(self, container):
        """Ancestors of a container's first process: the shim, then the host's systemd."""
        return (self.shim(container.id),
                ("systemd", "/usr/lib/systemd/systemd", "systemd --switched-root --system --deserialize 31"))

    def exec_parent(self, container):
        """The process `kubectl exec` and exec probes start from inside the runtime."""
        name, exepath, cmdline = self.shim(container.id)
        return Proc(name=name, exepath=exepath, args=cmdline.split(" ", 1)[1], layer="host",
                    ancestors=self.ancestry(container)[1:])


# --- building the cluster --------------------------------------------------------------------

def make_nodes(rng, cluster, count, pools=(("default", 1.0),)):
    nodes = []
    second = rng.randint(16, 63)
    for index in range(count):
        pool = pools[min(len(pools) - 1, int(index / count * len(pools)))][0]
        ip = f"10.{second}.{rng.randint(0, 255)}.{rng.randint(10, 250)}"
        name = names.node_name(rng, cluster.provider, cluster.name, index, cluster.region, ip)
        # the AWS VPC CNI gives pods addresses from the node's subnet; overlays give each node a /24
        prefix = f"10.{second}.{rng.randint(0, 255)}." if cluster.provider == "eks" else f"10.244.{index}."
        nodes.append(Node(name=name, ip=ip, pod_prefix=prefix, pool=pool))
    cluster.nodes = nodes
    return nodes


def new_tag(rng, workload):
    """In-house images get a new tag on every rollout; third-party images keep theirs."""
    if workload.params.get("third_party"):
        return workload.tag
    style = workload.params.setdefault("tag_style", rng.choice(("sha", "semver", "semver-sha")))
    if style == "sha":
        return names.git_sha(rng, 7)
    if style == "semver":
        return "v" + names.semver(rng)
    return f"{names.semver(rng)}-{names.git_sha(rng, 7)}"


def add_pod(rng, cluster, workload, name, node, start, end, tag, extra=None):
    ip = node.ip if workload.archetype.host_network else node.pod_ip()
    pod = Pod(name=name, namespace=workload.namespace, node=node, ip=ip, start=start,
              end=end, workload=workload, extra=extra or {})
    workload.archetype.make_containers(rng, cluster, workload, pod, tag)
    workload.pods.append(pod)
    return pod


def place(rng, cluster, workload):
    candidates = [n for n in cluster.nodes if n.pool == workload.pool] or cluster.nodes
    return rng.choice(candidates)


def rollout_times(rng, cluster, workload):
    times = poisson_times(rng, cluster.start, cluster.end, workload.rollouts_per_day / 24, "human", cluster.tz)
    if workload.appear_at is not None:
        times = [workload.appear_at] + [t for t in times if t > workload.appear_at + 2 * HOUR]
    return times


def build_replicated(rng, cluster, workload):
    """Deployments and StatefulSets: replicas replaced one by one at each rollout, plus the extra
    replicas an autoscaler adds for the working day."""
    stateful = workload.kind == "StatefulSet"
    versions = [(cluster.start - DAY, names.template_hash(rng), new_tag(rng, workload))]

    def pod_name(ordinal, template):
        return f"{workload.name}-{ordinal}" if stateful else f"{workload.name}-{template}-{names.pod_suffix(rng)}"

    current = []
    if workload.appear_at is None:
        for ordinal in range(workload.replicas):
            started = cluster.start - int(rng.uniform(3 * HOUR, 20 * DAY))
            current.append(add_pod(rng, cluster, workload, pod_name(ordinal, versions[0][1]), place(rng, cluster, workload),
                                   started, cluster.end, versions[0][2]))
    for when in rollout_times(rng, cluster, workload):
        versions.append((when, names.template_hash(rng), new_tag(rng, workload)))
        order = list(range(workload.replicas))[::-1] if stateful else list(range(workload.replicas))
        t = when
        for ordinal in order:
            t += int(rng.uniform(12, 45) * NS)
            if ordinal < len(current):
                current[ordinal].end = t + int(rng.uniform(5, 30) * NS)
            pod = add_pod(rng, cluster, workload, pod_name(ordinal, versions[-1][1]), place(rng, cluster, workload),
                          t, cluster.end, versions[-1][2])
            if ordinal < len(current):
                current[ordinal] = pod
            else:
                current.append(pod)
    if not stateful:
        add_autoscaled(rng, cluster, workload, versions)


def add_autoscaled(rng, cluster, workload, versions):
    """HPA scale-up in the local morning and scale-down in the evening; a rollout replaces them early."""
    extra = workload.params.get("hpa_extra", 0)
    day = cluster.start - cluster.start % DAY - DAY
    while extra and day < cluster.end:
        for _ in range(extra):
            start = day + int(((rng.uniform(7.5, 10.5) - cluster.tz) % 24) * HOUR)
            end = day + int(((rng.uniform(18.0, 22.5) - cluster.tz) % 24) * HOUR)
            if end <= start:
                end += DAY
            live = [v for v in versions if v[0] <= start]
            if not live or end <= cluster.start or start >= cluster.end:
                continue
            _, template, tag = live[-1]
            later = [v[0] for v in versions if start < v[0] < end]
            end = later[0] + int(rng.uniform(15, 60) * NS) if later else end
            add_pod(rng, cluster, workload, f"{workload.name}-{template}-{names.pod_suffix(rng)}",
                    place(rng, cluster, workload), start, end, tag)
        day += DAY


def build_daemonset(rng, cluster, workload):
    tag = new_tag(rng, workload)
    for node in cluster.nodes:
        if workload.pool not in ("all", node.pool):
            continue
        started = cluster.start - int(rng.uniform(1 * DAY, 30 * DAY))
        add_pod(rng, cluster, workload, f"{workload.name}-{names.pod_suffix(rng)}", node, started, cluster.end, tag)


def build_cronjob(rng, cluster, workload):
    """One Job per schedule tick; the Job name carries the scheduled time in minutes."""
    period, offset = workload.period_s * NS, workload.offset_s * NS
    first = cluster.start - cluster.start % period + offset
    if workload.appear_at is not None:
        first = max(first, workload.appear_at)
    t = first
    while t < cluster.end:
        if t >= cluster.start:
            start = t + int(rng.uniform(0.5, 6) * NS)
            end = start + int(rng.uniform(*workload.duration_s) * NS)
            job = f"{workload.name}-{t // MINUTE}"
            add_pod(rng, cluster, workload, f"{job}-{names.pod_suffix(rng)}", place(rng, cluster, workload),
                    start, end, workload.tag)
        t += period


def build_jobs(rng, cluster, workload):
    """Pods created on demand (CI jobs, task pods, notebook servers): the archetype says when and what."""
    for job in workload.archetype.job_arrivals(rng, cluster, workload):
        end = job.get("end") or job["start"] + int(rng.uniform(*workload.duration_s) * NS)
        node = job.get("extra", {}).get("node") or place(rng, cluster, workload)
        add_pod(rng, cluster, workload, job["name"], node, job["start"], end, new_tag(rng, workload), extra=job.get("extra", {}))


BUILDERS = {"Deployment": build_replicated, "StatefulSet": build_replicated, "DaemonSet": build_daemonset,
            "CronJob": build_cronjob, "Job": build_jobs}


def build_pods(rng, cluster):
    for workload in cluster.workloads:
        BUILDERS[workload.kind](rng, cluster, workload)
