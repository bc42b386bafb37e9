import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CaseDesk } from "../../commands/index.js";
import { emptyContext } from "../../contracts/cluster.js";
import { escalatedCase } from "../../test/fixtures.js";
import { clientComponentForTests } from "../../test/fakes.js";
import type { MattermostApi } from "./api.js";
import { SocError } from "../../runtime/errors.js";
import { Decisions, type Person } from "./decisions.js";
import { Outbox } from "./outbox.js";
import { SqliteSql } from "../../runtime/sql/sqlite.js";
import { Leases } from "../../runtime/sql/lease.js";
import { BotStore } from "./store.js";

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

/** People as the bot resolves them: ann, ben and cid approvers (cid's roles allow nothing), eve not. */
const people: Record<string, Person> = Object.fromEntries(
  ["ann", "ben", "cid", "eve"].map((name, i) => [
    name,
    { id: String(i).repeat(26), username: `${name}-now`, approver: name === "eve" ? null : name },
  ]),
);

describe("Decisions", () => {
  let dir: string;
  let store: BotStore;
  let decided: { action: string; by: string; reason: string | null }[];
  let undone: { caseId: string; by: string }[];
  let decisions: Decisions;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "soc-decisions-"));
    const sql = new SqliteSql(join(dir, "bot.db"));
    store = await BotStore.open(sql);
    const leases = await Leases.open(sql, "notify", 10_000);
    decided = [];
    undone = [];
    // The coordinator as the bot meets it: cid's roles allow nothing, ann's approval waits for a second.
    const desk: CaseDesk = {
      decide: (caseId, action, by, reason) => {
        if (by === "cid") return Promise.reject(new SocError("forbidden", "cid may not approve this"));
        if (action === "approve" && by === "ann")
          return Promise.reject(new SocError("approval_pending", "recorded: 1 of 2 approvers"));
        decided.push({ action, by, reason });
        return Promise.resolve({
          case: { ...escalatedCase, decision: { action, by, reason, at: new Date().toISOString() } },
          evidence: action === "investigate" ? evidence : null,
          questions: action === "investigate" ? questions : null,
        });
      },
      trace: () => Promise.reject(new Error("not used")),
      undo: (caseId, by) => {
        if (by === "cid") return Promise.reject(new SocError("forbidden", "cid may not undo this"));
        undone.push({ caseId, by });
        return Promise.resolve({ case: escalatedCase, undone: [{ action: "label_pod", answers: [] }] });
      },
      cases: () => Promise.resolve([]),
      rule: () => Promise.reject(new Error("not used")),
      rules: () => Promise.reject(new Error("not used")),
      status: () => Promise.reject(new Error("not used")),
    };
    const component = clientComponentForTests("notify");
    const outbox = new Outbox(component, store, {} as MattermostApi, () => undefined, 3_600_000, leases);
    decisions = new Decisions(component, store, desk, outbox);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const desk = (via: "button" | "command", who: string) => decisions.deskFor(via, people[who] as Person);
  // The name a command passes is never who decides: "root" is ignored.
  const approve = (who: string) => desk("button", who).decide(escalatedCase.id, "approve", "root", null);
  const undo = (who: string) => desk("command", who).undo(escalatedCase.id, "root");

  it("decides for the approver the user id was resolved to, whatever name the command passes", async () => {
    await approve("ben");
    expect(decided).toEqual([{ action: "approve", by: "ben", reason: null }]);
    expect((await store.auditTrail(escalatedCase.id)).map((e) => [e.user, e.via, e.outcome])).toEqual([
      ["ben-now", "button", "applied"],
    ]);
  });

  it("refuses someone who is no approver before the fleet is asked, and audits it", async () => {
    await expect(approve("eve")).rejects.toMatchObject({ code: "forbidden" });
    await expect(undo("eve")).rejects.toMatchObject({ code: "forbidden" });
    expect(decided).toEqual([]);
    expect(undone).toEqual([]);
    expect((await store.auditTrail()).map((e) => [e.user, e.action, e.outcome, e.detail])).toEqual([
      ["eve-now", "approve", "refused", "not an approver"],
      ["eve-now", "undo", "refused", "not an approver"],
    ]);
  });

  it("audits the coordinator's refusal as a refusal and gives the claim back", async () => {
    await expect(approve("cid")).rejects.toMatchObject({ code: "forbidden" });
    await expect(undo("cid")).rejects.toMatchObject({ code: "forbidden" });
    expect((await store.auditTrail()).map((e) => [e.user, e.outcome, e.detail])).toEqual([
      ["cid-now", "refused", "cid may not approve this"],
      ["cid-now", "refused", "cid may not undo this"],
    ]);
    await approve("ben");
    expect(decided).toEqual([{ action: "approve", by: "ben", reason: null }]);
  });

  it("keeps a pending approval in the audit and the thread, and lets the second approver decide", async () => {
    await expect(approve("ann")).rejects.toMatchObject({ code: "approval_pending" });
    expect(decided).toEqual([]);
    const reply = JSON.parse((await store.nextPending())?.body ?? "{}") as { message?: string };
    expect(reply.message).toBe(
      `Approval of \`${escalatedCase.id}\` by \`ann\` recorded: \`recorded: 1 of 2 approvers\``,
    );
    await approve("ben");
    expect(decided).toEqual([{ action: "approve", by: "ben", reason: null }]);
    expect((await store.auditTrail(escalatedCase.id)).map((e) => [e.user, e.outcome])).toEqual([
      ["ann-now", "pending"],
      ["ben-now", "applied"],
    ]);
  });

  it("undoes for an approver, in the thread", async () => {
    await undo("ann");
    expect(undone).toEqual([{ caseId: escalatedCase.id, by: "ann" }]);
    expect((await store.auditTrail()).map((e) => [e.user, e.action, e.outcome])).toEqual([
      ["ann-now", "undo", "applied"],
    ]);
  });

  it("applies a final decision at most once", async () => {
    await desk("command", "ann").decide(escalatedCase.id, "dismiss", "ann", "benign");
    await expect(
      desk("button", "ben").decide(escalatedCase.id, "dismiss", "ben", "also benign"),
    ).rejects.toMatchObject({ code: "case_not_awaiting" });
    expect(decided).toHaveLength(1);
  });

  it("puts the evidence and the cluster's context in the case's thread when asked to investigate", async () => {
    await desk("button", "ben").decide(escalatedCase.id, "investigate", "root", null);
    const queued = await store.nextPending();
    expect(queued?.kind).toBe("reply");
    expect((JSON.parse(queued?.body ?? "{}") as { message?: string }).message?.split("\n")).toEqual([
      `**More evidence** for \`${escalatedCase.id}\`, asked by \`ben\`:`,
      "`no recent events`",
      "**Cluster:** `not_found` · the pod named by the event does not exist in the cluster · `pod shop/web-1 is gone`",
      "- **Namespace labels:** `team=@channel`",
      "**Questions to answer next** (`m.gguf`'s words):",
      "- `Did @channel run it?` Settled by: `the exec audit log`",
    ]);
  });
});
