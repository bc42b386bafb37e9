import { readdirSync, readFileSync, statSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Case } from "../contracts/case.js";
import type { Step } from "../contracts/step.js";
import { alerts, falcoAlert } from "../fleet/alerts.js";
import { LocalFleet } from "../fleet/local.js";

type CaseReply = { ok: true; case: Case };
type TraceReply = { ok: true; case: Case; steps: Step[] };

describe("the fleet end to end: separate processes over mTLS, real OPA, Falco's http_output format", () => {
  let fleet: LocalFleet;

  beforeAll(async () => {
    // The priority baseline makes each path deterministic; the model has its own tests.
    fleet = await LocalFleet.start({ env: { SOC_PREFILTER: "priority" } });
  });
  afterAll(async () => {
    await fleet.stop();
  });

  const open = async (alert: unknown): Promise<string> => {
    const { status, body } = await fleet.post(alert);
    expect(status).toBe(200);
    expect(body.forwarded).toBe(true);
    return body.case_id as string;
  };
  const trace = async (id: string) => (await fleet.soc(["trace", id])).json as TraceReply;
  const settled = (id: string, status: Case["status"]) =>
    fleet.waitFor(
      async () => {
        const reply = await trace(id);
        return reply.case.status === status ? reply : undefined;
      },
      30_000,
      `case ${id} to be ${status}`,
    );

  it("escalates a case on an identity store, keeps it waiting, and remediates it once approved", async () => {
    const id = await open(alerts.escalate());
    const waiting = await settled(id, "awaiting_human");
    expect(waiting.case.outcome).toBe("escalate");
    expect(waiting.case.reasons.join(" ")).toMatch(/identity/);
    // The terminal front end prints once notify has it, which may be just after the case waits.
    const line = `ESCALATED ${id}  trace ${waiting.case.trace_id}`;
    await fleet.waitFor(
      () => Promise.resolve(fleet.output.join("\n").includes(line) || undefined),
      10_000,
      `the terminal to print ${line}`,
    );

    const listed = (await fleet.soc(["cases", "--state", "escalated"])).json as { cases: Case[] };
    expect(listed.cases.map((c) => c.id)).toContain(id);
    // Still waiting a while later: nothing decides for the human.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await trace(id)).case.status).toBe("awaiting_human");

    const approved = await fleet.soc(["approve", id]);
    expect(approved.code).toBe(0);
    const done = await settled(id, "closed");
    expect(done.case.resolution).toBe("remediated");
    expect(done.case.decision?.action).toBe("approve");
    const remediation = done.steps.filter((s) => s.agent === "remediate");
    expect(remediation).toHaveLength(1);
    const output = remediation[0]?.output as { mode: string; requests: { method: string; path: string }[] };
    expect(output.mode).toBe("dry-run");
    expect(output.requests.map((r) => r.path)).toEqual([
      "/api/v1/namespaces/identity/pods/keycloak-0",
      expect.stringMatching(
        /^\/apis\/cilium\.io\/v2\/namespaces\/identity\/ciliumnetworkpolicies\/soc-quarantine-/,
      ),
    ]);

    const again = await fleet.soc(["approve", id]);
    expect(again.code).toBe(1);
    expect(JSON.stringify(again.json)).toMatch(/nothing to decide/);
  });

  it("closes a dismissed case with the reason and runs no action", async () => {
    const id = await open(alerts.escalate());
    await settled(id, "awaiting_human");
    const dismissed = await fleet.soc(["dismiss", id, "known", "keycloak", "upgrade", "job"]);
    expect(dismissed.code).toBe(0);
    const done = await settled(id, "closed");
    expect(done.case.resolution).toBe("dismissed");
    expect(done.case.decision).toMatchObject({ action: "dismiss", reason: "known keycloak upgrade job" });
    expect(done.steps.some((s) => s.agent === "remediate")).toBe(false);
  });

  it("investigates without closing: more evidence, the case still waits", async () => {
    const id = await open(alerts.escalate());
    await settled(id, "awaiting_human");
    const reply = (await fleet.soc(["investigate", id])).json as CaseReply & {
      evidence: { summary: string };
    };
    expect(reply.evidence.summary).toMatch(/recent event/);
    const after = await trace(id);
    expect(after.case.status).toBe("awaiting_human");
    // The new evidence, then the analyst asked for the next questions, which take a language model.
    expect(after.steps.slice(-2).map((s) => `${s.agent}.${s.skill}: ${s.summary}`)).toEqual([
      expect.stringMatching(/^detect\.gather_evidence: investigation for /),
      "analyst.next_questions: no language model: no questions",
    ]);
  });

  it("auto-executes what the policy allows, without a human", async () => {
    const id = await open(alerts.autoExecute());
    const done = await settled(id, "closed");
    expect(done.case.outcome).toBe("auto_execute");
    expect(done.case.resolution).toBe("remediated");
    expect(done.case.decision).toBeNull();
    expect(done.steps.map((s) => `${s.agent}.${s.skill}`)).toEqual([
      "prefilter.open_case",
      "detect.gather_evidence",
      "analyst.classify",
      "reviewer.review",
      "remediate.execute",
      "coordinator.close",
    ]);
    expect(done.steps.map((s) => s.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    const review = done.steps.find((s) => s.agent === "reviewer");
    expect(review?.mcp_calls.map((c) => `${c.server}.${c.tool}`)).toEqual([
      "cluster-actions.assess_action",
      "policy-engine.evaluate_action",
    ]);
  });

  it("auto-rejects what the policy never allows, and closes it with the reasons", async () => {
    const id = await open(alerts.autoReject());
    const done = await settled(id, "closed");
    expect(done.case.outcome).toBe("auto_reject");
    expect(done.case.resolution).toBe("rejected");
    expect(done.case.reasons).toEqual(["no response action proposed"]);
    expect(done.steps.some((s) => s.agent === "remediate" || s.agent === "notify")).toBe(false);
  });

  it("carries one trace_id through every process that touched a case", async () => {
    const id = await open(alerts.autoExecute());
    const done = await settled(id, "closed");
    const traceId = done.case.trace_id;
    expect((await trace(traceId)).case.id).toBe(id);
    const logs = fleet.logs();
    for (const component of [
      "prefilter",
      "coordinator",
      "detect",
      "analyst",
      "reviewer",
      "policy-engine",
      "remediate",
      "cluster-actions",
    ]) {
      expect(
        logs[component]?.some((line) => line.trace_id === traceId),
        component,
      ).toBe(true);
    }
    expect(done.steps.every((s) => s.trace_id === traceId)).toBe(true);
  });

  it("drops events below the priority threshold without opening a case", async () => {
    const { status, body } = await fleet.post(
      falcoAlert({
        rule: "Terminal shell in container",
        priority: "Notice",
        tags: ["T1059", "container", "mitre_execution", "shell"],
      }),
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({ forwarded: false, case_id: null });
  });

  it("answers a malformed event with 400 and the reason, and keeps it for inspection", async () => {
    const bad = { ...alerts.autoExecute(), priority: "Loud", time: "yesterday" };
    const { status, body } = await fleet.post(bad);
    expect(status).toBe(400);
    expect(JSON.stringify(body)).toMatch(/priority/);
    expect(JSON.stringify(body)).toMatch(/time/);
    const notJson = await fleet.post("{not json");
    expect(notJson.status).toBe(400);
    const kept = readFileSync(join(fleet.home, "data", "rejected-events.jsonl"), "utf8")
      .trim()
      .split("\n");
    expect(kept.map((line) => (JSON.parse(line) as { reason: string }).reason)).toEqual([
      expect.stringMatching(/priority/),
      expect.stringMatching(/not JSON/),
    ]);
  });

  it("keeps what it writes to itself: its data directory 0700, every database, journal and log in it 0600", () => {
    const data = join(fleet.home, "data");
    const mode = (path: string) => statSync(path).mode & 0o777;
    expect(mode(data)).toBe(0o700);
    const files = readdirSync(data, { recursive: true, withFileTypes: true }).filter((entry) =>
      entry.isFile(),
    );
    // The cases, the checkpoints, the action journal, the decision log, the rejected events at least.
    expect(files.map((f) => f.name)).toEqual(
      expect.arrayContaining(["cases.db", "checkpoints.db", "rejected-events.jsonl"]) as unknown,
    );
    for (const file of files) expect(mode(join(file.parentPath, file.name)), file.name).toBe(0o600);
  });

  it("refuses a call without a client certificate, and a caller not on the allow-list", async () => {
    const port = Number(fleet.env.SOC_PORT_BASE) + 8; // remediate
    const card = (cert?: { cert: Buffer; key: Buffer }) =>
      new Promise<number>((resolve, reject) => {
        const ca = readFileSync(join(fleet.home, "certs", "ca.crt"));
        const req = request(
          { host: "127.0.0.1", port, path: "/.well-known/agent-card.json", ca, ...cert },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on("error", reject);
        req.end();
      });
    await expect(card()).rejects.toThrow();
    const operator = {
      cert: readFileSync(join(fleet.home, "certs", "operator.crt")),
      key: readFileSync(join(fleet.home, "certs", "operator.key")),
    };
    expect(await card(operator)).toBe(403);
    const coordinator = {
      cert: readFileSync(join(fleet.home, "certs", "coordinator.crt")),
      key: readFileSync(join(fleet.home, "certs", "coordinator.key")),
    };
    expect(await card(coordinator)).toBe(200);
  });

  it("gives a usage message and a non-zero exit for unknown commands and bad arguments", async () => {
    const unknown = await fleet.soc(["bogus"], { json: false });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "bogus"[\s\S]*usage: soc <command>/);
    const missing = await fleet.soc(["approve"], { json: false });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/usage: soc approve <case>/);
    const noSuchCase = await fleet.soc(["approve", "C-ZZZZZ"]);
    expect(noSuchCase.code).toBe(1);
    expect(JSON.stringify(noSuchCase.json)).toMatch(/case_not_found/);
  });
});
