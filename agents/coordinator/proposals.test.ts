import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import { Anomaly } from "../../contracts/anomaly.js";
import type { RuleProposal } from "../../contracts/rules.js";
import { freshDatabase, sqlEngines, stopPostgres } from "../../test/databases.js";
import { openProposal } from "../../test/fixtures.js";
import { Proposals } from "./proposals.js";
import { draftTrigger } from "./rule-drafts.js";

afterAll(stopPostgres);

describe.each(sqlEngines)("rule proposals on %s", (engine) => {
  async function open(): Promise<Proposals> {
    const dir = mkdtempSync(join(tmpdir(), "soc-proposals-"));
    const sql = (await freshDatabase(engine, dir))();
    onTestFinished(async () => {
      await sql.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return Proposals.open(sql);
  }
  const proposal = (over: Partial<RuleProposal>): RuleProposal => ({ ...openProposal, ...over });

  it("keeps one proposal per draft: the same draft drafted again is brought up to date", async () => {
    const proposals = await open();
    await proposals.save(proposal({ state: "escalated", pull_request: null }));
    const confirmed = await proposals.save(proposal({ case_id: "C-ABCDE", confirmed_by: "alice" }));
    expect(confirmed).toMatchObject({ state: "open", case_id: "C-ABCDE", confirmed_by: "alice" });
    expect(await proposals.list(10)).toHaveLength(1);
    expect((await proposals.forCase("C-ABCDE")).map((p) => p.id)).toEqual([openProposal.id]);
    expect(await proposals.forCase("C-7K2F9")).toEqual([]);
  });

  it("keeps a human's confirmation: a confirmed change the policy escalates again stays kept or open", async () => {
    const proposals = await open();
    const kept = proposal({ state: "kept", pull_request: null, confirmed_by: "alice" });
    await proposals.save(kept);
    const again = await proposals.save(
      proposal({ state: "escalated", pull_request: null, confirmed_by: null }),
    );
    expect(again).toMatchObject({ state: "kept", confirmed_by: "alice" });
    await proposals.save(proposal({ confirmed_by: "alice" }));
    expect((await proposals.save(proposal({ state: "escalated", confirmed_by: null }))).state).toBe("open");
    // What failed to reach the forge is drafted again for a human to confirm.
    await proposals.save(proposal({ id: "soc_raised_00000002", state: "failed", confirmed_by: "alice" }));
    const retried = await proposals.save(
      proposal({ id: "soc_raised_00000002", state: "escalated", confirmed_by: null }),
    );
    expect(retried.state).toBe("escalated");
  });

  it("settles a pull request a human merged, and drafting the same change again does not reopen it", async () => {
    const proposals = await open();
    await proposals.save(proposal({}));
    const other = proposal({
      id: "soc_raised_00000001",
      kind: "rule",
      pull_request: { number: 8, url: "http://forge/pulls/8", branch: "soc/soc_raised_00000001" },
      created_at: "2026-11-24T09:20:00.000Z",
    });
    await proposals.save(other);
    expect(await proposals.open()).toEqual(expect.arrayContaining([7, 8]));
    await proposals.settle(7, "merged");
    await proposals.settle(8, "closed");
    expect(await proposals.open()).toEqual([]);
    expect((await proposals.save(proposal({}))).state).toBe("merged");
    // Newest first.
    expect((await proposals.list(10)).map((p) => [p.id, p.state])).toEqual([
      ["soc_raised_00000001", "closed"],
      [openProposal.id, "merged"],
    ]);
    expect(await proposals.figures()).toEqual({
      states: expect.arrayContaining([
        { kind: "exception", state: "merged", n: 1 },
        { kind: "rule", state: "closed", n: 1 },
      ]) as unknown,
      sparedPerDay: openProposal.replay.per_day,
    });
  });
});

describe("which decisions call for a rule change", () => {
  const anomaly = (priority: string, score: number | null, floor: string | null = null) =>
    Anomaly.parse({
      trace_id: "0".repeat(32),
      event: { time: "2026-11-24T09:00:00Z", rule: "Read sensitive file untrusted", priority },
      received_at: "2026-11-24T09:00:00.200Z",
      score,
      model_version: score === null ? "rules-baseline" : "iforest-1",
      threshold: score === null ? "Warning" : 0.7,
      floor,
    });
  const decided = (action: "approve" | "dismiss" | "investigate") => ({
    action,
    by: "alice",
    reason: null,
    at: "2026-11-24T09:05:00Z",
  });

  it("every dismissal; an approval of what Falco rated low, below the analysis, or only the model's score put forward", () => {
    expect(draftTrigger(anomaly("Critical", null), decided("dismiss"), "critical")).toBe("dismissed");
    expect(draftTrigger(anomaly("Notice", null), decided("approve"), null)).toBe("approved");
    expect(draftTrigger(anomaly("Warning", 0.81), decided("approve"), "medium")).toBe("approved");
    expect(draftTrigger(anomaly("Warning", null), decided("approve"), "high")).toBe("approved");
    expect(draftTrigger(anomaly("Warning", null), decided("approve"), "medium")).toBeNull();
    expect(draftTrigger(anomaly("Warning", null), decided("approve"), null)).toBeNull();
    expect(
      draftTrigger(anomaly("Critical", 0.2, "Critical from a stable rule"), decided("approve"), "critical"),
    ).toBeNull();
    expect(draftTrigger(anomaly("Notice", null), decided("investigate"), "low")).toBeNull();
    expect(draftTrigger(anomaly("Notice", null), null, "low")).toBeNull();
  });
});
