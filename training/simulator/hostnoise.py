"""Alerts from the nodes themselves and from node agents reacting to pods starting.

Host processes (container.id=host) are few and regular: logrotate's nightly copytruncate, an
integrity scanner reading /etc/shadow, unattended upgrades setting setuid bits. Node agents react
to pod churn: Cilium loads BPF programs for every new endpoint, the Istio init container needs
NET_ADMIN, the Ceph CSI plugin mounts volumes. These make deploy bursts visible in the alerts.
"""

import names
from behaviour import Emit, main_proc, Ctx
from cluster import DAY, HOUR, Host, periodic_times
from procs import OPEN_TRUNC, Proc, execve, openat, syscall
from workloads import ms

SYSTEMD = ("systemd", "/usr/lib/systemd/systemd", "systemd --switched-root --system --deserialize 31")


def host_proc(name, exepath, args="", parents=(SYSTEMD,), **changes):
    return Proc(name=name, exepath=exepath, args=args, layer="host", ancestors=parents, **changes)


def daily_times(rng, cluster, local_hour, spread_h):
    """One time per day at a local hour, spread like a systemd timer's RandomizedDelaySec."""
    t = cluster.start + int(((local_hour - cluster.tz) % 24) * HOUR)
    times = []
    while t < cluster.end:
        times.append(t + int(rng.uniform(0, spread_h) * HOUR))
        t += DAY
    return [x for x in times if cluster.start <= x < cluster.end]


def logrotate(cluster, node, rng, t):
    """copytruncate rotation of node logs that daemons keep open."""
    proc = host_proc("logrotate", "/usr/sbin/logrotate", "/etc/logrotate.conf")
    files = rng.sample(cluster.rotated_logs, rng.randint(1, len(cluster.rotated_logs)))
    return [Emit(t + i * ms(rng, 5, 400), "Clear Log Activities", Host(node), openat(proc, path, OPEN_TRUNC))
            for i, path in enumerate(files)]


def integrity_scan(cluster, node, rng, t):
    """A host integrity agent hashing credential files on its schedule."""
    proc = host_proc("wazuh-syscheckd", "/var/ossec/bin/wazuh-syscheckd")
    files = ["/etc/shadow", "/etc/sudoers"] + [f"/etc/pam.d/{f}" for f in rng.sample(("common-auth", "sshd", "sudo", "login", "su"), 3)]
    return [Emit(t + i * ms(rng, 2, 60), "Read sensitive file untrusted", Host(node), openat(proc, path))
            for i, path in enumerate(files)]


def unattended_upgrade(cluster, node, rng, t):
    """Security updates replacing sudo: dpkg sets the setuid bit on the new binary."""
    if rng.random() > 0.25:
        return []
    upgrader = host_proc("unattended-upgr", "/usr/bin/python3.12", "/usr/bin/unattended-upgrade")
    dpkg = upgrader.spawn("dpkg", "/usr/bin/dpkg", "--status-fd 10 --no-triggers --unpack --auto-deconfigure /var/cache/apt/archives/sudo_1.9.15p5-3ubuntu5.24.04.1_amd64.deb",
                          layer="host")
    values = syscall(dpkg, "fchmodat", **{"evt.arg.filename": "/usr/bin/sudo.dpkg-new", "evt.arg.fd": None,
                                          "evt.arg.mode": "S_IXOTH|S_IXGRP|S_IXUSR|S_IRUSR|S_ISUID"})
    return [Emit(t, "Set Setuid or Setgid bit", Host(node), values)]


HOST_ACTIVITIES = {
    "logrotate": (lambda rng, c: daily_times(rng, c, 0.0, 1.0), logrotate),
    "integrity": (lambda rng, c: periodic_times(rng, c.start, c.end, 12 * 3600), integrity_scan),
    "upgrades": (lambda rng, c: daily_times(rng, c, 6.0, 1.0), unattended_upgrade),
}


def host_emits(rng, cluster, enabled):
    out = []
    for node in cluster.nodes:
        for key in enabled:
            when, run = HOST_ACTIVITIES[key]
            for t in when(rng, cluster):
                out.extend(run(cluster, node, rng, t))
    return out


# --- reactions to pods starting --------------------------------------------------------------

def agents_by_node(cluster, archetype_key):
    found = {}
    for pod in cluster.pods:
        if pod.workload.archetype.key == archetype_key:
            found.setdefault(pod.node.name, []).append(pod)
    return found


def agent_on(agents, node, t):
    for pod in agents.get(node.name, ()):
        if pod.alive(t):
            return pod
    return None


def cilium_endpoint(cluster, rng, pod, agent):
    """A new endpoint gets its datapath compiled and loaded: several BPF_PROG_LOAD calls."""
    proc = main_proc(Ctx(cluster, agent.workload, agent, agent.main))
    t = pod.start + ms(rng, 150, 1800)
    return [Emit(t + i * ms(rng, 1, 60), "BPF Program Not Profiled", agent.main,
                 syscall(proc, "bpf", res=str(rng.randint(20, 90)), **{"evt.arg.cmd": "BPF_PROG_LOAD"}))
            for i in range(rng.randint(2, 4))]


def istio_init(cluster, rng, pod):
    """istio-init runs `pilot-agent istio-iptables` with NET_ADMIN and NET_RAW to set up redirection."""
    container = pod.containers["istio-init"]
    proc = Proc("pilot-agent", "/usr/local/bin/pilot-agent",
                "istio-iptables -p 15001 -z 15006 -u 1337 -m REDIRECT -i * -x  -b * -d 15090,15021,15020 --log_output_level=default:info",
                ancestors=cluster.ancestry(container))
    values = execve(proc, **{"thread.cap_permitted": container.caps})
    return [Emit(container.start + ms(rng, 0, 30), "Launch Excessively Capable Container", container, values)]


def csi_mount(cluster, rng, pod, agent):
    """The RBD node plugin stages the volume, then bind-mounts it into the pod: two mount(8) runs."""
    plugin = main_proc(Ctx(cluster, agent.workload, agent, agent.main))
    image_id = names.uuid4(rng)
    staging = (f"/var/lib/kubelet/plugins/kubernetes.io/csi/rook-ceph.rbd.csi.ceph.com/{names.hex_string(rng, 64)}/globalmount/"
               f"0001-0009-rook-ceph-0000000000000002-{image_id}")
    target = f"/var/lib/kubelet/pods/{names.uuid4(rng)}/volumes/kubernetes.io~csi/pvc-{names.uuid4(rng)}/mount"
    t = pod.start - ms(rng, 800, 4000)
    out = []
    for index, args in enumerate((f"-t ext4 -o _netdev,discard /dev/rbd{rng.randint(0, 15)} {staging}", f"-o bind,_netdev {staging} {target}")):
        mount = plugin.spawn("mount", "/usr/bin/mount", args)
        out.append(Emit(t + index * ms(rng, 20, 600), "Mount Launched in Privileged Container", agent.main, execve(mount)))
    return out


def pod_start_emits(rng, cluster):
    """Alerts that node agents raise because a pod started on their node during the window."""
    cilium = agents_by_node(cluster, "cilium")
    csi = agents_by_node(cluster, "csi-rbdplugin")
    out = []
    for pod in cluster.pods:
        if not cluster.start <= pod.start < cluster.end:
            continue
        agent = agent_on(cilium, pod.node, pod.start)
        if agent is not None and agent is not pod:
            out.extend(cilium_endpoint(cluster, rng, pod, agent))
        if "istio-init" in pod.containers:
            out.extend(istio_init(cluster, rng, pod))
        agent = agent_on(csi, pod.node, pod.start)
        if pod.workload.pvc and agent is not None:
            out.extend(csi_mount(cluster, rng, pod, agent))
    return out
