import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { responseActions } from "../agents/cluster-actions/actions/index.js";
import { ActionJournal } from "../agents/cluster-actions/journal.js";
import { KubeApi } from "../runtime/kube.js";
import { parse, run, type CaseDesk } from "../commands/index.js";
import { AppliedAction } from "../contracts/cluster.js";
import { falcoAlert } from "../fleet/alerts.js";
import { ciliumNetworkPolicyCrd, KubeApiServer } from "../fleet/kube-apiserver/index.js";
import { LocalFleet } from "../fleet/local.js";
import { summary, timed } from "./figures.js";
import {
  caseIdOf,
  countingRequests,
  isolateDirectly,
  labelPatch,
  namespace,
  pods,
  remediationAccount,
  servedBetween,
  servedRequests,
} from "./kube.js";

/**
 * `npm run build && node dist/bench/approval.js [--actions=200] [--warmup=10]`: from a human's
 * approval to the action applied and verified in a real kube-apiserver over etcd, through the whole
 * fleet (separate processes over mTLS, real OPA, SOC_REMEDIATE_MODE=enforce), next to the floor.
 * Every case is a Critical event on its own `customer-facing` pod, so each escalates; once all await
 * a human they are approved one at a time, in-process as `soc approve` does it (the operator's
 * certificate, A2A to the coordinator's decide skill), which answers once the case is closed.
 * Figures per approval, from the moment the approve call is sent:
 * 1. until the remediate step is recorded with its verification ok (the step's timestamp, 1 ms clock);
 * 2. until the approve call is answered (the case closed as remediated);
 * 3. until then the pod's label and the CiliumNetworkPolicy are read back as the admin (end to end).
 * The floor: the same action carried out directly, with the fleet's client and ServiceAccount.
 * API requests per action are the API server's own count (apiserver_request_total).
 */
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const count = Number(args.get("actions") ?? 200);
const warmup = Number(args.get("warmup") ?? 10);
const total = count + warmup;
/** Events posted before waiting for their escalations: the fleet triages a batch at a time. */
const batch = 30;
const labels = { app: "checkout", "soc.fleet/asset-class": "customer-facing" };

interface Approval {
  id: string;
  pod: string;
  sentAt: number;
  answered: number;
  checked: number;
}

const work = mkdtempSync(join(tmpdir(), "soc-bench-approval-"));
const server = await KubeApiServer.start({ crds: [ciliumNetworkPolicyCrd()], log: (l) => console.log(l) });
let fleet: LocalFleet | undefined;
try {
  const kubeconfig = await remediationAccount(server, [responseActions.isolate_pod]);
  await server.apply([...pods("checkout", total, labels), ...pods("floor", 2 * total, labels)]);
  fleet = await LocalFleet.start({
    env: {
      SOC_LOG_LEVEL: "info",
      SOC_PREFILTER: "priority",
      KUBECONFIG: kubeconfig,
      SOC_REMEDIATE_MODE: "enforce",
    },
  });
  // The terminal front end's own path, in this process: the operator identity, A2A to the fleet.
  const desk = fleet.desk();
  const waiting = await escalate(fleet, desk);

  // The floor, on pods of its own, with the fleet started and idle.
  const api = KubeApi.load(kubeconfig);
  const admin = KubeApi.load(server.kubeconfig);
  if (!api || !admin) throw new Error("no API from the kubeconfigs");
  const journal = new ActionJournal(join(work, "journal.db"));
  const patch = await timed(count, warmup, (i) => labelPatch(api, `floor-${i}`));
  const counted = countingRequests(api);
  const floorBefore = await servedRequests(server);
  const direct = await timed(count, warmup, (i) =>
    isolateDirectly(counted.cluster, journal, `floor-${total + i}`, caseIdOf(i)),
  );
  const floorServed = servedBetween(floorBefore, await servedRequests(server));
  journal.close();

  const approve = async ({ id, pod }: { id: string; pod: string }): Promise<Approval> => {
    const sentAt = Date.now();
    const started = performance.now();
    const reply = await run(parse(["approve", id]), desk, { name: userInfo().username });
    const answered = performance.now() - started;
    if (reply.kind !== "case" || reply.case.resolution !== "remediated")
      throw new Error(`${id} approved, not remediated: ${JSON.stringify(reply)}`);
    const [live, policy] = await Promise.all([
      admin.get(`/api/v1/namespaces/${namespace}/pods/${pod}`),
      admin.get(
        `/apis/cilium.io/v2/namespaces/${namespace}/ciliumnetworkpolicies/soc-quarantine-${id.toLowerCase()}`,
      ),
    ]);
    const checked = performance.now() - started;
    if (live?.metadata?.labels?.["soc.fleet/quarantine"] !== "true" || !policy)
      throw new Error(`${id} answered remediated, yet ${pod} is not isolated in the API server`);
    return { id, pod, sentAt, answered, checked };
  };
  for (const c of waiting.slice(0, warmup)) await approve(c);
  const fleetBefore = await servedRequests(server);
  const approvals: Approval[] = [];
  for (const c of waiting.slice(warmup)) approvals.push(await approve(c));
  // The admin's two reads per approval are the bench's, not the fleet's.
  const fleetServed = servedBetween(fleetBefore, await servedRequests(server))
    .map(([key, n]): [string, number] =>
      key === "GET pods" || key === "GET ciliumnetworkpolicies" ? [key, n - count] : [key, n],
    )
    .filter(([, n]) => n > 0);
  const steps = await remediateSteps(desk, approvals);

  console.log(
    `kube-apiserver v1.37.2 over etcd 3.7.3 and the fleet as separate processes over mTLS on 127.0.0.1 (${availableParallelism()} CPUs),`,
  );
  console.log(
    `${count} approvals measured one at a time after ${warmup} warm-up, isolate_pod in enforce mode`,
  );
  const line = (what: string, durations: number[], tail = "") =>
    console.log(`${what.padEnd(62)} ${summary(durations, 1)}${tail}`);
  line("floor: one label patch sent with the client", patch);
  line(
    "floor: isolate_pod carried out directly, verified",
    direct,
    `   ${(counted.sent / total).toFixed(1)} API requests each, discovery included`,
  );
  line("approve sent → remediate step recorded, verification ok ¹", steps.recorded);
  line(
    "approve sent → approve answered (case closed: remediated)",
    approvals.map((a) => a.answered),
  );
  line(
    "approve sent → answered, label and policy read back as admin",
    approvals.map((a) => a.checked),
  );
  console.log("where the time goes, per approval:");
  line("  approve sent → decision recorded (A2A, coordinator) ¹", steps.decided);
  line("  remediate step (coordinator → remediate → cluster-actions)", steps.hop);
  line("    of which the MCP call remediate → cluster-actions", steps.mcp);
  line("  remediate step recorded → approve answered (close, notify) ¹", steps.after);
  console.log("API requests per action as the API server counts them ²:");
  console.log(`  through the fleet  ${breakdown(fleetServed, count)}`);
  console.log(`  directly           ${breakdown(floorServed, total)}`);
  console.log("¹ from the steps' timestamps (the coordinator's clock, 1 ms resolution)");
  console.log("² apiserver_request_total, which leaves out discovery (GET /apis/<group>/<version>)");
} finally {
  await fleet?.stop();
  await server.stop();
  rmSync(work, { recursive: true, force: true });
}

/** Posts a Critical event per customer-facing pod, a batch at a time; resolves once all await a human. */
async function escalate(running: LocalFleet, desk: CaseDesk): Promise<{ id: string; pod: string }[]> {
  const opened: { id: string; pod: string }[] = [];
  for (let from = 0; from < total; from += batch) {
    const posted: { id: string; pod: string }[] = [];
    for (let i = from; i < Math.min(total, from + batch); i++) {
      const pod = `checkout-${i}`;
      const { status, body } = await running.post(
        falcoAlert({
          rule: "Drop and execute new binary in container",
          priority: "Critical",
          tags: ["TA0003", "container", "maturity_stable", "mitre_persistence", "process"],
          namespace,
          pod,
          image: "docker.io/library/nginx",
        }),
      );
      if (status !== 200) throw new Error(`the ingest refused the event for ${pod}: ${status}`);
      posted.push({ id: String(body.case_id), pod });
    }
    await running.waitFor(
      async () => {
        const awaiting = new Set((await desk.cases("awaiting_human", 1000)).map((c) => c.id));
        return posted.every((c) => awaiting.has(c.id));
      },
      120_000,
      `cases ${from}…${from + posted.length - 1} to await a human`,
    );
    opened.push(...posted);
  }
  return opened;
}

/** Each approval's figures from its case's steps, read once all are done. */
async function remediateSteps(desk: CaseDesk, approvals: Approval[]) {
  const figures = { recorded: [], decided: [], hop: [], mcp: [], after: [] } as Record<
    "recorded" | "decided" | "hop" | "mcp" | "after",
    number[]
  >;
  for (const { id, sentAt, answered } of approvals) {
    const { steps } = await desk.trace(id);
    const step = steps.find((s) => s.agent === "remediate" && s.skill === "execute" && !s.error);
    const decision = steps.find((s) => s.skill === "approve");
    if (!step || !decision) throw new Error(`${id} has no remediate or decision step`);
    const applied = AppliedAction.parse(step.output);
    if (!applied.verification?.ok)
      throw new Error(`${id}: not verified: ${applied.verification?.detail ?? "?"}`);
    const recorded = Date.parse(step.at) - sentAt;
    figures.recorded.push(recorded);
    figures.decided.push(Date.parse(decision.at) - sentAt);
    figures.hop.push(step.duration_ms);
    figures.mcp.push(step.mcp_calls.reduce((sum, call) => sum + call.latency_ms, 0));
    figures.after.push(answered - recorded);
  }
  return figures;
}

/** `6.0: GET pods 3.0, PATCH pods 1.0, …` per action over `actions`. */
function breakdown(served: [string, number][], actions: number): string {
  const all = served.reduce((sum, [, n]) => sum + n, 0);
  return `${(all / actions).toFixed(1)}: ${served.map(([key, n]) => `${key} ${(n / actions).toFixed(1)}`).join(", ")}`;
}
