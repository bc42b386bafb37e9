import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { chartDir } from "../fleet/helm.js";
import { catalogCrd, KubeApiServer, type KubeObject } from "../fleet/kube-apiserver/index.js";
import { kubectlBinary } from "../fleet/tools/kubernetes.js";
import { agentConfigPath } from "../fleet/agent-config.js";
import { allOptionsValues, chartValues, helmTemplate, kedaValues, manifestObjects } from "./chart.js";
import { callsKubernetes, fleetCalls, type FleetCalls } from "./fleet-calls.js";
import { ciliumPolicyFlows, expectedFlows, networkPolicyFlows, type NetworkValues } from "./network-flows.js";
import { accessChecks, agentConfigAccess, type Access, type AccessCheck } from "./rbac-checks.js";

const log = (line: string) => process.stdout.write(`${line}\n`);
const root = join(import.meta.dirname, "..");
const namespace = "soc-fleet";
const work = mkdtempSync(join(tmpdir(), "soc-chart-e2e-"));

interface Release {
  label: string;
  manifest: string;
  objects: KubeObject[];
  values: Record<string, unknown>;
}
const release = (label: string, valueFiles: string[]): Release => {
  const manifest = helmTemplate(valueFiles, { namespace });
  return { label, manifest, objects: manifestObjects(manifest), values: chartValues(valueFiles) };
};
const releases = [
  release("default values", []),
  release("every option on", [allOptionsValues]),
  // The one option the all-options file cannot turn on with the others: KEDA in place of the HPA.
  release("every option on, KEDA in place of the HPA", [allOptionsValues, kedaValues]),
];
const allOptions = releases[1] as Release;
const withKeda = releases[2] as Release;

const groupOf = (object: KubeObject) =>
  object.apiVersion?.includes("/") ? object.apiVersion.split("/")[0] : "";
const id = (object: KubeObject) =>
  `${(object.kind ?? "").toLowerCase()}${groupOf(object) ? `.${groupOf(object)}` : ""}/${object.metadata?.name ?? ""}`;

/** The chart's own CRDs (crds/, applied first by `helm install`). */
const chartCrds = readdirSync(join(chartDir, "crds")).map(
  (file) => parse(readFileSync(join(chartDir, "crds", file), "utf8")) as KubeObject,
);

/**
 * The CRDs of the dependencies, for every kind the chart renders (with every option on, with KEDA)
 * that a bare API server does not serve (API groups outside *.k8s.io, but the chart's own), made
 * from the shared schemas.
 */
function dependencyCrds(objects: readonly KubeObject[]): KubeObject[] {
  const own = new Set(chartCrds.map((crd) => (crd.spec as { group: string }).group));
  const kinds = new Map<string, [string, string, string]>();
  for (const object of objects) {
    const [group = "", version = ""] = (object.apiVersion ?? "").split("/");
    if (group.includes(".") && !group.endsWith(".k8s.io") && !own.has(group))
      kinds.set(`${group}/${object.kind ?? ""}`, [group, object.kind ?? "", version]);
  }
  return [...kinds.values()].map(([group, kind, version]) => catalogCrd(group, kind, version));
}

let server: KubeApiServer | undefined;
let calls: FleetCalls;
/** What each agent's code sends to follow its AgentConfig, recorded from that code. */
const agentConfig: Record<string, readonly Access[]> = {};
function kube(): KubeApiServer {
  if (!server) throw new Error("the API server did not start");
  return server;
}

/** `kubectl apply --server-side` as the admin: what it applied (kubectl's names), and each refusal with the server's message. */
function kubectlApply(manifest: string): { applied: string[]; refusals: string[] } {
  const file = join(work, `manifest-${Date.now()}.yaml`);
  writeFileSync(file, manifest);
  const run = spawnSync(
    kubectlBinary(log),
    [
      "apply",
      "--server-side",
      "--field-manager=helm",
      "-o",
      "name",
      "-f",
      file,
      "--kubeconfig",
      kube().kubeconfig,
    ],
    { encoding: "utf8", maxBuffer: 64 << 20 },
  );
  const refusals = run.stderr
    .split(/\n(?=Error)/)
    .map((line) => line.trim())
    .filter(Boolean);
  return { applied: run.stdout.split("\n").filter(Boolean).sort(), refusals };
}

beforeAll(async () => {
  calls = await fleetCalls();
  for (const name of calls.followsAgentConfig) agentConfig[name] = await agentConfigAccess(name, namespace);
  log(`following an AgentConfig sends: ${JSON.stringify(agentConfig.detect)}`);
  const crds = [...chartCrds, ...dependencyCrds(releases.flatMap((rel) => rel.objects))];
  log(`CRDs installed: ${crds.map((crd) => crd.metadata?.name).join(", ")}`);
  server = await KubeApiServer.start({ crds, log });
  await server.namespace(namespace);
  // The namespace the workloads live in, for checks of what the fleet may do outside its own.
  await server.namespace("shop");
});
afterAll(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Sends each check as a SubjectAccessReview; returns the checks whose answer differs from the expectation. */
async function reviewAll(checks: readonly AccessCheck[]): Promise<string[]> {
  const wrong: string[] = [];
  for (const check of checks) {
    const body = {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SubjectAccessReview",
      spec: {
        user: `system:serviceaccount:${namespace}:${check.serviceAccount}`,
        groups: ["system:serviceaccounts", `system:serviceaccounts:${namespace}`, "system:authenticated"],
        ...check.attributes,
      },
    };
    const reply = await kube().request("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", {
      body,
    });
    const status = reply.body.status as { allowed?: boolean; reason?: string } | undefined;
    if (reply.status !== 201)
      wrong.push(`${check.what}: review refused (${reply.status} ${reply.body.message ?? ""})`);
    else if ((status?.allowed ?? false) !== check.allowed)
      wrong.push(
        `${check.what}: ${status?.allowed ? "allowed" : "denied"}, expected ${check.allowed ? "allowed" : "denied"} (${status?.reason ?? ""})`,
      );
  }
  return wrong;
}

// In order: the default install, then every option on as an upgrade of it (as `helm upgrade` would),
// then KEDA in place of the HPA as an upgrade of that.
describe.each(releases)("the chart with $label, applied server-side to a real kube-apiserver", (rel) => {
  it("has every object accepted, object by object", () => {
    const { applied, refusals } = kubectlApply(rel.manifest);
    log(
      `${rel.label}: ${rel.objects.length} objects rendered, ${applied.length} accepted, ${refusals.length} refused`,
    );
    expect(refusals).toEqual([]);
    expect(applied).toEqual(rel.objects.map(id).sort());
  });

  it("gives each component's ServiceAccount exactly what its code needs (SubjectAccessReview)", async () => {
    const checks = accessChecks(rel.objects, rel.values, calls, namespace, agentConfig);
    const wrong = await reviewAll(checks);
    log(
      `${rel.label}: ${checks.length} access reviews (${checks.filter((c) => c.allowed).length} allowed, ${checks.filter((c) => !c.allowed).length} denied), ${wrong.length} wrong`,
    );
    expect(wrong).toEqual([]);
  });
});

describe("the server-side apply check", () => {
  it("reports a refused object with the server's message, and applies the others", () => {
    const objects = manifestObjects(allOptions.manifest);
    const certificate = objects.find((o) => o.kind === "Certificate" && o.metadata?.name === "soc-operator");
    const broken = {
      ...structuredClone(certificate),
      metadata: { name: "soc-broken", namespace },
    } as KubeObject;
    (broken.spec as Record<string, unknown>).commonNmae = "typo";
    const { applied, refusals } = kubectlApply(`${allOptions.manifest}\n---\n${JSON.stringify(broken)}\n`);
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatch(/soc-broken/);
    expect(refusals[0]).toMatch(/spec\.commonNmae: field not declared in schema/);
    expect(applied).toEqual(objects.map(id).sort());
  });
});

describe.each(releases)("the chart's contract with the code, with $label", (rel) => {
  const find = (kind: string, name: string) =>
    rel.objects.find((o) => o.kind === kind && o.metadata?.name === name);

  it("runs every component of fleet/components.ts as a Deployment with its ServiceAccount and Certificate", () => {
    const config = rel.values.config as Record<string, unknown>;
    const deployments = rel.objects.filter((o) => o.kind === "Deployment").map((o) => o.metadata?.name);
    expect(deployments.sort()).toEqual(calls.names.map((n) => `soc-${n}`).sort());
    for (const name of calls.names) {
      const pod = (find("Deployment", `soc-${name}`)?.spec as { template: { spec: PodSpec } }).template.spec;
      const main = pod.containers.find((c) => c.name === name);
      expect(main?.args, name).toEqual(["dist/fleet/run.js", name]);
      expect(find("ServiceAccount", pod.serviceAccountName), name).toBeDefined();
      // Only a component whose code calls the Kubernetes API gets a token.
      expect(pod.automountServiceAccountToken, name).toBe(callsKubernetes(calls, name, config));
      expect(find("ServiceAccount", pod.serviceAccountName)?.automountServiceAccountToken, name).toBe(
        callsKubernetes(calls, name, config),
      );
      const certificate = find("Certificate", `soc-${name}`)?.spec as {
        commonName: string;
        secretName: string;
      };
      expect(certificate.commonName, name).toBe(name);
      expect(pod.volumes.find((v) => v.name === "certs")?.secret?.secretName, name).toBe(
        certificate.secretName,
      );
    }
  });

  it("lets through the network policies exactly the calls the code makes (NetworkPolicy and CiliumNetworkPolicy)", () => {
    const values = rel.values as unknown as NetworkValues;
    const ciliumOn = (rel.values.ciliumNetworkPolicy as { enabled: boolean }).enabled;
    for (const name of calls.names) {
      const pod = (
        find("Deployment", `soc-${name}`)?.spec as {
          template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
        }
      ).template;
      const named = namedPorts(rel.objects, name);
      const expected = expectedFlows(name, calls, values);
      const policy = find("NetworkPolicy", `soc-${name}`) as KubeObject;
      const cilium = find("CiliumNetworkPolicy", `soc-${name}`);
      expect(selects(policy, "podSelector", pod.metadata.labels), name).toBe(true);
      expect(networkPolicyFlows(policy, named), `NetworkPolicy soc-${name}`).toEqual(expected.networkPolicy);
      if (!ciliumOn) continue;
      expect(selects(cilium as KubeObject, "endpointSelector", pod.metadata.labels), name).toBe(true);
      expect(ciliumPolicyFlows(cilium as KubeObject), `CiliumNetworkPolicy soc-${name}`).toEqual(
        expected.cilium,
      );
    }
    const policies = rel.objects.filter(
      (o) => o.kind === "NetworkPolicy" || o.kind === "CiliumNetworkPolicy",
    );
    expect(policies).toHaveLength((ciliumOn ? 2 : 1) * calls.names.length);
  });
});

describe("the chart's contract with the code, with every option on", () => {
  const find = (kind: string, name: string) =>
    allOptions.objects.find((o) => o.kind === kind && o.metadata?.name === name);

  it("has an AgentConfig for every agent that has one in the repository, equal to it", () => {
    const agentConfigs = allOptions.objects.filter((o) => o.kind === "AgentConfig");
    const withFile = calls.names.filter((name) => agentConfigPath(root, name));
    expect(agentConfigs.map((o) => o.metadata?.name).sort()).toEqual(withFile.sort());
    for (const name of withFile)
      expect(find("AgentConfig", name), name).toEqual(
        parse(readFileSync(agentConfigPath(root, name) ?? "", "utf8")),
      );
    // The front end calls no tool and asks no model: nothing to configure (the coordinator asks the
    // approvals policy, and so lists that tool).
    expect(calls.names.filter((n) => calls.kind[n] === "agent" && !withFile.includes(n))).toEqual(["notify"]);
  });

  it("turns on every option values.yaml offers (a new switch must be added to the all-options file)", () => {
    const offIn = (values: unknown): string[] => {
      const off: string[] = [];
      const walk = (node: unknown, path: string) => {
        if (node === false && /(^|\.)(enabled|create)$/.test(path)) off.push(path);
        else if (typeof node === "object" && node !== null && !Array.isArray(node))
          for (const [key, value] of Object.entries(node)) walk(value, path ? `${path}.${key}` : key);
      };
      walk(values, "");
      return off;
    };
    // The prefilter's two autoscalers exclude each other: each render has the other one off.
    expect(offIn(allOptions.values)).toEqual(["components.prefilter.keda.enabled"]);
    expect(offIn(withKeda.values)).toEqual(["components.prefilter.autoscaling.enabled"]);
  });

  it("lets the policy engine reach an OPA of its own, and nothing for the sidecar on loopback", () => {
    for (const url of ["http://opa.opa.svc:8181", "https://opa.example.com", "http://127.0.0.1:2811"]) {
      const file = join(work, "opa.yaml");
      writeFileSync(file, JSON.stringify({ config: { SOC_OPA_URL: url } }));
      const objects = manifestObjects(helmTemplate([allOptionsValues, file], { namespace }));
      const values = chartValues([allOptionsValues, file]) as unknown as NetworkValues;
      const policy = objects.find(
        (o) => o.kind === "NetworkPolicy" && o.metadata?.name === "soc-policy-engine",
      );
      const flows = networkPolicyFlows(policy as KubeObject, namedPorts(objects, "policy-engine"));
      expect(flows, url).toEqual(expectedFlows("policy-engine", calls, values).networkPolicy);
      expect(
        flows.some((flow) => /^out (8181|443)\/TCP to any$/.test(flow)),
        url,
      ).toBe(!url.includes("127.0.0.1"));
    }
  });

  it("the code agrees with itself on who calls the MCP servers (AgentConfig tools, servers' callers)", () => {
    expect(calls.problems).toEqual([]);
  });
});

interface PodSpec {
  serviceAccountName: string;
  automountServiceAccountToken: boolean;
  containers: { name: string; args?: string[]; ports?: { name: string; containerPort: number }[] }[];
  volumes: { name: string; secret?: { secretName: string } }[];
}

/** A component's named container ports (a2a, mcp, ops…), as its NetworkPolicy names them. */
function namedPorts(objects: readonly KubeObject[], name: string): Record<string, number> {
  const deployment = objects.find((o) => o.kind === "Deployment" && o.metadata?.name === `soc-${name}`);
  const pod = (deployment?.spec as { template: { spec: PodSpec } }).template.spec;
  const container = pod.containers.find((c) => c.name === name);
  return Object.fromEntries((container?.ports ?? []).map((p) => [p.name, p.containerPort]));
}

/** Whether a policy's selector picks the component's pods: its labels a subset of the pod template's. */
function selects(policy: KubeObject, field: string, labels: Record<string, string>): boolean {
  const selector = (policy.spec as Record<string, { matchLabels: Record<string, string> }>)[field];
  return Object.entries(selector?.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
}
