import type { SyscallRule } from "./catalogue.js";
import { proc } from "./scenario.js";
import { DAY, Every, type Profile, type Stream } from "./stream.js";
import { NODES, ciliumOn, hostOf, type Cluster, type Workload } from "./workloads.js";

/**
 * Benign profiles of the long-running services: what Falco's default rules flag all day in a
 * healthy cluster. Rates are per pod; together they make about 35 000 alerts a day, nearly all
 * Notice, with the occasional Warning from the nodes and the CNI.
 */

const API_SERVER = "10.43.0.1:443";
const API = "Contact K8S API Server From Container" satisfies SyscallRule;
const SHELL = "Run shell untrusted" satisfies SyscallRule;

function ephemeral(stream: Stream): number {
  return stream.rng.int(32768, 60999);
}

/** nginx server-side includes and php mail() spawn sh on every request that needs them. */
export function webProfile(stream: Stream, cluster: Cluster): Profile {
  const ssi = [
    "sh -c /usr/local/bin/render-banner.sh --locale en_GB",
    "sh -c /usr/local/bin/render-banner.sh --locale de_DE",
    "sh -c /usr/local/bin/render-banner.sh --locale fr_FR",
    "sh -c /usr/local/bin/stock-badge.sh --sku 4711",
    "sh -c /usr/local/bin/stock-badge.sh --sku 1802",
  ];
  return {
    run(from, to) {
      for (const web of cluster.web) {
        stream.poisson(
          from,
          to,
          90,
          (t) => stream.diurnal(t),
          (t) => {
            const p = proc("sh", stream.rng.pick(ssi), "nginx", "/bin/sh", ["nginx", 101]);
            stream.emit(t, SHELL, web.on, p, "execve");
          },
        );
      }
      for (const blog of cluster.blog) {
        stream.poisson(
          from,
          to,
          25,
          (t) => stream.diurnal(t),
          (t) => {
            const p = proc("sh", "sh -c /usr/sbin/sendmail -t -i", "php-fpm", "/bin/sh", ["www-data", 33]);
            stream.emit(t, SHELL, blog.on, p, "execve");
          },
        );
      }
    },
  };
}

/** Postgres archives WAL through sh, and every pod's exec liveness probe runs sh as well. */
export function databaseProfile(stream: Stream, cluster: Cluster): Profile {
  const [primary] = cluster.postgres;
  const archive = new Every(stream, 35, 10);
  const probes = cluster.postgres.map(() => new Every(stream, 30, 0.5));
  const health = cluster.checkout.map(() => new Every(stream, 300, 20));
  let wal = 0x1000;
  const probe = proc("sh", "sh -c exec pg_isready -U postgres -h 127.0.0.1 -p 5432", "runc", "/bin/sh", [
    "postgres",
    999,
  ]);
  const healthcheck = proc("sh", "sh -c /app/bin/healthcheck.sh --deep", "java", "/bin/sh", ["app", 10001]);
  return {
    run(_from, to) {
      if (primary !== undefined) {
        archive.run(to, (t) => {
          const segment = `00000001000000A3${(wal++).toString(16).toUpperCase().padStart(8, "0")}`;
          const cmd = `sh -c test ! -f /archive/${segment} && cp pg_wal/${segment} /archive/${segment}`;
          stream.emit(
            t,
            SHELL,
            primary.on,
            proc("sh", cmd, "postgres", "/bin/sh", ["postgres", 999]),
            "execve",
          );
        });
      }
      for (const [i, timer] of probes.entries()) {
        const db = cluster.postgres[i];
        if (db !== undefined) timer.run(to, (t) => stream.emit(t, SHELL, db.on, probe, "execve"));
      }
      for (const [i, timer] of health.entries()) {
        const app = cluster.checkout[i];
        if (app !== undefined) timer.run(to, (t) => stream.emit(t, SHELL, app.on, healthcheck, "execve"));
      }
    },
  };
}

/** Controllers that watch the API server; Falco flags each new connection from a container. */
export function operatorProfile(stream: Stream, cluster: Cluster): Profile {
  const watchers: [Workload, Every][] = [
    [cluster.configOperator, new Every(stream, 15, 2)],
    [cluster.argocd, new Every(stream, 20, 2)],
    [cluster.certManager, new Every(stream, 60, 10)],
    [cluster.prometheus, new Every(stream, 30, 1)],
    ...cluster.keycloak.map((kc): [Workload, Every] => [kc, new Every(stream, 60, 10)]),
  ];
  return {
    run(_from, to) {
      for (const [w, timer] of watchers) {
        timer.run(to, (t) =>
          stream.emit(t, API, w.on, w.main, "connect", `${w.ip}:${ephemeral(stream)}->${API_SERVER}`),
        );
      }
    },
  };
}

/**
 * The nodes themselves: logrotate truncates logs at midnight (copytruncate trips Clear Log
 * Activities), restic backs up /etc at 01:30 (reading /etc/shadow), and the cilium DaemonSet
 * restarts now and then, loading kernel modules from its privileged pod.
 */
export function nodeProfile(stream: Stream): Profile {
  const logs = ["/var/log/syslog", "/var/log/kern.log", "/var/log/auth.log"];
  return {
    run(from, to) {
      for (let day = Math.ceil(from / DAY) * DAY; day < to; day += DAY) {
        for (const node of NODES) {
          const host = hostOf(node);
          for (const file of logs) {
            const logrotate = proc(
              "logrotate",
              "/usr/sbin/logrotate /etc/logrotate.conf",
              "systemd",
              "/usr/sbin/logrotate",
              ["root", 0],
            );
            stream.emit(day + stream.uniform(1, 90), "Clear Log Activities", host, logrotate, "openat", file);
          }
          const restic = proc(
            "restic",
            "restic backup /etc /var/lib/kubelet/pki --tag nightly",
            "systemd",
            "/usr/local/bin/restic",
            ["root", 0],
          );
          stream.emit(
            day + 5400 + stream.uniform(0, 600),
            "Read sensitive file untrusted",
            host,
            restic,
            "openat",
            "/etc/shadow",
          );
        }
      }
      for (const node of NODES) {
        stream.poisson(
          from,
          to,
          1 / 72,
          () => 1,
          (t) => {
            const cilium = ciliumOn(stream.rng, node);
            stream.emit(t, "Launch Privileged Container", cilium.on, cilium.main, "execve");
            for (const [i, module] of ["ip6_tables", "xt_TPROXY", "xt_socket"].entries()) {
              const modprobe = proc("modprobe", `modprobe ${module}`, "cilium-agent", "/usr/sbin/modprobe", [
                "root",
                0,
              ]);
              stream.emit(
                t + 2 + i * 0.3,
                "Linux Kernel Module Injection Detected",
                cilium.on,
                modprobe,
                "finit_module",
              );
            }
          },
        );
      }
    },
  };
}
