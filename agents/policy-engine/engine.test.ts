import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { PolicyDecision } from "../../contracts/policy.js";
import { createLogger } from "../../runtime/log.js";
import { newTrace, withTrace } from "../../runtime/trace.js";
import { DecisionLog, inputDigest, type DecisionRecord } from "./decision-log.js";
import { PolicyEngine } from "./engine.js";
import { OpaRest } from "./opa.js";
import { firstCase } from "./policy-cases.js";

/** How the fake OPA answers the next requests. */
type Mode = "answer" | "undefined" | "malformed" | "http_500" | "not_json" | "hang";

const input = firstCase("auto_execute").input;
const allowed: PolicyDecision = {
  outcome: "auto_execute",
  reasons: ["action isolate_pod allowed within limits"],
  policy_version: "fake-1",
};

let mode: Mode = "answer";
const requests: { path: string; body: unknown }[] = [];
const hanging: ServerResponse[] = [];
let fake: Server;
let fakeUrl = "";

const forwarding = {
  threshold: null,
  budget: 0.02,
  source: "budget_override",
  floor: { min_priority: "Critical", maturities: ["maturity_stable"], rules: [], tactics: [] },
};

function answer(req: IncomingMessage, res: ServerResponse, raw: string): void {
  requests.push({ path: req.url ?? "", body: JSON.parse(raw) as unknown });
  const json = (body: unknown) =>
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  if (mode === "hang")
    hanging.push(res); // never answered: only the engine's timeout ends the call
  else if (mode === "undefined") json({});
  else if (mode === "malformed") json({ result: { outcome: "yes please" } });
  else if (mode === "http_500") res.writeHead(500).end("internal error");
  else if (mode === "not_json") res.writeHead(200).end("<html>");
  else if (req.url === "/v1/data/soc/verdict/decision") json({ result: allowed });
  else if (req.url === "/v1/data/soc/threshold/forwarding") json({ result: forwarding });
  else json({});
}

beforeAll(async () => {
  fake = createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk: Buffer) => (raw += chunk.toString("utf8")));
    req.on("end", () => answer(req, res, raw));
  });
  await new Promise<void>((resolve) => fake.listen(0, "127.0.0.1", resolve));
  const address = fake.address();
  fakeUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});

afterAll(async () => {
  for (const res of hanging) res.destroy();
  fake.closeAllConnections();
  await new Promise<void>((resolve) => fake.close(() => resolve()));
});

function engineFor(url: string, timeoutMs = 2_000) {
  const registry = new Registry();
  const logPath = join(mkdtempSync(join(tmpdir(), "soc-decisions-")), "decisions.jsonl");
  const decisions = new DecisionLog(logPath);
  const engine = new PolicyEngine(new OpaRest(url, timeoutMs), {
    registry,
    log: createLogger("policy-engine", "silent"),
    decisions,
  });
  const records = async () => {
    await decisions.close();
    return readFileSync(logPath, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as DecisionRecord);
  };
  /** The series of a metric that have counted something (counters start at zero for every label). */
  const metric = async (name: string) =>
    ((await registry.getMetricsAsJSON()).find((m) => m.name === name)?.values ?? []).filter(
      (v) => v.value > 0,
    );
  return { engine, records, metric };
}

beforeEach(() => {
  mode = "answer";
  requests.length = 0;
});

describe("PolicyEngine over OPA REST", () => {
  it("passes OPA's decision through, posting {input} to the verdict entrypoint, and logs it", async () => {
    const { engine, records, metric } = engineFor(fakeUrl);
    const trace = newTrace();
    const decision = await withTrace(trace, () => engine.decide("C-7K2F9", input));
    expect(decision).toEqual(allowed);
    expect(requests).toEqual([{ path: "/v1/data/soc/verdict/decision", body: { input } }]);
    expect(await records()).toEqual([
      expect.objectContaining({
        trace_id: trace.traceId,
        case_id: "C-7K2F9",
        input_digest: inputDigest(input),
        input,
        outcome: "auto_execute",
        reasons: allowed.reasons,
        policy_version: "fake-1",
        evaluator: "opa",
        failsafe: null,
      }),
    ]);
    expect(await metric("soc_policy_decisions_total")).toEqual([
      { labels: { outcome: "auto_execute", evaluator: "opa" }, value: 1 },
    ]);
    expect(await metric("soc_policy_failsafe_total")).toEqual([]);
    const count = (await metric("soc_policy_decision_seconds")).find(
      (v) => "metricName" in v && v.metricName === "soc_policy_decision_seconds_count",
    );
    expect(count).toMatchObject({ labels: { outcome: "auto_execute", evaluator: "opa" }, value: 1 });
  });

  const failures: { mode: Mode | "down"; cause: string }[] = [
    { mode: "down", cause: "unreachable" },
    { mode: "hang", cause: "timeout" },
    { mode: "undefined", cause: "undefined" },
    { mode: "malformed", cause: "malformed" },
    { mode: "not_json", cause: "malformed" },
    { mode: "http_500", cause: "http_error" },
  ];

  it.each(failures)(
    "escalates, never auto-executes, when OPA is $mode ($cause), and counts it",
    async (failure) => {
      let url = fakeUrl;
      if (failure.mode === "down") {
        // A port that was just free and is now closed: connection refused.
        const closed = createServer();
        await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
        const address = closed.address();
        url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
        await new Promise<void>((resolve) => closed.close(() => resolve()));
      } else {
        mode = failure.mode;
      }
      const { engine, records, metric } = engineFor(url, 100);
      const decision = await engine.decide("C-7K2F9", input);
      expect(decision.outcome).toBe("escalate");
      expect(decision.policy_version).toBe("unavailable");
      expect(decision.reasons[0]).toMatch(new RegExp(`^fail-safe escalation \\(${failure.cause}\\)`));
      expect(await metric("soc_policy_failsafe_total")).toEqual([
        { labels: { cause: failure.cause }, value: 1 },
      ]);
      expect(await metric("soc_policy_decisions_total")).toEqual([
        { labels: { outcome: "escalate", evaluator: "opa" }, value: 1 },
      ]);
      const [record] = await records();
      expect(record).toMatchObject({ outcome: "escalate", failsafe: failure.cause, trace_id: null });
    },
  );

  it("explains a fail-safe escalation as the one rule that fired", async () => {
    mode = "hang";
    const { engine } = engineFor(fakeUrl, 50);
    const explanation = await engine.explain(input);
    expect(explanation.decision.outcome).toBe("escalate");
    expect(explanation.fired).toEqual([
      { rule: "failsafe.timeout", outcome: "escalate", reason: explanation.decision.reasons[0] },
    ]);
  });

  it("reads the forwarding setting and where it comes from, and says null when OPA cannot answer", async () => {
    const { engine } = engineFor(fakeUrl);
    expect(await engine.forwarding()).toEqual(forwarding);
    expect(requests.map((r) => r.path)).toEqual(["/v1/data/soc/threshold/forwarding"]);
    mode = "http_500";
    const unavailable = { threshold: null, budget: null, source: "unavailable", floor: null };
    expect(await engine.forwarding()).toEqual(unavailable);
    mode = "malformed";
    expect(await engine.forwarding()).toEqual(unavailable);
  });
});
