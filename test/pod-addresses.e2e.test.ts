import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Case } from "../contracts/case.js";
import { alerts } from "../fleet/alerts.js";
import { LocalFleet } from "../fleet/local.js";

type TraceReply = { ok: true; case: Case };
type StatusReply = { ok: true; health: Record<string, string> };

/**
 * The addresses of the chart: every process listens on every interface (SOC_HOST 0.0.0.0, which
 * its agent card names) and is reached by another name (SOC_PEER_HOST, soc-{name} in a cluster,
 * 127.0.0.1 here; the operator through a port-forward). A call must go where the caller reached the
 * card, not to the address in it.
 */
describe("the fleet listening on every interface, its peers reached by another name, as in pods", () => {
  let fleet: LocalFleet;

  beforeAll(async () => {
    fleet = await LocalFleet.start({
      env: { SOC_HOST: "0.0.0.0", SOC_PEER_HOST: "127.0.0.1", SOC_PREFILTER: "priority" },
    });
  });
  afterAll(async () => {
    await fleet.stop();
  });

  it("carries a case through every agent, and answers `soc status` as the operator", async () => {
    const { status, body } = await fleet.post(alerts.escalate());
    expect(status).toBe(200);
    const id = body.case_id as string;
    const waiting = await fleet.waitFor(
      async () => {
        const reply = (await fleet.soc(["trace", id])).json as TraceReply | undefined;
        return reply?.case.status === "awaiting_human" ? reply : undefined;
      },
      30_000,
      `case ${id} to await a human`,
    );
    expect(waiting.case.outcome).toBe("escalate");
    const reply = await fleet.soc(["status"]);
    expect(reply.code, reply.stderr).toBe(0);
    const health = (reply.json as StatusReply).health;
    expect(
      Object.values(health).every((state) => state === "ready"),
      JSON.stringify(health),
    ).toBe(true);
  });
});
