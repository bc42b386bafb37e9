import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Case } from "../../contracts/case.js";
import { alerts } from "../../fleet/alerts.js";
import { LocalFleet } from "../../fleet/local.js";

type TraceReply = { ok: true; case: Case };

/**
 * `npx soc` holds the operator certificate, which anyone at the terminal may use: with approvers
 * configured and none named for it (SOC_OPERATOR_APPROVER), the coordinator refuses its decisions
 * under any name, and logs who asked.
 */
describe("the terminal, with approvers configured and none of them its own", () => {
  let fleet: LocalFleet;
  beforeAll(async () => {
    fleet = await LocalFleet.start({
      env: { SOC_PREFILTER: "priority", SOC_APPROVERS: "alice:incident-commander,bob:responder" },
    });
  });
  afterAll(async () => {
    await fleet.stop();
  });

  it("may look at a case but not approve, dismiss or undo it, whoever it says it is", async () => {
    const { body } = await fleet.post(alerts.escalate());
    const id = body.case_id as string;
    await fleet.waitFor(
      async () =>
        ((await fleet.soc(["trace", id])).json as TraceReply | undefined)?.case.status === "awaiting_human",
      30_000,
      `case ${id} to await a human`,
    );
    for (const args of [
      ["approve", id],
      ["dismiss", id, "not", "ours"],
      ["undo", id],
    ]) {
      const refused = await fleet.soc(args);
      expect(refused.code, args.join(" ")).toBe(1);
      expect(JSON.stringify(refused.json), args.join(" ")).toContain(
        "SOC_OPERATOR_APPROVER, which is not set",
      );
    }
    // The desk as alice: the name a request gives is not who the certificate is.
    await expect(fleet.desk().decide(id, "approve", "alice", null)).rejects.toThrow("SOC_OPERATOR_APPROVER");
    const after = (await fleet.soc(["trace", id])).json as TraceReply;
    expect(after.case).toMatchObject({ status: "awaiting_human", decision: null });
    const log = readFileSync(join(fleet.home, "logs", "coordinator.log"), "utf8");
    expect(log.split("\n").filter((line) => line.includes('"decision refused"'))).toHaveLength(4);
  });
});
