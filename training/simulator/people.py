"""Engineers at work: `kubectl exec` debugging, `kubectl cp`, `kubectl debug node/...`, ssh to nodes.

People cause the alerts that look most like intrusions: interactive shells, package installs,
curl downloads, reading /proc/1/environ, tcpdump, strace, nsenter into the host. They come in
working hours, mostly into the pods their team owns, and end with bash rewriting its history file.
"""

import names
from behaviour import Archetype, Activity, Ctx, Emit, OnStart, exec_proc, fetch_rule, shell_tty
from cluster import Host, poisson_times
from hostnoise import SYSTEMD, host_proc
from procs import OPEN_TRUNC, ROOT, Proc, User, execve, openat, syscall
from workloads import ms, secs

RECON = {"id": "/usr/bin/id", "whoami": "/usr/bin/whoami", "uname": "/usr/bin/uname"}


def tool_path(distro, name):
    if distro == "alpine":
        return "/bin/busybox"
    return RECON.get(name, f"/usr/bin/{name}")


def install_commands(archetype):
    """What `install curl and procps` looks like with the image's package manager."""
    return {"apt-get": [("apt-get", "/usr/bin/apt-get", "update"), ("apt-get", "/usr/bin/apt-get", "install -y curl procps strace")],
            "apk": [("apk", "/sbin/apk", "add curl strace tcpdump")],
            "microdnf": [("microdnf", "/usr/bin/microdnf", "install -y procps-ng strace")],
            "pip": [("pip", "/opt/conda/bin/pip", "install ipdb py-spy")]}.get(archetype.pkg, [])


def command_events(ctx, rng, shell, t, command):
    """Alerts from one command typed into an interactive shell inside a container."""
    archetype = ctx.workload.archetype
    distro = archetype.distro
    container = ctx.container
    if command == "recon":
        name = rng.choice(("id", "whoami", "uname"))
        proc = shell.spawn(name, tool_path(distro, name), "-a" if name == "uname" else "")
        return [Emit(t, "Basic Interactive Reconnaissance", container, execve(proc))]
    if command == "install":
        return [Emit(t + i * secs(rng, 3, 25), "Launch Package Management Process in Container", container,
                     execve(shell.spawn(name, path, args))) for i, (name, path, args) in enumerate(install_commands(archetype))]
    if command == "environ":
        cat = shell.spawn("cat", tool_path(distro, "cat"), "/proc/1/environ")
        return [Emit(t, "Read environment variable from /proc files", container, openat(cat, "/proc/1/environ"))]
    if command == "fetch":
        tool = rng.choice(("curl", "wget"))
        target = f"http://{rng.choice(ctx.cluster.service_names)}:{rng.choice((8080, 9090, 80))}/{rng.choice(('metrics', 'debug/vars', 'api/v1/status', 'actuator/env'))}"
        args = f"-s -o /tmp/out.json {target}" if tool == "curl" else f"-qO /tmp/out.json {target}"
        return [Emit(t, fetch_rule(ctx, tool), container, execve(shell.spawn(tool, tool_path(distro, tool), args)))]
    if command == "nettool":
        tool, args = rng.choice((("nc", f"-zv {rng.choice(ctx.cluster.service_names)} {rng.choice((5432, 6379, 9092, 443))}"),
                                 ("dig", f"+short {rng.choice(ctx.cluster.service_names)}.svc.cluster.local"),
                                 ("nc", f"-vz -w 2 {ctx.cluster.api_ip} 443")))
        return [Emit(t, "Launch Suspicious Network Tool in Container", container, execve(shell.spawn(tool, tool_path(distro, tool), args)))]
    if command == "tcpdump":
        tcpdump = shell.spawn("tcpdump", "/usr/bin/tcpdump", f"-i any -nn -c 200 port {rng.choice((8080, 5432, 53, 443))}")
        socket = syscall(tcpdump, "socket", res="3", **{"evt.args": "fd=3(<p>) domain=17(AF_PACKET) type=3 proto=768"})
        return [Emit(t, "Launch Suspicious Network Tool in Container", container, execve(tcpdump)),
                Emit(t + ms(rng, 2, 30), "Packet socket created in container", container, socket)]
    if command == "trace":
        tracer = (shell.spawn("py-spy", "/usr/local/bin/py-spy", "dump --pid 1") if "python" in archetype.main[1]
                  else shell.spawn("strace", "/usr/bin/strace", "-f -p 1 -e trace=network -s 256"))
        return [Emit(t + i * ms(rng, 0, 4), "PTRACE attached to process", container,
                     syscall(tracer, "ptrace", **{"evt.arg.request": "PTRACE_SEIZE"})) for i in range(rng.randint(1, 3))]
    if command == "shadow":
        cat = shell.spawn("cat", tool_path(distro, "cat"), "/etc/shadow")
        return [Emit(t, "Read sensitive file untrusted", container, openat(cat, "/etc/shadow"))]
    return []                                                   # ls, ps, env, cat config: no alert


def session_commands(rng, archetype):
    menu = {"quiet": 6, "recon": 2.5, "environ": 0.8, "fetch": 1.5, "install": 1.2 if archetype.pkg else 0,
            "nettool": 3 if archetype.key == "netshoot" else 0.5, "tcpdump": 2 if archetype.key == "netshoot" else 0.15,
            "trace": 0.4, "shadow": 0.05}
    keys = list(menu)
    return rng.choices(keys, [menu[k] for k in keys], k=rng.randint(1, 9))


def debug_session(cluster, pod, rng, t, label="benign"):
    """`kubectl exec -it <pod> -- bash` and a handful of commands, minutes apart."""
    ctx = Ctx(cluster, pod.workload, pod, pod.main)
    name, path = pod.workload.archetype.shell
    shell = exec_proc(ctx, name, path, "", tty=shell_tty(rng))
    out = []
    if cluster.runtime == "crio":                              # crun joins the container's namespaces (setns)
        crun = host_proc("crun", "/usr/bin/crun", f"--root /run/crun exec --pid-file /var/run/crio/exec-pid-{names.hex_string(rng, 8)} --tty {pod.main.id}",
                         parents=(("conmon", "/usr/bin/conmon", "conmon -s -c " + pod.main.id), SYSTEMD))
        out.append(Emit(t - ms(rng, 5, 40), "Change thread namespace", Host(pod.node), syscall(crun, "setns")))
    out.append(Emit(t, "Terminal shell in container", pod.main, execve(shell)))
    for command in session_commands(rng, pod.workload.archetype):
        t += secs(rng, 4, 120)
        out.extend(command_events(ctx, rng, shell, t, command))
    t += secs(rng, 5, 200)
    if name == "bash" and shell.user.uid == 0 and rng.random() < 0.7:
        out.append(Emit(t, "Delete or rename shell history", pod.main, openat(shell, "/root/.bash_history", OPEN_TRUNC)))
    for emit in out:
        emit.label = label
    return [e for e in out if e.t < pod.end]


def copy_out(cluster, pod, rng, t):
    """`kubectl cp pod:/tmp/heap.hprof .` runs tar in the container with no terminal."""
    ctx = Ctx(cluster, pod.workload, pod, pod.main)
    path = rng.choice(("/tmp/heap.hprof", "/tmp/profile.pb.gz", "/tmp/dump.sql.gz", "/var/log/app/app.log", "/app/logs/gc.log"))
    tar = exec_proc(ctx, "tar", "/bin/busybox" if pod.workload.archetype.distro == "alpine" else "/usr/bin/tar",
                    f"cf - {path}")
    return [Emit(t, "Exfiltrating Artifacts via Kubernetes Control Plane", pod.main, openat(tar, path))]


def debuggable(pod):
    return pod.workload.archetype.shell is not None and pod.workload.params.get("debug_weight", 1.0) > 0


def weighted_pod(rng, pods):
    return rng.choices(pods, [p.workload.params.get("debug_weight", 1.0) for p in pods])[0]


def people_emits(rng, cluster, sessions_per_day, copies_per_day, ssh_per_day):
    out = []
    for t in poisson_times(rng, cluster.start, cluster.end, sessions_per_day * cluster.scale / 24, "human", cluster.tz):
        pods = cluster.alive(t, debuggable)
        if pods:
            out.extend(debug_session(cluster, weighted_pod(rng, pods), rng, t))
    for t in poisson_times(rng, cluster.start, cluster.end, copies_per_day * cluster.scale / 24, "human", cluster.tz):
        pods = cluster.alive(t, lambda p: debuggable(p) and p.workload.kind in ("Deployment", "StatefulSet"))
        if pods:
            out.extend(copy_out(cluster, weighted_pod(rng, pods), rng, t))
    for t in poisson_times(rng, cluster.start, cluster.end, ssh_per_day / 24, "human", cluster.tz):
        out.extend(node_ssh(cluster, rng.choice(cluster.nodes), rng, t))
    return out


# --- the node itself -------------------------------------------------------------------------

LOGIN_USERS = {"eks": ("ec2-user", 1000), "gke": ("dana_kowalski", 1003), "aks": ("azureuser", 1000), "metal": ("ops", 1000)}


def login_shell(cluster, rng, login, uid, tty=34816):
    """A shell on the node: through SSM Session Manager on EKS (no login uid), through sshd elsewhere."""
    if cluster.provider == "eks":
        agent = host_proc("amazon-ssm-agen", "/usr/bin/amazon-ssm-agent")
        worker = agent.spawn("ssm-session-wor", "/usr/bin/ssm-session-worker",
                             f"{login}-{names.hex_string(rng, 17)} i-{names.hex_string(rng, 17)}", layer="host")
        return worker.spawn("sh", "/usr/bin/bash", "", user=User("ssm-user", 1001, 1001, "ssm-user"), tty=tty, layer="host")
    sshd = host_proc("sshd", "/usr/sbin/sshd", f"sshd: {login} [priv]")
    session = sshd.spawn("sshd", "/usr/sbin/sshd", f"sshd: {login}@pts/{tty - 34816}", user=User(login, uid, uid, login),
                         loginuid=uid, loginname=login, layer="host")
    return session.spawn("bash", "/usr/bin/bash", "", tty=tty, layer="host")


def node_ssh(cluster, node, rng, t):
    """Break-glass shell on a node to look at traffic; on GKE the guest agent creates the login user."""
    login, uid = LOGIN_USERS.get(cluster.provider, ("ops", 1000))
    bash = login_shell(cluster, rng, login, uid)
    out = []
    if cluster.provider == "gke" and rng.random() < 0.5:
        agent = host_proc("google_guest_ag", "/usr/bin/google_guest_agent")
        for index, args in enumerate((f"-m -s /bin/bash -p * {login}", f"-a {login} google-sudoers")):
            binary = ("useradd", "/usr/sbin/useradd") if index == 0 else ("gpasswd", "/usr/bin/gpasswd")
            out.append(Emit(t - secs(rng, 1, 4) + index * ms(rng, 20, 200), "User mgmt binaries", Host(node),
                            execve(agent.spawn(*binary, args))))
    for _ in range(rng.randint(1, 3)):
        t += secs(rng, 10, 240)
        tool, args = rng.choice((("tcpdump", "-i any -nn -c 500 port 53"), ("tcpdump", f"-i ens5 -nn host {node.ip} and port 10250"),
                                 ("nc", "-zv 10.96.0.10 53"), ("dig", "@169.254.20.10 kubernetes.default.svc.cluster.local")))
        sudo = bash.spawn("sudo", "/usr/bin/sudo", f"{tool} {args}")
        proc = sudo.spawn(tool, f"/usr/bin/{tool}" if tool != "tcpdump" else "/usr/sbin/tcpdump", args, user=ROOT)
        out.append(Emit(t, "Launch Suspicious Network Tool on Host", Host(node), execve(proc)))
    return out


# --- kubectl debug node/... ------------------------------------------------------------------

def node_debugger_arrivals(rng, cluster, workload):
    """Pods named like kubectl's node-debugger-<node>-<5>, created during working hours."""
    pods = []
    for t in poisson_times(rng, cluster.start, cluster.end, workload.params["per_day"] / 24, "human", cluster.tz):
        node = rng.choice(cluster.nodes)
        pods.append({"start": t, "end": t + secs(rng, 120, 2400), "name": f"node-debugger-{node.name.split('.')[0]}-{names.pod_suffix(rng)}",
                     "extra": {"node": node}})
    return pods


def node_debugger(ctx, rng, t):
    """An interactive privileged pod on the node with its root filesystem at /host."""
    bash = Proc("bash", "/usr/bin/bash", "", tty=34816, ancestors=ctx.cluster.ancestry(ctx.container))
    out = [Emit(t, "Terminal shell in container", ctx.container, execve(bash))]
    for _ in range(rng.randint(1, 4)):
        t += secs(rng, 8, 150)
        step = rng.choices(("host-file", "nsenter", "crictl", "tcpdump", "debugfs"), (4, 2, 3, 1, 0.2))[0]
        if step == "host-file":
            path = rng.choice(("/host/var/log/syslog", "/host/etc/kubernetes/kubelet.conf", "/host/var/lib/kubelet/config.yaml",
                               "/host/var/log/messages", "/host/etc/containerd/config.toml"))
            out.append(Emit(t, "Container Access to Host Sensitive Paths", ctx.container, openat(bash.spawn("cat", "/usr/bin/cat", path), path)))
        elif step == "nsenter":
            nsenter = bash.spawn("nsenter", "/usr/bin/nsenter", "-t 1 -m -u -i -n -p -- bash")
            out += [Emit(t + i * ms(rng, 0.02, 0.5), "Change thread namespace", ctx.container, syscall(nsenter, "setns")) for i in range(5)]
        elif step == "crictl":
            root = bash.spawn("chroot", "/usr/sbin/chroot", "/host").spawn("bash", "/usr/bin/bash", "")
            crictl = root.spawn("crictl", "/usr/bin/crictl", rng.choice(("ps", "pods", f"logs --tail 200 {names.container_id(rng)}", "stats")))
            out.append(Emit(t, "Kubernetes Client Tool Launched in Container", ctx.container, execve(crictl)))
        elif step == "tcpdump":
            tcpdump = bash.spawn("tcpdump", "/usr/bin/tcpdump", "-i any -nn -c 1000 port 10250")
            out += [Emit(t, "Launch Suspicious Network Tool in Container", ctx.container, execve(tcpdump)),
                    Emit(t + ms(rng, 2, 20), "Packet socket created in container", ctx.container,
                         syscall(tcpdump, "socket", res="3", **{"evt.args": "fd=3(<p>) domain=17(AF_PACKET) type=3 proto=768"}))]
        else:
            debugfs = bash.spawn("debugfs", "/usr/sbin/debugfs", "-R 'stat /var/lib/containerd' /dev/nvme0n1p1")
            out.append(Emit(t, "Debugfs Launched in Privileged Container", ctx.container, execve(debugfs)))
    return [e for e in out if e.t < ctx.pod.end]


NODE_DEBUGGER = Archetype(
    "node-debugger", image="docker.io/library/ubuntu", tag="24.04", user=ROOT, main=("bash", "/usr/bin/bash", ""),
    shell=None, privileged=True, activities=(Activity(OnStart(delay_s=(0.0, 0.05)), node_debugger),),
    job_arrivals=node_debugger_arrivals)
