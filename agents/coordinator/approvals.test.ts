import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Anomaly } from "../../contracts/anomaly.js";
import type { ApprovalInput, PolicyInput } from "../../contracts/policy.js";
import type { Peers } from "../../runtime/a2a/client.js";
import type { McpPeer } from "../../runtime/mcp/client.js";
import { ApprovalGate } from "./approvals.js";
import { SqliteSql } from "../../runtime/sql/sqlite.js";
import { StepRunner } from "./steps.js";
import { CaseStore } from "./store.js";

const policyInput: PolicyInput = {
  action: {
    type: "isolate_pod",
    target: { kind: "Pod", namespace: "shop", name: "web-1", labels: {}, image: "docker.io/library/nginx" },
  },
  blast_radius: { pods: 5, nodes: 1, namespaces: 1 },
  confidence: 0.9,
  technique: "T1059.004",
  severity: "high",
  asset_tags: [],
};

const anomaly = Anomaly.parse({
  trace_id: "a".repeat(32),
  event: {
    time: "2026-11-24T09:00:00.123456789Z",
    rule: "Terminal shell in container",
    priority: "Notice",
    tags: ["T1059", "maturity_stable"],
    hostname: "worker-a1",
    output: "A shell was spawned",
    output_fields: { "k8s.ns.name": "shop", "k8s.pod.name": "web-1" },
  },
  received_at: "2026-11-24T09:00:00.200Z",
  score: null,
  model_version: "rules-baseline",
  threshold: "Notice",
});

/**
 * The approvals policy's shape with a rule of its own: two approvers with the role "lead"; whoever
 * has no such role may not approve. The Rego itself is tested in policies/ and against OPA.
 */
function twoLeads(input: ApprovalInput) {
  const eligible = input.approvers.filter((a) => a.roles.includes("lead")).map((a) => a.id);
  const strangers = input.approvers.filter((a) => !a.roles.includes("lead")).map((a) => `${a.id} is no lead`);
  return {
    approved: eligible.length >= 2,
    required_approvers: 2,
    approved_by: eligible.sort(),
    reasons: eligible.length >= 2 ? ["approved"] : ["second approver required", ...strangers],
    policy_version: "test",
  };
}

describe("the coordinator's approval gate", () => {
  let dir: string;
  let store: CaseStore;
  let gate: ApprovalGate;
  let asked: ApprovalInput[];
  let caseId: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "soc-approvals-"));
    store = await CaseStore.open(new SqliteSql(join(dir, "cases.db")));
    asked = [];
    const policy = {
      call: (tool: string, args: { input: ApprovalInput }) => {
        expect(tool).toBe("evaluate_approval");
        asked.push(args.input);
        return Promise.resolve(twoLeads(args.input));
      },
    } as unknown as McpPeer;
    const steps = new StepRunner(store, {} as Peers);
    gate = new ApprovalGate(store, steps, policy);
    caseId = (await store.open(anomaly)).case.id;
    await steps.record(caseId, "review", {
      agent: "reviewer",
      skill: "review",
      summary: "escalate",
      input: null,
      output: { input: policyInput },
    });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ann = { id: "ann", roles: ["lead"] };
  const ben = { id: "ben", roles: ["lead"] };

  it("keeps a first approval, records it in the chain, and approves with the second", async () => {
    await expect(gate.approve(caseId, ann)).rejects.toMatchObject({
      code: "approval_pending",
      message: `the approval of ${caseId} by ann is recorded: 1 of 2 approvers`,
    });
    expect(await store.approvals(caseId)).toEqual([ann]);
    expect((await store.steps(caseId)).at(-1)).toMatchObject({
      agent: "coordinator",
      skill: "approve",
      summary: "approval by ann kept: 1 of 2 approvers",
    });
    expect(await gate.approve(caseId, ben)).toBe("approved by ann, ben");
    expect(asked.at(-1)).toMatchObject({ ...policyInput, approvers: [ann, ben] });
  });

  it("counts the same approver once, however often they approve", async () => {
    await expect(gate.approve(caseId, ann)).rejects.toMatchObject({ code: "approval_pending" });
    await expect(gate.approve(caseId, ann)).rejects.toMatchObject({ code: "approval_pending" });
    expect(asked.every((input) => input.approvers.length === 1)).toBe(true);
  });

  it("refuses an approver the policy does not allow and keeps nothing of it", async () => {
    await expect(gate.approve(caseId, { id: "cid", roles: ["responder"] })).rejects.toMatchObject({
      code: "forbidden",
      message: "cid may not approve this: second approver required; cid is no lead",
    });
    expect(await store.approvals(caseId)).toEqual([]);
    await expect(gate.mayUndo(caseId, { id: "cid", roles: ["responder"] })).rejects.toMatchObject({
      code: "forbidden",
    });
    await expect(gate.mayUndo(caseId, ann)).resolves.toBeUndefined();
  });

  it("refuses to approve a case with no policy input recorded", async () => {
    const other = { ...anomaly.event, rule: "Write below etc" };
    const bare = (await store.open({ ...anomaly, trace_id: "b".repeat(32), event: other })).case.id;
    await expect(gate.approve(bare, ann)).rejects.toMatchObject({
      code: "forbidden",
      message: expect.stringContaining("no recorded policy input") as string,
    });
    expect(asked).toEqual([]);
  });
});
