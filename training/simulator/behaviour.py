"""How workloads behave: archetypes, their activities, and when activities happen.

An archetype is a kind of software (a PHP site, a Crunchy Postgres, a GitLab CI job pod, ...).
Each workload built from it owns a few parameters chosen once (its ports, command lines, script
names), so every workload has its own stable set of rules, rates and command lines. An activity
pairs a trigger (a timer, a Poisson rate following the day, the container's start) with a function
that returns the alerts Falco would raise for what the software does at that moment.
"""

from dataclasses import dataclass

import names
from cluster import NS, Container, poisson_times, periodic_times
from procs import PTS0, Proc


@dataclass
class Emit:
    """One alert before rendering: when, which rule, which container or node, which field values."""
    t: int
    rule: str
    target: object
    values: dict
    label: str = "benign"


@dataclass
class Ctx:
    """What an activity function sees: the cluster, the workload, the pod and its main container."""
    cluster: object
    workload: object
    pod: object
    container: object

    @property
    def params(self):
        return self.workload.params


# --- triggers --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Every:
    """A timer such as an exec probe or a periodic job inside the container."""
    period_s: object           # seconds, or a params key holding the seconds

    def times(self, rng, ctx, start, end):
        period = self.period_s if isinstance(self.period_s, (int, float)) else ctx.params[self.period_s]
        return periodic_times(rng, start, end, period / ctx.cluster.scale)


@dataclass(frozen=True)
class Rate:
    """Poisson arrivals averaging per_hour (or params[per_hour]) over a day, shaped by traffic or people."""
    per_hour: object
    shape: str = "traffic"

    def times(self, rng, ctx, start, end):
        rate = self.per_hour if isinstance(self.per_hour, (int, float)) else ctx.params[self.per_hour]
        return poisson_times(rng, start, end, rate * ctx.cluster.scale, self.shape, ctx.cluster.tz)


@dataclass(frozen=True)
class OnStart:
    """Once when the container starts (if the start falls in the window), after a short delay."""
    delay_s: tuple = (0.2, 3.0)

    def times(self, rng, ctx, start, end):
        began = ctx.container.start
        if not start <= began < end:
            return []
        return [began + int(rng.uniform(*self.delay_s) * NS)]


@dataclass(frozen=True)
class Activity:
    trigger: object
    run: object                # function(ctx, rng, t) -> list[Emit]
    trait: str = ""            # when set, only workloads whose params["traits"] name it do this


# --- archetypes ------------------------------------------------------------------------------

@dataclass
class Archetype:
    """A kind of software and what it does; see module docstring."""
    key: str
    image: str = ""                     # third-party repository; empty for in-house images
    tag: str = "latest"
    user: object = None                 # procs.User the main process runs as
    main: tuple = ("app", "/app/app", "")
    cwd: str = "/"
    shell: object = ("sh", "/bin/sh")   # what `kubectl exec -it` starts; None when there is none
    pkg: str = ""                       # package manager an engineer would reach for
    distro: str = "debian"
    activities: tuple = ()
    privileged: bool = False
    host_network: bool = False
    caps: str = ""
    mounts: str = ""
    job_arrivals: object = None         # for Jobs: function(rng, cluster, workload) -> [{start, end, name, extra}]

    def make_containers(self, rng, cluster, workload, pod, tag):
        """Main container, plus the mesh's init and proxy containers when the namespace is meshed."""
        image = workload.image
        begin = pod.start + int(rng.uniform(0.5, 2.5) * NS)
        if workload.meshed:
            pod.containers["istio-init"] = Container(
                id=names.container_id(rng), name="istio-init", image="docker.io/istio/proxyv2",
                tag=cluster.mesh_version, start=begin, pod=pod, caps="CAP_NET_ADMIN CAP_NET_RAW")
            begin += int(rng.uniform(0.8, 2.0) * NS)
            pod.containers["istio-proxy"] = Container(
                id=names.container_id(rng), name="istio-proxy", image="docker.io/istio/proxyv2",
                tag=cluster.mesh_version, start=begin, pod=pod)
        pod.containers[workload.container] = Container(
            id=names.container_id(rng), name=workload.container, image=image, tag=tag,
            start=begin + int(rng.uniform(0.2, 1.5) * NS), pod=pod, privileged=self.privileged,
            caps=self.caps, mounts=self.mounts)


def main_proc(ctx, **changes):
    """The container's first process, child of the runtime shim."""
    archetype = ctx.workload.archetype
    name, exepath, args = (part.format(**ctx.params) for part in archetype.main)
    proc = Proc(name=name, exepath=exepath, args=args, user=archetype.user,
                cwd=archetype.cwd, env=container_env(ctx), ancestors=ctx.cluster.ancestry(ctx.container))
    return proc.with_(**changes) if changes else proc


def exec_proc(ctx, name, exepath, args="", tty=0, user=None):
    """A process started by `kubectl exec` or an exec probe: its parent is the runtime, not the app."""
    parent = ctx.cluster.exec_parent(ctx.container)
    return parent.spawn(name, exepath, args, user=user or ctx.workload.archetype.user, tty=tty,
                        loginuid=-1, cwd=ctx.workload.archetype.cwd, sname="", env=container_env(ctx),
                        layer="lower")


def container_env(ctx):
    """A short proc.env; in clusters behind an egress proxy every pod carries the proxy variables."""
    env = f"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOSTNAME={ctx.pod.name}"
    if ctx.cluster.egress_proxy:
        proxy = ctx.cluster.egress_proxy
        env += f" HTTP_PROXY={proxy} HTTPS_PROXY={proxy} NO_PROXY=.svc,.cluster.local,10.0.0.0/8"
    return env + f" KUBERNETES_SERVICE_HOST={ctx.cluster.api_ip} KUBERNETES_SERVICE_PORT=443"


def fetch_rule(ctx, proc_name):
    """curl/wget with HTTP_PROXY in the environment hit the proxy rule first (it loads earlier)."""
    if ctx.cluster.egress_proxy and proc_name in ("curl", "wget"):
        return "Program run with disallowed http proxy env"
    return "Launch Ingress Remote File Copy Tools in Container"


def shell_tty(rng):
    return PTS0 + rng.randint(0, 3)


def emits_for(rng, cluster, workload, pod, start, end):
    """Every benign alert one pod's main container raises between start and end."""
    ctx = Ctx(cluster, workload, pod, pod.main)
    out = []
    lo, hi = max(start, pod.start), min(end, pod.end)
    for activity in workload.archetype.activities:
        if activity.trait and activity.trait not in workload.params.get("traits", ()):
            continue
        for t in activity.trigger.times(rng, ctx, lo, hi):
            out.extend(activity.run(ctx, rng, t))
    return out
