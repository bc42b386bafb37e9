import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Case } from "../contracts/case.js";
import type { AppliedAction } from "../contracts/cluster.js";
import type { Step } from "../contracts/step.js";
import { FleetConfig } from "../contracts/config.js";
import { falcoAlert } from "../fleet/alerts.js";
import { falcoOutput } from "../fleet/falco-output.js";
import { loadConfig } from "../runtime/config.js";
import { AdmissionGate, KubeApiServer, type KubeObject } from "../fleet/kube-apiserver/index.js";
import { LocalFleet } from "../fleet/local.js";
import { remediationCluster } from "./cluster-fixture.js";

type TraceReply = { ok: true; case: Case; steps: Step[] };

let server: KubeApiServer | undefined;
let fleet: LocalFleet | undefined;
let gate: AdmissionGate | undefined;

function kube(): KubeApiServer {
  if (!server) throw new Error("the API server did not start");
  return server;
}
function running(): LocalFleet {
  if (!fleet) throw new Error("the fleet did not start");
  return fleet;
}

const pod = (name: string, labels: Record<string, string>): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "shop", labels },
  spec: { containers: [{ name: "web", image: "docker.io/library/nginx:1.27" }] },
});

/** An event Falco would send for a pod of the shop namespace. */
const event = (
  pod: string,
  priority: "Warning" | "Critical",
  image = "docker.io/library/nginx",
  uuid?: string,
) =>
  falcoAlert({
    ...(uuid ? { uuid } : {}),
    rule:
      priority === "Critical" ? "Drop and execute new binary in container" : "Read sensitive file untrusted",
    priority,
    tags: ["T1555", "container", "maturity_stable", "mitre_credential_access"],
    namespace: "shop",
    pod,
    image,
  });

beforeAll(async () => {
  server = await remediationCluster([
    pod("storefront-7d9c8b6f5-x2x9q", { app: "storefront" }),
    pod("checkout-6b7d9-k2m4p", { app: "checkout", "soc.fleet/asset-class": "customer-facing" }),
    pod("legacy-billing-0", { app: "legacy-billing" }),
    pod("vault-0", { app: "vault", "soc.fleet/always-escalate": "true" }),
  ]);
  // An admission controller of the cluster's that strips the quarantine label from one pod, as a
  // platform team's mutate rule could: the server answers 200 and stores the pod without it.
  gate = await AdmissionGate.install(
    server,
    [{ apiGroups: [""], resources: ["pods"], operations: ["UPDATE"] }],
    (request) =>
      request.name === "legacy-billing-0" && request.object?.metadata?.labels?.["soc.fleet/quarantine"]
        ? [{ op: "remove", path: "/metadata/labels/soc.fleet~1quarantine" }]
        : [],
  );
  const kubeconfig = server.kubeconfigFor(await server.token("soc-fleet", "soc-remediate"));
  fleet = await LocalFleet.start({
    env: { SOC_PREFILTER: "priority", KUBECONFIG: kubeconfig, SOC_REMEDIATE_MODE: "enforce" },
  });
}, 900_000);

afterAll(async () => {
  await fleet?.stop();
  await gate?.stop();
  await server?.stop();
}, 60_000);

async function open(alert: unknown): Promise<string> {
  const { status, body } = await running().post(alert);
  expect(status).toBe(200);
  return body.case_id as string;
}

const settled = (id: string, status: Case["status"]) =>
  running().waitFor(
    async () => {
      const reply = (await running().soc(["trace", id])).json as TraceReply;
      return reply.case.status === status ? reply : undefined;
    },
    30_000,
    `case ${id} to be ${status}`,
  );

async function labels(name: string): Promise<Record<string, string> | undefined> {
  const reply = await kube().request("GET", `/api/v1/namespaces/shop/pods/${name}`);
  return reply.body.metadata?.labels;
}

describe("the fleet on a real kube-apiserver, as the chart's remediation ServiceAccount (no kubelet: pods stay Pending)", () => {
  it("acts on an unlabelled pod without a human: the label is in the API server, answered and verified", async () => {
    const id = await open(event("storefront-7d9c8b6f5-x2x9q", "Warning"));
    const done = await settled(id, "closed");
    expect(done.case.resolution).toBe("remediated");
    expect(await labels("storefront-7d9c8b6f5-x2x9q")).toMatchObject({ "soc.fleet/quarantine": "true" });
    const applied = done.steps.find((s) => s.agent === "remediate")?.output as AppliedAction;
    expect(applied.mode).toBe("enforce");
    expect(applied.answers.map((a) => a.status)).toEqual([200]);
    expect(applied.verification).toMatchObject({ ok: true });
    const evidence = done.steps.find((s) => s.agent === "detect")?.output as { context: { status: string } };
    expect(evidence.context.status).toBe("found");
  });

  it("escalates the same event on a customer-facing pod; approved, the pod is isolated in the API server; undo lifts it", async () => {
    const id = await open(event("checkout-6b7d9-k2m4p", "Critical"));
    const waiting = await settled(id, "awaiting_human");
    expect(waiting.case.reasons.join(" ")).toMatch(/soc\.fleet\/asset-class=customer-facing/);
    expect(await labels("checkout-6b7d9-k2m4p")).not.toHaveProperty("soc.fleet/quarantine");

    expect((await running().soc(["approve", id])).code).toBe(0);
    const done = await settled(id, "closed");
    expect(done.case.resolution).toBe("remediated");
    const policy = await kube().request(
      "GET",
      `/apis/cilium.io/v2/namespaces/shop/ciliumnetworkpolicies/soc-quarantine-${id.toLowerCase()}`,
    );
    expect(policy.status).toBe(200);
    expect(await labels("checkout-6b7d9-k2m4p")).toMatchObject({ "soc.fleet/quarantine": "true" });
    const applied = done.steps.find((s) => s.agent === "remediate")?.output as AppliedAction;
    expect(applied.requests.map((r) => r.method)).toEqual(["PATCH", "PATCH"]);
    expect(applied.answers.map((a) => a.status)).toEqual([200, 201]);
    expect(applied.verification?.detail).toMatch(/selects shop\/checkout-6b7d9-k2m4p/);

    const undone = await running().soc(["undo", id]);
    expect(undone.code).toBe(0);
    expect(JSON.stringify(undone.json)).toMatch(/undone by .*isolate_pod/);
    const cnp = `/apis/cilium.io/v2/namespaces/shop/ciliumnetworkpolicies/soc-quarantine-${id.toLowerCase()}`;
    expect((await kube().request("GET", cnp)).status).toBe(404);
    expect(await labels("checkout-6b7d9-k2m4p")).toEqual({
      app: "checkout",
      "soc.fleet/asset-class": "customer-facing",
    });
    const trace = (await running().soc(["trace", id])).json as TraceReply;
    expect(trace.steps.at(-1)).toMatchObject({ agent: "remediate", skill: "restore" });
    // Undone once: asked again, there is nothing left to lift.
    expect(JSON.stringify((await running().soc(["undo", id])).json)).toMatch(/nothing was left to undo/);
  });

  it("never acts on a pod the cluster does not have, nor on one that runs another image", async () => {
    const ghost = await open(event("ghost-7f9c-abcde", "Warning"));
    const missing = await settled(ghost, "awaiting_human");
    expect(missing.case.reasons.join(" ")).toMatch(/target-not-found/);
    expect(missing.steps.some((s) => s.agent === "remediate")).toBe(false);

    const other = await open(event("storefront-7d9c8b6f5-x2x9q", "Warning", "docker.io/library/redis"));
    const mismatch = await settled(other, "awaiting_human");
    expect(mismatch.case.reasons.join(" ")).toMatch(/image-mismatch/);
  });

  it("never aims an action at a protected workload with a forged or a replayed event", async () => {
    const forged = event(
      "vault-0",
      "Warning",
      "docker.io/library/nginx",
      "5b0c6c1e-7d1f-4a51-9b8e-2f6a0e0c9d41",
    );
    // A compromised component's certificate (or none) does not reach the ingest: only Falco's does.
    const asDetect = falcoOutput(loadConfig(FleetConfig, running().env), "detect");
    expect((await asDetect(JSON.stringify(forged))).status).toBe(403);
    expect(JSON.stringify((await running().soc(["cases"])).json)).not.toContain("vault-0");
    // From Falco, the event that acts on an ordinary pod without a human escalates here: the pod's
    // labels are read from the cluster, whatever the event says.
    const id = await open(forged);
    const waiting = await settled(id, "awaiting_human");
    expect(waiting.case.reasons.join(" ")).toMatch(/soc\.fleet\/always-escalate=true is always escalated/);
    expect(waiting.steps.some((s) => s.agent === "remediate")).toBe(false);
    // Replayed, before and after the decision: the same case, and no second action.
    const again = await running().post(forged);
    expect(again.body).toMatchObject({ forwarded: false, duplicate: true });
    expect((await running().soc(["dismiss", id, "a", "drill"])).code).toBe(0);
    await settled(id, "closed");
    // Even once the pre-filter has forgotten it (killed, and restarted by the launcher): the
    // coordinator knows the event.
    const before = running().pid("prefilter");
    running().signal("prefilter", "SIGKILL");
    const replayed = await running().waitFor(
      async () => {
        if (running().pid("prefilter") === before) return undefined;
        return running()
          .post(forged)
          .catch(() => undefined);
      },
      30_000,
      "the restarted pre-filter to take the replay",
    );
    expect(replayed.body).toMatchObject({ forwarded: true, case_id: id });
    const cases = (await running().soc(["cases"])).json as { cases: Case[] };
    expect(cases.cases.filter((c) => c.pod === "vault-0").map((c) => c.id)).toEqual([id]);
    expect(await labels("vault-0")).toEqual({ app: "vault", "soc.fleet/always-escalate": "true" });
  });

  it("hands a case to a human when the server accepted the action but its effect is not there", async () => {
    const id = await open(event("legacy-billing-0", "Warning"));
    const waiting = await settled(id, "awaiting_human");
    expect(waiting.case.reasons.join(" ")).toMatch(
      /label_pod sent 1 request\(s\), NOT verified: soc\.fleet\/quarantine is null/,
    );
    const failed = waiting.steps.filter((s) => s.agent === "remediate");
    expect(failed.map((s) => s.error)).toEqual(["not_verified"]);
    expect(await labels("legacy-billing-0")).toEqual({ app: "legacy-billing" });
  });

  it("escalates with the reason when the API server cannot be read, and acts again once it is back", async () => {
    await kube().stopApiServer();
    try {
      const id = await open(event("storefront-7d9c8b6f5-x2x9q", "Warning"));
      const waiting = await settled(id, "awaiting_human");
      expect(waiting.case.reasons.join(" ")).toMatch(/cluster-unreachable|could not be read/);
    } finally {
      await kube().startApiServer();
    }
    const again = await open(event("storefront-7d9c8b6f5-x2x9q", "Warning"));
    expect((await settled(again, "closed")).case.resolution).toBe("remediated");
  });
});
