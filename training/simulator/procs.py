"""Processes and the syscall fields Falco extracts from them.

A Proc remembers its ancestry, so a child spawned from it gets the right proc.pname,
proc.pcmdline and proc.aname[N] without each scenario spelling them out. The event helpers
return the fields one syscall would carry (execve, openat, connect, ...); rules.render later keeps
only those the rule prints.
"""

from dataclasses import dataclass, field, replace

COMM_LEN = 15          # the kernel keeps 15 characters of a task's name (TASK_COMM_LEN - 1)
PTS0 = 34816           # tty device number of /dev/pts/0 (major 136), as proc.tty reports it


@dataclass(frozen=True)
class User:
    name: object       # None when the uid has no entry in the image's /etc/passwd
    uid: int
    gid: int = None
    group: str = None

    @property
    def group_id(self):
        return self.uid if self.gid is None else self.gid

    @property
    def group_name(self):
        return self.group if self.group is not None else self.name


ROOT = User("root", 0, 0, "root")


def comm(name):
    return name[:COMM_LEN]


@dataclass(frozen=True)
class Proc:
    """One process. `layer` says where its executable lives: lower/upper overlay layer, memfd, tmpfs or host."""

    name: str
    exepath: str
    args: str = ""
    user: User = ROOT
    loginuid: int = -1
    loginname: str = None
    tty: int = 0
    cwd: str = "/"
    layer: str = "lower"
    exe: str = ""
    sname: str = ""
    env: str = ""
    ancestors: tuple = field(default=())   # ((name, exepath, cmdline), ...), parent first

    def __post_init__(self):
        object.__setattr__(self, "name", comm(self.name))

    @property
    def cmdline(self):
        """Falco's proc.cmdline is the task name followed by argv[1:]."""
        return f"{self.name} {self.args}".strip()

    def spawn(self, name, exepath, args="", **changes):
        """A child process; it inherits identity, terminal, directory, session and environment."""
        inherited = dict(user=self.user, loginuid=self.loginuid, loginname=self.loginname, tty=self.tty, cwd=self.cwd,
                         layer=self.layer if self.layer == "host" else "lower",
                         sname=self.sname or self.name, env=self.env)
        inherited.update(changes)
        return Proc(name=name, exepath=exepath, args=args,
                    ancestors=((self.name, self.exepath, self.cmdline),) + self.ancestors, **inherited)

    def with_(self, **changes):
        return replace(self, **changes)


def exe_flags(proc):
    """evt.arg.flags of an execve exit event (only the bits the rules care about)."""
    writable = proc.user.uid == 0
    if proc.layer == "host" or proc.layer == "tmpfs":
        return "EXE_WRITABLE" if writable else "0"
    flag = {"lower": "EXE_LOWER_LAYER", "upper": "EXE_UPPER_LAYER", "memfd": "EXE_FROM_MEMFD"}[proc.layer]
    return f"EXE_WRITABLE|{flag}" if writable else flag


def proc_fields(proc):
    """Process, user and group fields shared by every syscall of this process."""
    ancestors = proc.ancestors
    values = {
        "proc.name": proc.name,
        "proc.exepath": proc.exepath,
        "proc.exe": proc.exe or proc.exepath,
        "proc.args": proc.args,
        "proc.cmdline": proc.cmdline,
        "proc.cwd": proc.cwd if proc.cwd.endswith("/") else proc.cwd + "/",
        "proc.sname": proc.sname or proc.name,
        "proc.env": proc.env or None,
        "proc.tty": proc.tty,
        "proc.pname": ancestors[0][0] if ancestors else None,
        "proc.pexe": ancestors[0][1] if ancestors else None,
        "proc.pexepath": ancestors[0][1] if ancestors else None,
        "proc.pcmdline": ancestors[0][2] if ancestors else None,
        "proc.aexepath[2]": ancestors[1][1] if len(ancestors) > 1 else None,
        "user.name": proc.user.name,
        "user.uid": proc.user.uid,
        "user.loginuid": proc.loginuid,
        "user.loginname": proc.loginname,
        "group.gid": proc.user.group_id,
        "group.name": proc.user.group_name,
    }
    for depth in range(2, 8):
        values[f"proc.aname[{depth}]"] = ancestors[depth - 1][0] if len(ancestors) >= depth else None
    return values


def execve(proc, **extra):
    values = proc_fields(proc)
    values.update({"evt.type": "execve", "evt.res": "SUCCESS", "evt.arg.flags": exe_flags(proc)})
    values.update(extra)
    return values


OPEN_READ = "O_RDONLY|O_CLOEXEC"
OPEN_WRITE = "O_WRONLY|O_CREAT|O_APPEND|O_CLOEXEC"
OPEN_TRUNC = "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC"


def openat(proc, path, flags=OPEN_READ, raw=None, res="SUCCESS"):
    values = proc_fields(proc)
    values.update({"evt.type": "openat", "evt.res": res, "evt.arg.flags": flags,
                   "fd.name": path, "fd.nameraw": raw or path})
    return values


def connect(proc, local_ip, local_port, remote_ip, remote_port, proto="tcp", remote_name=None, local_name=None):
    """A client connect(); the remote end is the server, so fd.sip/fd.sport are the remote address."""
    values = proc_fields(proc)
    values.update({
        "evt.type": "connect", "evt.res": "SUCCESS",
        "fd.name": f"{local_ip}:{local_port}->{remote_ip}:{remote_port}",
        "fd.type": "ipv4", "fd.l4proto": proto,
        "fd.lport": local_port, "fd.rport": remote_port, "fd.sport": remote_port,
        "fd.sip": remote_ip, "fd.rip": remote_ip, "fd.cip": local_ip,
        "fd.sip.name": remote_name or remote_ip, "fd.rip.name": remote_name or remote_ip,
        "fd.lip.name": local_name or local_ip, "fd.cip.name": local_name or local_ip,
    })
    return values


def dup2(proc, connection_values, new_fd):
    """dup2(socket, 0|1|2): the socket's fd fields stay, the syscall changes."""
    values = dict(connection_values)
    values.update(proc_fields(proc))
    values.update({"evt.type": "dup2", "evt.res": str(new_fd), "evt.rawres": new_fd})
    return values


def syscall(proc, evt_type, res="SUCCESS", **extra):
    """Any other syscall: setns, ptrace, unshare, bpf, symlinkat, fchmodat, ..."""
    values = proc_fields(proc)
    values.update({"evt.type": evt_type, "evt.res": res})
    values.update(extra)
    return values
