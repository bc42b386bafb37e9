import type { Container } from "./rules.js";
import {
  API_SERVER,
  APP,
  K8S_SUFFIX,
  KEYCLOAK,
  ROOT,
  WINDOW_S,
  container,
  loginShell,
  proc,
  tty,
} from "./scenario.js";
import type { Cast, Plan } from "./scenario.js";

/**
 * The benign part of the sample: what a quiet cluster sends Falco all day. Several of these look
 * like attacks on their own (a root shell, apt-get in a running container, a packet socket, a
 * privileged container); a triage that alerts on every Warning or on every shell fails here.
 */

function randomPort(plan: Plan): number {
  return plan.rng.int(32768, 60999);
}

/** Returns the report job the batch-memfd episode later hijacks, and when that job started. */
export function planBenign(plan: Plan, cast: Cast): { job7: Container; job7Start: number } {
  const { rng } = plan;
  const api = "Contact K8S API Server From Container";

  // The config operator watches the API server all the time; Falco flags every connect.
  const manager = proc("manager", "/manager --leader-elect", "containerd-shim", "/manager", [
    "nonroot",
    65532,
  ]);
  for (let t = rng.float() * 5; t < WINDOW_S; t += 13 + rng.float() * 4) {
    const fd = `10.42.2.31:${randomPort(plan)}->${API_SERVER}`;
    plan.syscall("benign", t, api, cast.operator, manager, "connect", fd);
  }

  // Keycloak's JGroups KUBE_PING lists its cluster peers through the API server.
  const kcCmd =
    "java -Djgroups.config=kube-ping.xml -jar /opt/keycloak/lib/quarkus-run.jar start --optimized";
  const java = proc("java", kcCmd, "containerd-shim", "/usr/lib/jvm/jre-21/bin/java", KEYCLOAK);
  for (let t = 20 + rng.float() * 30; t < WINDOW_S; t += 50 + rng.float() * 20) {
    const fd = `10.42.3.12:${randomPort(plan)}->${API_SERVER}`;
    plan.syscall("benign", t, api, cast.keycloak, java, "connect", fd);
  }

  // Postgres runs archive_command through sh, which "Run shell untrusted" cannot tell from an attack.
  let wal = 0x41;
  for (let t = 10 + rng.float() * 20; t < WINDOW_S; t += 24 + rng.float() * 12) {
    const segment = `00000001000000A3000000${(wal++).toString(16).toUpperCase()}`;
    const cmd = `sh -c test ! -f /archive/${segment} && cp pg_wal/${segment} /archive/${segment}`;
    const p = proc("sh", cmd, "postgres", "/bin/sh", ["postgres", 999]);
    plan.syscall("benign", t, "Run shell untrusted", cast.postgres, p, "execve");
  }

  // The storefront's server-side includes exec small scripts from nginx, on both replicas.
  const ssi = [
    "sh -c /usr/local/bin/render-banner.sh --locale en_GB",
    "sh -c /usr/local/bin/render-banner.sh --locale de_DE",
    "sh -c /usr/local/bin/stock-badge.sh --sku 4711",
  ];
  for (let i = 0; i < 34; i++) {
    const web = rng.chance(0.5) ? cast.victimWeb : cast.otherWeb;
    const p = proc("sh", rng.pick(ssi), "nginx", "/bin/sh", ["nginx", 101]);
    plan.syscall("benign", rng.float() * WINDOW_S, "Run shell untrusted", web, p, "execve");
  }

  // A report CronJob every two minutes: reads its config from the API, shells out, rsyncs results.
  const jobShells = [
    "sh -c gzip -9 /tmp/out/orders.csv",
    "sh -c gzip -9 /tmp/out/refunds.csv",
    "sh -c sha256sum /tmp/out/*.gz > /tmp/out/SHA256SUMS",
    "sh -c df -h /tmp",
  ];
  const reportCmd = "java -XX:MaxRAMPercentage=75 -jar /app/report.jar --period=PT2M";
  const report = proc("java", reportCmd, "containerd-shim", "/opt/java/openjdk/bin/java", APP);
  const rsyncCmd = "rsync -az /tmp/out/ rsync://reports@backup.data.svc.cluster.local/reports/2026-11-24/";
  const rsync = proc("rsync", rsyncCmd, "sh", "/usr/bin/rsync", APP);
  let job7: { job7: Container; job7Start: number } | undefined;
  for (let k = 0; k < 10; k++) {
    // Job names carry the scheduled minute; job 7 is the one named in the batch-memfd episode.
    const pod = `report-${28374650 + 2 * (k - 7)}-${k === 7 ? "abcde" : rng.chars(5, K8S_SUFFIX)}`;
    const node = k % 2 === 0 ? "worker-b2" : "worker-b1";
    const job = container(rng, ["batch", pod, "report", "ghcr.io/acme/report", "2.4.1", node]);
    const t0 = 120 * k + 2 + rng.float() * 3;
    if (k === 7) job7 = { job7: job, job7Start: t0 };
    const fd = `10.42.${k % 2 === 0 ? 5 : 4}.${rng.int(2, 250)}:${randomPort(plan)}->${API_SERVER}`;
    plan.syscall("benign", t0 + 1 + rng.float() * 2, api, job, report, "connect", fd);
    for (let s = rng.int(3, 5); s > 0; s--) {
      const p = proc("sh", rng.pick(jobShells), "java", "/bin/sh", APP);
      plan.syscall("benign", t0 + 5 + rng.float() * 45, "Run shell untrusted", job, p, "execve");
    }
    plan.syscall(
      "benign",
      t0 + 55 + rng.float() * 10,
      "Launch Remote File Copy Tools in Container",
      job,
      rsync,
      "execve",
    );
  }

  // An engineer debugs checkout (installing tcpdump trips an Error-level rule), later postgres.
  const pkg = "Launch Package Management Process in Container";
  const aptUpdate = tty("apt-get", "apt-get update", "bash", "/usr/bin/apt-get");
  const aptInstall = tty(
    "apt-get",
    "apt-get install -y --no-install-recommends tcpdump",
    "bash",
    "/usr/bin/apt-get",
  );
  const tcpdump = tty("tcpdump", "tcpdump -i eth0 -nn port 5432", "bash", "/usr/bin/tcpdump");
  plan.syscall(
    "benign",
    170 + rng.float() * 5,
    "Terminal shell in container",
    cast.checkout,
    loginShell,
    "execve",
  );
  plan.syscall("benign", 201 + rng.float() * 5, pkg, cast.checkout, aptUpdate, "execve");
  plan.syscall("benign", 223 + rng.float() * 5, pkg, cast.checkout, aptInstall, "execve");
  plan.syscall(
    "benign",
    262 + rng.float() * 5,
    "Packet socket created in container",
    cast.checkout,
    tcpdump,
    "socket",
  );
  plan.syscall(
    "benign",
    790 + rng.float() * 5,
    "Terminal shell in container",
    cast.postgres,
    loginShell,
    "execve",
  );
  plan.syscall(
    "benign",
    835 + rng.float() * 5,
    "Terminal shell in container",
    cast.postgres,
    loginShell,
    "execve",
  );

  // A privileged node-agent DaemonSet rolls out to the batch nodes.
  const agentCmd = "/usr/bin/node-agent --config=/etc/node-agent/config.yaml";
  const agentProc = proc("node-agent", agentCmd, "containerd-shim", "/usr/bin/node-agent", ROOT);
  for (const [i, node] of ["worker-b1", "worker-b2"].entries()) {
    const pod = `node-agent-${rng.chars(5, K8S_SUFFIX)}`;
    const agent = container(rng, ["platform", pod, "node-agent", "ghcr.io/acme/node-agent", "0.9.4", node]);
    plan.syscall(
      "benign",
      430 + 7 * i + rng.float() * 3,
      "Launch Privileged Container",
      agent,
      agentProc,
      "execve",
    );
  }

  if (job7 === undefined) throw new Error("report job 7 was not planned");
  return job7;
}
