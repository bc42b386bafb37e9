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

  it("gives the same anomaly threshold on both paths", async () => {
    const answer = { threshold: 0.7, source: "bundle" };
    expect(await engine(rest).threshold()).toEqual(answer);
    expect(await engine(wasm).threshold()).toEqual(answer);
  });
});

describe("the anomaly threshold while OPA runs", () => {
  const put = (value: unknown) =>
    fetch(`${server.url}/v1/data/soc_overrides/anomaly_threshold`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(value),
    });

  it("is tightened or loosened through OPA's Data API, within the bundle's bounds", async () => {
    const engineRest = engine(rest);
    expect((await put(0.8)).status).toBe(204);
    expect(await engineRest.threshold()).toEqual({ threshold: 0.8, source: "override" });
    expect((await put(0.35)).status).toBe(204);
    expect(await engineRest.threshold()).toEqual({ threshold: 0.35, source: "override" });
    expect((await put(0.05)).status).toBe(204);
    expect(await engineRest.threshold()).toEqual({ threshold: 0.7, source: "bundle" });
    await fetch(`${server.url}/v1/data/soc_overrides`, { method: "DELETE" });
    expect(await engineRest.threshold()).toEqual({ threshold: 0.7, source: "bundle" });
  });

  it("cannot be written inside the bundle's root: OPA refuses", async () => {
    const response = await fetch(`${server.url}/v1/data/soc/settings/anomaly_threshold`, {
      method: "PUT",
      body: "0.1",
    });
    expect(response.ok).toBe(false);
    expect(await engine(rest).threshold()).toEqual({ threshold: 0.7, source: "bundle" });
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
