import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { Case } from "../contracts/case.js";
import { components } from "../fleet/components.js";
import { agentConfigPath } from "../fleet/agent-config.js";
import { chartDir } from "../fleet/helm.js";
import { falcoAlert } from "../fleet/alerts.js";
import type { KubeApiServer, KubeObject } from "../fleet/kube-apiserver/index.js";
import { LocalFleet } from "../fleet/local.js";
import { remediationCluster } from "./cluster-fixture.js";

const root = join(import.meta.dirname, "..");
let server: KubeApiServer | undefined;
let fleet: LocalFleet | undefined;

function setUp() {
  if (!server || !fleet) throw new Error("setup failed");
  return { server, fleet };
}

/** Every agent that has an AgentConfig, and its document as the chart installs it. */
const agentConfigs = components.flatMap(({ name }) => {
  const path = agentConfigPath(root, name);
  return path ? [{ name, document: parse(readFileSync(path, "utf8")) as KubeObject }] : [];
});
const path = (name: string) => `/apis/soc.fleet/v1alpha1/namespaces/soc-fleet/agentconfigs/${name}`;

interface Status {
  observedGeneration?: number;
  conditions?: { type: string; status: string; reason: string; message: string }[];
}

async function status(name: string): Promise<{ generation: number; status: Status }> {
  const { body } = await setUp().server.request("GET", path(name));
  const { metadata, status = {} } = body as { metadata: { generation: number }; status?: Status };
  return { generation: metadata.generation, status };
}

/** The status once the agent has read the resource's current generation. */
const observed = (name: string) =>
  setUp().fleet.waitFor(
    async () => {
      const now = await status(name);
      return now.status.observedGeneration === now.generation ? now.status : undefined;
    },
    30_000,
    `${name} to read its AgentConfig`,
  );

const edit = async (name: string, spec: Record<string, unknown>) =>
  setUp().server.request("PATCH", path(name), {
    body: { spec },
    contentType: "application/merge-patch+json",
  });

beforeAll(async () => {
  const crd = parse(
    readFileSync(join(chartDir, "crds", "agentconfigs.soc.fleet.yaml"), "utf8"),
  ) as KubeObject;
  server = await remediationCluster(
    [
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "storefront-7d9c8b6f5-x2x9q", namespace: "shop", labels: { app: "storefront" } },
        spec: { containers: [{ name: "web", image: "docker.io/library/nginx:1.27" }] },
      },
      ...agentConfigs.map(({ document }) => ({
        ...document,
        metadata: { ...document.metadata, namespace: "soc-fleet" },
      })),
    ],
    [crd],
  );
  // The agents' credentials, in the namespace their resources are in (as a pod's would be).
  const file = server.adminKubeconfig("soc-fleet");
  fleet = await LocalFleet.start({
    env: { SOC_PREFILTER: "priority", KUBECONFIG: file, SOC_AGENT_CONFIG: "cluster" },
  });
}, 900_000);

afterAll(async () => {
  await fleet?.stop();
  await server?.stop();
}, 60_000);

const event = () =>
  falcoAlert({
    rule: "Read sensitive file untrusted",
    priority: "Warning",
    tags: ["T1555", "container", "maturity_stable", "mitre_credential_access"],
    namespace: "shop",
    pod: "storefront-7d9c8b6f5-x2x9q",
    image: "docker.io/library/nginx",
  });

async function settled(status: Case["status"]): Promise<Case> {
  const { fleet } = setUp();
  const { body } = await fleet.post(event());
  const id = body.case_id as string;
  return fleet.waitFor(
    async () => {
      const { case: current } = await fleet.desk().trace(id);
      return current.status === status ? current : undefined;
    },
    30_000,
    `case ${id} to be ${status}`,
  );
}

describe("agents configured by their AgentConfig resources on a real kube-apiserver, followed without a restart", () => {
  it("each agent reads its own resource and says so in its status", async () => {
    expect(agentConfigs.map(({ name }) => name).sort()).toEqual(
      ["analyst", "coordinator", "detect", "prefilter", "remediate", "reviewer", "rules"].sort(),
    );
    for (const { name } of agentConfigs) {
      const applied = await observed(name);
      expect(applied.conditions?.[0], name).toMatchObject({
        type: "Applied",
        status: "True",
        reason: "Applied",
      });
    }
  });

  it("applies an edit to the next call: a tool marked requireApproval turns an automatic action into an escalation", async () => {
    const { fleet } = setUp();
    expect((await settled("closed")).resolution).toBe("remediated");
    const pid = fleet.pid("remediate");

    const edited = await edit("remediate", { requireApproval: ["cluster-actions/label_pod"] });
    expect(edited.status).toBe(200);
    expect((await observed("remediate")).conditions?.[0]).toMatchObject({ status: "True" });

    const waiting = await settled("awaiting_human");
    expect(waiting.reasons.join(" ")).toMatch(/cluster-actions\/label_pod only on a human's approval/);
    const approved = await fleet.desk().decide(waiting.id, "approve", "alice", null);
    expect(approved.case.resolution).toBe("remediated");
    expect(fleet.pid("remediate")).toBe(pid);
  });

  it("refuses an edit the API server lets through, lists its problems in the status, and keeps what was in force", async () => {
    const { fleet } = setUp();
    const before = await status("remediate");
    const tools = ["cluster-actions/label_pod", "kubectl/exec", "cluster-actions/undo_case"];
    expect((await edit("remediate", { tools })).status).toBe(200);
    const refused = await observed("remediate");
    expect(refused.observedGeneration).toBe(before.generation + 1);
    expect(refused.conditions?.[0]).toMatchObject({ type: "Applied", status: "False", reason: "Invalid" });
    expect(refused.conditions?.[0]?.message).toMatch(
      /spec\.tools\.1: kubectl\/exec: kubectl is not an MCP server of the fleet/,
    );
    // Still the configuration of the generation before: label_pod needs approval.
    expect((await settled("awaiting_human")).reasons.join(" ")).toMatch(/only on a human's approval/);

    // What the CRD can say, the API server refuses itself: approval for a tool not allowed at all.
    const invalid = await edit("remediate", {
      requireApproval: ["cluster-actions/terminate_pod"],
      tools: ["cluster-actions/label_pod"],
    });
    expect(invalid.status).toBe(422);
    expect(invalid.body.message).toMatch(/every tool in requireApproval must be in tools/);
    expect(fleet.output.filter((line) => line.startsWith("remediate exited"))).toEqual([]);
  });
});
