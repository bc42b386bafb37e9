import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PolicyDecision, PolicyInput, outcomes } from "../../contracts/policy.js";
import { opaBinary } from "../../fleet/tools/opa.js";
import { createLogger } from "../../runtime/log.js";
import { PolicyEngine } from "./engine.js";
import { entrypoints, type PolicyEvaluator } from "./evaluator.js";
import { OpaRest } from "./opa.js";
import { startOpaServer, type OpaServer } from "./opa-process.js";
import { policyCases } from "./policy-cases.js";
import { policiesDir } from "./server.js";
import { WasmPolicy } from "./wasm.js";

const dir = policiesDir();
const revision = (JSON.parse(readFileSync(join(dir, ".manifest"), "utf8")) as { revision: string }).revision;
/** The forwarding the shipped bundle sets: a budget of 1 % of events. */
const shipped = { threshold: null, budget: 0.01, source: "budget" };
let server: OpaServer;
let rest: OpaRest;
let wasm: WasmPolicy;

const engine = (evaluator: PolicyEvaluator) =>
  new PolicyEngine(evaluator, {
    registry: new Registry(),
    log: createLogger("policy-engine", "silent"),
    decisions: null,
  });

beforeAll(async () => {
  const binary = opaBinary();
  server = await startOpaServer(binary, dir);
  rest = new OpaRest(server.url, 5_000);
  wasm = new WasmPolicy(binary, dir);
  expect(await wasm.load()).toEqual({ ok: true, revision });
}, 60_000);

afterAll(async () => {
  await rest.close();
  await server.stop();
});

describe("parity: OPA REST and in-process Wasm over the same bundle", () => {
  it.each(policyCases)("$name: $outcome on both paths, identical decision and explanation", async (c) => {
    const [viaRest, viaWasm] = [engine(rest), engine(wasm)];
    const decision = await viaRest.decide("C-7K2F9", c.input);
    expect(decision.outcome).toBe(c.outcome);
    expect(decision.policy_version).toBe(revision);
    expect(await viaWasm.decide("C-7K2F9", c.input)).toEqual(decision);
    expect(await viaWasm.explain(c.input)).toEqual(await viaRest.explain(c.input));
  });

  // Outside the contract: what a caller that skipped validation could send. Both must escalate alike.
  it.each([{}, { action: { type: "isolate_pod" } }, { confidence: 2 }, "text", null])(
    "input %j outside the contract: the same escalation on both paths",
    async (raw) => {
      const fromRest = PolicyDecision.parse(await rest.query(entrypoints.decision, raw));
      expect(fromRest.outcome).toBe("escalate");
      expect(PolicyDecision.parse(await wasm.query(entrypoints.decision, raw))).toEqual(fromRest);
    },
  );

  it("gives the same forwarding setting on both paths", async () => {
    const answer = {
      ...shipped,
      floor: { min_priority: "Critical", maturities: ["maturity_stable"], rules: [], tactics: [] },
    };
    expect(await engine(rest).forwarding()).toEqual(answer);
    expect(await engine(wasm).forwarding()).toEqual(answer);
  });
});

describe("the forwarding budget and threshold while OPA runs", () => {
  const put = (name: string, value: unknown) =>
    fetch(`${server.url}/v1/data/soc_overrides/${name}`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(value),
    });
  const setting = async () => {
    const { threshold, budget, source } = await engine(rest).forwarding();
    return { threshold, budget, source };
  };

  it("are tightened or loosened through OPA's Data API, within the bundle's bounds", async () => {
    expect((await put("forward_budget", 0.002)).status).toBe(204);
    expect(await setting()).toEqual({ threshold: null, budget: 0.002, source: "budget_override" });
    expect((await put("anomaly_threshold", 0.8)).status).toBe(204);
    expect(await setting()).toEqual({ threshold: 0.8, budget: null, source: "threshold_override" });
    expect((await put("anomaly_threshold", 0.05)).status).toBe(204);
    expect(await setting()).toEqual({ threshold: null, budget: 0.002, source: "budget_override" });
    expect((await put("forward_budget", 0.5)).status).toBe(204);
    expect(await setting()).toEqual(shipped);
    await fetch(`${server.url}/v1/data/soc_overrides`, { method: "DELETE" });
    expect(await setting()).toEqual(shipped);
  });

  it("cannot be written inside the bundle's root: OPA refuses", async () => {
    const response = await fetch(`${server.url}/v1/data/soc/settings/forward_budget`, {
      method: "PUT",
      body: "0.5",
    });
    expect(response.ok).toBe(false);
    expect(await setting()).toEqual(shipped);
  });
});

describe("the examples in policies/README.md", () => {
  const readme = readFileSync(join(dir, "README.md"), "utf8");
  const examples = [...readme.matchAll(/^(\w+):\n\n```json\n([\s\S]*?)\n```\n\n→ `([^`]+)`/gm)].map((m) => ({
    outcome: m[1],
    input: JSON.parse(m[2] ?? "null") as unknown,
    documented: JSON.parse(m[3] ?? "null") as unknown,
  }));

  it("has one example per outcome, each a valid PolicyInput", () => {
    expect(examples.map((e) => e.outcome).sort()).toEqual([...outcomes].sort());
    for (const example of examples) expect(PolicyInput.safeParse(example.input).success).toBe(true);
  });

  it.each(examples)("$outcome: both paths give exactly the documented decision", async (example) => {
    const input = PolicyInput.parse(example.input);
    const documented = PolicyDecision.parse(example.documented);
    expect(documented).toMatchObject({ outcome: example.outcome, policy_version: revision });
    expect(await engine(rest).decide("C-7K2F9", input)).toEqual(documented);
    expect(await engine(wasm).decide("C-7K2F9", input)).toEqual(documented);
  });
});
