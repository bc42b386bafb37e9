import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureCertificates } from "../../fleet/certs.js";
import { clientComponentForTests } from "../../test/fakes.js";
import { clientComponent } from "../../runtime/component.js";
import { MCP_PATH, serveMcp } from "../../runtime/mcp/server.js";
import { PolicyEngine } from "./engine.js";
import { PolicyUnavailable, entrypoints, type Entrypoint, type PolicyEvaluator } from "./evaluator.js";
import { freePort } from "./opa-process.js";
import { firstCase } from "./policy-cases.js";
import { exportBundleLoaded, policyEngine, policyTools } from "./server.js";
import { openProposal } from "../../test/fixtures.js";

const certDir = mkdtempSync(join(tmpdir(), "soc-certs-"));
const stops: (() => unknown)[] = [];
let url = "";
/** What the in-memory evaluator answers; `null` makes it fail as OPA down would. */
let answers: Partial<Record<Entrypoint, unknown>> | null = {};

const evaluator: PolicyEvaluator = {
  kind: "opa",
  query: (entrypoint) =>
    answers
      ? Promise.resolve(answers[entrypoint])
      : Promise.reject(new PolicyUnavailable("unreachable", "OPA at test is unreachable")),
};

const component = (name: string) => clientComponent(name, certDir, (stop) => stops.push(stop));

async function connect(as: string): Promise<Client> {
  const client = new Client({ name: as, version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(MCP_PATH, url), { fetch: component(as).fetch }),
  );
  stops.push(() => client.close());
  return client;
}

beforeAll(async () => {
  ensureCertificates(certDir, ["policy-engine", "reviewer", "detect"]);
  const server = component("policy-engine");
  const port = await freePort();
  url = `https://127.0.0.1:${port}`;
  const engine = new PolicyEngine(evaluator, { registry: new Registry(), log: server.log, decisions: null });
  await serveMcp(server, {
    host: "127.0.0.1",
    port,
    callers: policyEngine.callers,
    tools: policyTools(engine),
  });
}, 60_000);

afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
});

describe("the policy engine's MCP tools, over mTLS", () => {
  it("lists evaluate_action, evaluate_approval, evaluate_rule_change, explain and get_threshold with input and output schemas, read-only", async () => {
    const { tools } = await (await connect("reviewer")).listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      "evaluate_action",
      "evaluate_approval",
      "evaluate_rule_change",
      "explain",
      "get_threshold",
    ]);
    for (const t of tools) {
      expect(t.inputSchema.type).toBe("object");
      expect(t.outputSchema?.type).toBe("object");
      expect(t.annotations).toEqual({
        readOnlyHint: true,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      });
    }
    const evaluate = tools.find((t) => t.name === "evaluate_action");
    expect(Object.keys(evaluate?.inputSchema.properties ?? {}).sort()).toEqual(["case_id", "input"]);
    expect(Object.keys(evaluate?.outputSchema?.properties ?? {}).sort()).toEqual([
      "outcome",
      "policy_version",
      "reasons",
    ]);
  });

  it("answers evaluate_action, explain and get_threshold with structured content", async () => {
    const decision = {
      outcome: "escalate",
      reasons: ["namespace identity is always escalated"],
      policy_version: "r1",
    };
    const fired = [{ rule: "escalate.namespace", outcome: "escalate", reason: decision.reasons[0] }];
    const forwarding = {
      threshold: 0.6,
      budget: null,
      source: "threshold",
      floor: { min_priority: "Critical", maturities: ["maturity_stable"], rules: [], tactics: [] },
    };
    answers = {
      [entrypoints.decision]: decision,
      [entrypoints.explanation]: { decision, fired, input_problems: [], settings_problems: [] },
      [entrypoints.forwarding]: forwarding,
    };
    const client = await connect("reviewer");
    const input = firstCase("escalate").input;
    const call = async (name: string, args: Record<string, unknown>) =>
      (await client.callTool({ name, arguments: args })).structuredContent;
    expect(await call("evaluate_action", { case_id: "C-7K2F9", input })).toEqual(decision);
    expect(await call("explain", { input })).toMatchObject({ decision, fired });
    expect(await call("get_threshold", {})).toEqual(forwarding);
  });

  it("answers evaluate_rule_change from the rules gate, and escalates a draft when the policy cannot answer", async () => {
    const gate = {
      outcome: "reject",
      reasons: ["it would hide approved case(s): C-55555"],
      policy_version: "r1",
    };
    answers = { [entrypoints.ruleChange]: gate };
    const client = await connect("reviewer");
    const input = {
      kind: "exception",
      rule: { name: "Read sensitive file untrusted", priority: "WARNING" },
      validation: { ok: true, messages: [] },
      replay: { ...openProposal.replay, spared_approved: ["C-55555"] },
    };
    const call = async () =>
      (await client.callTool({ name: "evaluate_rule_change", arguments: { input } })).structuredContent;
    expect(await call()).toEqual(gate);
    answers = null;
    expect(await call()).toMatchObject({ outcome: "escalate", policy_version: "unavailable" });
  });

  it("escalates through MCP when the evaluator cannot answer", async () => {
    answers = null;
    const client = await connect("reviewer");
    const result = await client.callTool({
      name: "evaluate_action",
      arguments: { case_id: "C-7K2F9", input: firstCase("auto_execute").input },
    });
    expect(result.structuredContent).toMatchObject({ outcome: "escalate", policy_version: "unavailable" });
  });

  it("refuses arguments outside the contract as a tool error", async () => {
    answers = {};
    const client = await connect("reviewer");
    const result = await client.callTool({
      name: "evaluate_action",
      arguments: { case_id: "nope", input: {} },
    });
    expect(result.isError).toBe(true);
  });

  it("refuses a caller that is not on the allow-list", async () => {
    await expect(connect("detect")).rejects.toThrow();
  });
});

describe("soc_policy_bundle_loaded", () => {
  it("is 1 while the evaluator answers the probe with a policy version, 0 while it cannot", async () => {
    const probed = clientComponentForTests("policy-engine");
    exportBundleLoaded(probed, evaluator);
    const scraped = async () =>
      (await probed.metrics.registry.getSingleMetric("soc_policy_bundle_loaded")?.get())?.values[0]?.value;
    const probe = { outcome: "escalate", reasons: ["no input"], policy_version: "2026.11.24-1" };
    answers = { [entrypoints.decision]: probe };
    expect(await scraped()).toBe(1);
    // OPA up without the bundle: the decision is undefined.
    answers = {};
    expect(await scraped()).toBe(0);
    answers = null;
    expect(await scraped()).toBe(0);
  });
});
