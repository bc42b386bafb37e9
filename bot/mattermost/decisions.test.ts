import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CaseDesk } from "../../commands/index.js";
import { emptyContext } from "../../contracts/cluster.js";
import type { ApprovalInput, PolicyInput } from "../../contracts/policy.js";
import type { Step } from "../../contracts/step.js";
import { escalatedCase } from "../../test/fixtures.js";
import { clientComponentForTests } from "../../test/fakes.js";
import type { MattermostApi } from "./api.js";
import { Decisions } from "./decisions.js";
import { Outbox } from "./outbox.js";
import { BotStore } from "./store.js";

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
const reviewStep = {
  seq: 4,
  skill: "review",
  error: null,
  output: { input: policyInput },
} as unknown as Step;

/** What detect found when asked to investigate: a pod gone, a namespace label trying a mention. */
const evidence = {
  same_pod: [],
  same_image: [],
  distinct_rules: [],
  context: { ...emptyContext("not_found", "pod shop/web-1 is gone"), namespace_labels: { team: "@channel" } },
  forwarded: null,
  summary: "no recent events",
};

/** What the analyst's model would ask next, one question trying a mention. */
const questions = {
  model: "m.gguf",
  questions: [{ question: "Did @channel run it?", evidence: "the exec audit log" }],
  fallback: null,
};

/** An approvals policy that wants two approvers with the role "lead". */
function twoLeads(input: ApprovalInput) {
  const eligible = input.approvers.filter((a) => a.roles.includes("lead")).map((a) => a.id);
  return Promise.resolve({
    approved: eligible.length >= 2,
    required_approvers: 2,
    approved_by: eligible.sort(),
    reasons: eligible.length >= 2 ? ["approved"] : ["second approver required"],
    policy_version: "test",
  });
}

describe("Decisions", () => {
  let dir: string;
  let store: BotStore;
  let decided: { action: string; by: string; reason: string | null }[];
  let undone: { caseId: string; by: string }[];
  let decisions: Decisions;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "soc-decisions-"));
    store = new BotStore(join(dir, "bot.db"));
    decided = [];
    undone = [];
    const desk: CaseDesk = {
      decide: (caseId, action, by, reason) => {
        decided.push({ action, by, reason });
        return Promise.resolve({
          case: { ...escalatedCase, decision: { action, by, reason, at: new Date().toISOString() } },
          evidence: action === "investigate" ? evidence : null,
          questions: action === "investigate" ? questions : null,
        });
      },
      trace: () => Promise.resolve({ case: escalatedCase, steps: [reviewStep] }),
      undo: (caseId, by) => {
        undone.push({ caseId, by });
        return Promise.resolve({ case: escalatedCase, undone: [{ action: "label_pod", answers: [] }] });
      },
      cases: () => Promise.resolve([]),
      status: () => Promise.reject(new Error("not used")),
    };
    const component = clientComponentForTests("notify");
    const outbox = new Outbox(component, store, {} as MattermostApi, () => undefined, 3_600_000);
    decisions = new Decisions(
      component,
      store,
      desk,
      outbox,
      { ann: ["lead"], ben: ["lead"], cid: ["responder"] },
      (_caseId, input) => twoLeads(input),
    );
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const approve = (by: string) => decisions.deskFor("button").decide(escalatedCase.id, "approve", by, null);
  const undo = (by: string) => decisions.deskFor("command").undo(escalatedCase.id, by);

  it("lets undo only an approver the policy lets approve the action, and audits both", async () => {
    await expect(undo("eve")).rejects.toMatchObject({ code: "forbidden" });
    await expect(undo("cid")).rejects.toMatchObject({ code: "forbidden" });
    expect(undone).toEqual([]);
    await undo("ann");
    expect(undone).toEqual([{ caseId: escalatedCase.id, by: "ann" }]);
    expect(store.auditTrail(escalatedCase.id).map((e) => [e.user, e.action, e.outcome])).toEqual([
      ["eve", "undo", "refused"],
      ["cid", "undo", "refused"],
      ["ann", "undo", "applied"],
    ]);
  });

  it("keeps a first approval pending and applies the action once a second approver agrees", async () => {
    await expect(approve("ann")).rejects.toMatchObject({ code: "approval_pending" });
    expect(decided).toEqual([]);
    await approve("ben");
    expect(decided).toEqual([{ action: "approve", by: "ben", reason: "approved by ann, ben" }]);
    expect(store.auditTrail(escalatedCase.id).map((e) => [e.user, e.outcome])).toEqual([
      ["ann", "pending"],
      ["ben", "applied"],
    ]);
  });

  it("counts the same approver twice only once", async () => {
    await expect(approve("ann")).rejects.toMatchObject({ code: "approval_pending" });
    await expect(approve("ann")).rejects.toMatchObject({ code: "approval_pending" });
    expect(decided).toEqual([]);
  });

  it("refuses an approver the policy does not allow, and someone who is no approver at all", async () => {
    await expect(approve("cid")).rejects.toMatchObject({ code: "forbidden" });
    await expect(approve("eve")).rejects.toMatchObject({ code: "forbidden" });
    expect(decided).toEqual([]);
    expect(store.auditTrail().map((e) => [e.user, e.outcome])).toEqual([
      ["cid", "refused"],
      ["eve", "refused"],
    ]);
  });

  it("applies a final decision at most once", async () => {
    await decisions.deskFor("command").decide(escalatedCase.id, "dismiss", "ann", "benign");
    await expect(
      decisions.deskFor("button").decide(escalatedCase.id, "dismiss", "ben", "also benign"),
    ).rejects.toMatchObject({ code: "case_not_awaiting" });
    expect(decided).toHaveLength(1);
  });

  it("puts the evidence and the cluster's context in the case's thread when asked to investigate", async () => {
    await decisions.deskFor("button").decide(escalatedCase.id, "investigate", "cid", null);
    const queued = store.nextPending();
    expect(queued?.kind).toBe("reply");
    expect((JSON.parse(queued?.body ?? "{}") as { message?: string }).message?.split("\n")).toEqual([
      `**More evidence** for \`${escalatedCase.id}\`, asked by \`cid\`:`,
      "`no recent events`",
      "**Cluster:** `not_found` · the pod named by the event does not exist in the cluster · `pod shop/web-1 is gone`",
      "- **Namespace labels:** `team=@channel`",
      "**Questions to answer next** (`m.gguf`'s words):",
      "- `Did @channel run it?` Settled by: `the exec audit log`",
    ]);
  });
});
