import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quarantinePolicyName } from "../agents/cluster-actions/actions/isolate-pod.js";
import type { Case } from "../contracts/case.js";
import type { AppliedAction } from "../contracts/cluster.js";
import { falcoAlert } from "../fleet/alerts.js";
import {
  AdmissionGate,
  ConnectionRelay,
  KubeApiServer,
  type AdmissionRequest,
  type HeldRequest,
} from "../fleet/kube-apiserver/index.js";
import { pidRunning } from "../fleet/children.js";
import { LocalFleet } from "../fleet/local.js";
import { remediationCluster } from "./cluster-fixture.js";

const TRIALS = 20;
const REMEDIATION = "system:serviceaccount:soc-fleet:soc-remediate";
let server: KubeApiServer | undefined;
let gate: AdmissionGate | undefined;
let relay: ConnectionRelay | undefined;
let fleet: LocalFleet | undefined;

function setUp() {
  if (!server || !gate || !relay || !fleet) throw new Error("setup failed");
  return { server, gate, relay, fleet };
}

beforeAll(async () => {
  server = await remediationCluster();
  gate = await AdmissionGate.install(server, [
    { apiGroups: [""], resources: ["pods", "pods/eviction"] },
    { apiGroups: ["cilium.io"], resources: ["ciliumnetworkpolicies"] },
  ]);
  // The fleet reaches the API server through a relay that can withhold its answers.
  relay = await ConnectionRelay.start(server);
  const kubeconfig = server.kubeconfigFor(await server.token("soc-fleet", "soc-remediate"), relay.url);
  fleet = await LocalFleet.start({
    env: {
      SOC_PREFILTER: "priority",
      KUBECONFIG: kubeconfig,
      SOC_REMEDIATE_MODE: "enforce",
      // Twenty kills in a row are a crash loop to the launcher: its backoff is capped low here, and
      // every call has room for a restart.
      SOC_RESTART_MAX_MS: "500",
      SOC_AGENT_TIMEOUT_MS: "30000",
    },
  });
}, 900_000);

afterAll(async () => {
  await fleet?.stop();
  await gate?.stop();
  await relay?.stop();
  await server?.stop();
}, 60_000);

/**
 * One trial: a case whose action is interrupted by kill -9 of `victim` while one of its requests is
 * in flight (the action recorded in the journal, not done). `isolate`: an escalated case on a
 * customer-facing pod, approved, isolated with two requests; else a pod labelled without a human.
 * `release`, for the cluster-actions victim: the request is carried out by the server and its answer
 * never reaches the client ("landed"), or the client dies first and it never is ("lost"); for the
 * remediate victim, whose request lives on in cluster-actions: let through before or after the
 * victim's restart.
 */
interface Trial {
  victim: "cluster-actions" | "remediate";
  pod: string;
  isolate: boolean;
  /** Which of the action's requests is in flight at the kill: the label, or the policy. */
  held: "label" | "policy";
  release: "landed" | "lost" | "allow" | "allow-after-restart";
}

/** What is in flight: a label alone, or either request of an isolation. */
const shapes = [
  { isolate: false, held: "label" },
  { isolate: true, held: "label" },
  { isolate: true, held: "policy" },
] as const;
/** The remediate victim's request lives on in cluster-actions: let through before or after its restart. */
const releases = {
  "cluster-actions": ["landed", "lost"],
  remediate: ["allow", "allow-after-restart"],
} as const;

/** Every shape with every release, in turn. */
function trials(victim: Trial["victim"]): Trial[] {
  return Array.from({ length: TRIALS }, (_, i) => ({
    victim,
    pod: `${victim}-${i}`,
    ...shapes[i % shapes.length],
    release: releases[victim][Math.floor(i / shapes.length) % 2],
  })) as Trial[];
}

const event = (pod: string, isolate: boolean) =>
  falcoAlert({
    rule: isolate ? "Drop and execute new binary in container" : "Read sensitive file untrusted",
    priority: isolate ? "Critical" : "Warning",
    tags: ["T1555", "container", "maturity_stable", "mitre_credential_access"],
    namespace: "shop",
    pod,
    image: "docker.io/library/nginx",
  });

const settled = (id: string, status: Case["status"]) =>
  setUp().fleet.waitFor(
    async () => {
      const reply = await setUp().fleet.desk().trace(id);
      return reply.case.status === status ? reply : undefined;
    },
    90_000,
    `case ${id} to be ${status}`,
  );

/** The requests the remediation identity made for real to the trial's pod (label) or policy. */
const changes = (request: AdmissionRequest, trial: Trial, caseId: string) =>
  request.userInfo.username === REMEDIATION &&
  request.namespace === "shop" &&
  ((request.resource.resource === "pods" && !request.subResource && request.name === trial.pod) ||
    (request.resource.resource === "ciliumnetworkpolicies" && request.name === quarantinePolicyName(caseId)));

async function killWhileHeld(trial: Trial, held: Promise<HeldRequest>, caseId: () => string): Promise<void> {
  const { relay, fleet } = setUp();
  const request = await held;
  const pid = fleet.pid(trial.victim);
  const kill = async () => {
    fleet.signal(trial.victim, "SIGKILL");
    await fleet.waitFor(() => !pidRunning(pid), 10_000, `${trial.victim} to die`);
  };
  if (trial.release === "landed") {
    // Carried out by the server, its answer withheld until the client is dead.
    relay.freeze();
    request.allow();
    await fleet.waitFor(() => stored(trial, caseId()), 10_000, `the ${trial.held} to be stored`);
    await kill();
    relay.thaw();
    return;
  }
  await kill();
  // The client is gone: the server abandons the request (and the gate says no, to be sure).
  if (trial.release === "lost") {
    request.deny("refused after the client died");
    return;
  }
  if (trial.release === "allow-after-restart")
    await fleet.waitFor(() => fleet.pid(trial.victim) !== pid, 30_000, `${trial.victim} to restart`);
  request.allow();
}

/** Whether the held request's change is in the API server (read as the admin, not through the relay). */
async function stored(trial: Trial, caseId: string): Promise<boolean> {
  const { server } = setUp();
  if (trial.held === "policy") {
    const path = `/apis/cilium.io/v2/namespaces/shop/ciliumnetworkpolicies/${quarantinePolicyName(caseId)}`;
    return (await server.request("GET", path)).status === 200;
  }
  const pod = await server.request("GET", `/api/v1/namespaces/shop/pods/${trial.pod}`);
  return pod.body.metadata?.labels?.["soc.fleet/quarantine"] === "true";
}

async function run(trial: Trial): Promise<void> {
  const { server, gate, fleet } = setUp();
  const labels: Record<string, string> = trial.isolate
    ? { app: "checkout", "soc.fleet/asset-class": "customer-facing" }
    : { app: "web" };
  await server.apply([
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: trial.pod, namespace: "shop", labels },
      spec: { containers: [{ name: "web", image: "docker.io/library/nginx:1.27" }] },
    },
  ]);
  let caseId = "";
  const holding = (request: AdmissionRequest) =>
    !request.dryRun &&
    changes(request, trial, caseId) &&
    (trial.held === "label") === (request.resource.resource === "pods");
  let approval: Promise<unknown> | undefined;
  if (trial.isolate) {
    caseId = (await fleet.post(event(trial.pod, true))).body.case_id as string;
    await settled(caseId, "awaiting_human");
    const held = gate.hold(holding);
    approval = fleet.desk().decide(caseId, "approve", "operator", null);
    await killWhileHeld(trial, held, () => caseId);
  } else {
    const held = gate.hold(holding);
    caseId = (await fleet.post(event(trial.pod, false))).body.case_id as string;
    await killWhileHeld(trial, held, () => caseId);
  }

  const done = await settled(caseId, "closed");
  const what = `${trial.victim} killed with the ${trial.held} of ${caseId} in flight, then ${trial.release}`;
  expect(done.case.resolution, what).toBe("remediated");
  if (approval) await expect(approval, what).resolves.toMatchObject({ case: { id: caseId } });
  const remediations = done.steps.filter((step) => step.agent === "remediate");
  expect(
    remediations.map((step) => step.error),
    what,
  ).toEqual([null]);
  expect((remediations[0]?.output as AppliedAction).verification, what).toMatchObject({ ok: true });

  // Applied exactly once: each object the action changes was changed by one admitted request.
  const applied = gate.applied((request) => changes(request, trial, caseId));
  const kinds = applied.map((request) => `${request.operation} ${request.resource.resource}`);
  expect(kinds, what).toEqual(
    trial.isolate ? ["UPDATE pods", "CREATE ciliumnetworkpolicies"] : ["UPDATE pods"],
  );
  const pod = await server.request("GET", `/api/v1/namespaces/shop/pods/${trial.pod}`);
  expect(pod.body.metadata?.labels, what).toMatchObject({ "soc.fleet/quarantine": "true" });
}

describe("kill -9 between an action recorded and done, against a real kube-apiserver (an admission webhook of the test's holds the request in flight)", () => {
  for (const victim of ["cluster-actions", "remediate"] as const) {
    it(`${victim}: ${TRIALS} trials, every action applied exactly once and its case remediated`, async () => {
      for (const trial of trials(victim)) await run(trial);
      expect(setUp().fleet.output.filter((l) => l.startsWith(`${victim} exited (SIGKILL)`))).toHaveLength(
        TRIALS,
      );
    }, 600_000);
  }
});
