import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { modelAnswers, restatementProblems } from "../contracts/answers.js";
import { LiveAgentConfig, loadAgentConfig } from "./agent-config.js";

const root = join(import.meta.dirname, "..");

function fixture(name: string, yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), "agent-config-"));
  mkdirSync(join(dir, "agents", name), { recursive: true });
  writeFileSync(join(dir, "agents", name, "agent-config.yaml"), yaml);
  return dir;
}

describe("AgentConfig documents", () => {
  it("every agents/*/agent-config.yaml is valid and named after its folder", () => {
    const names = readdirSync(join(root, "agents"), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .filter((name) => readdirSync(join(root, "agents", name)).includes("agent-config.yaml"));
    expect(names.sort()).toEqual([
      "analyst",
      "coordinator",
      "detect",
      "prefilter",
      "remediate",
      "reviewer",
      "rules",
    ]);
    for (const name of names) expect(loadAgentConfig(root, name)?.metadata.name).toBe(name);
  });

  it("gives the reviewer the policy tools, the coordinator the approvals policy and the analyst a prompt that treats Falco text as data", () => {
    expect(loadAgentConfig(root, "reviewer")?.spec.tools).toContain("policy-engine/evaluate_action");
    expect(loadAgentConfig(root, "coordinator")?.spec.tools).toEqual(["policy-engine/evaluate_approval"]);
    expect(loadAgentConfig(root, "analyst")?.spec.prompt).toMatch(/attacker-controlled/);
  });

  it("is absent for an agent without prompt or tools", () => {
    expect(loadAgentConfig(root, "notify")).toBeNull();
  });

  it("reports every problem of a document at once", () => {
    const dir = fixture(
      "remediate",
      `apiVersion: soc.fleet/v1alpha1\nkind: AgentConfg\nmetadata: {name: remediate}\nspec:\n  tools: [cluster-actions/apply_action, "no slash"]\n`,
    );
    expect(() => loadAgentConfig(dir, "remediate")).toThrow(
      / kind: [\s\S]* spec\.tools\.1: tools are named <server>\/<tool>/,
    );
  });

  it("refuses approval for a tool the agent may not call at all", () => {
    const dir = fixture(
      "remediate",
      `apiVersion: soc.fleet/v1alpha1\nkind: AgentConfig\nmetadata: {name: remediate}\nspec:\n  tools: [cluster-actions/apply_action]\n  requireApproval: [cluster-actions/delete_everything]\n`,
    );
    expect(() => loadAgentConfig(dir, "remediate")).toThrow(
      /cluster-actions\/delete_everything needs approval but is not in spec.tools/,
    );
  });

  it("refuses a document named after another agent", () => {
    const dir = fixture(
      "analyst",
      "apiVersion: soc.fleet/v1alpha1\nkind: AgentConfig\nmetadata: {name: remediate}\nspec: {}\n",
    );
    expect(() => loadAgentConfig(dir, "analyst")).toThrow(/metadata\.name: is remediate, not analyst/);
  });

  it("refuses a tool of a server the fleet does not have, which the CRD's pattern lets through", () => {
    const dir = fixture(
      "remediate",
      "apiVersion: soc.fleet/v1alpha1\nkind: AgentConfig\nmetadata: {name: remediate}\nspec:\n  tools: [cluster-actions/label_pod, kubectl/exec]\n",
    );
    expect(() => loadAgentConfig(dir, "remediate")).toThrow(
      /spec\.tools\.1: kubectl\/exec: kubectl is not an MCP server of the fleet \(policy-engine, cluster-actions\)/,
    );
  });

  it("refuses a prompt or a model on an agent whose code asks no model, which would look in force", () => {
    const dir = fixture(
      "detect",
      "apiVersion: soc.fleet/v1alpha1\nkind: AgentConfig\nmetadata: {name: detect}\nspec:\n  prompt: Be brief.\n  llm: {provider: embedded}\n",
    );
    expect(() => loadAgentConfig(dir, "detect")).toThrow(
      /spec\.prompt: detect uses no language model\n\s+spec\.llm: detect uses no language model/,
    );
  });

  it("takes the model from the AgentConfig where it says so, and from the process otherwise", () => {
    const process = {
      provider: "openai" as const,
      model: "served-model",
      baseUrl: "http://vllm:8000/v1",
      apiKey: "key",
      timeoutMs: 30_000,
      maxRetries: 2,
      concurrency: 4,
      threads: 1,
      tokensPerHour: 0,
      prices: {},
    };
    const analyst = loadAgentConfig(root, "analyst");
    const live = new LiveAgentConfig(analyst, "file");
    expect(live.llmSettings(process)).toEqual({
      ...process,
      maxTokens: 512,
      prompt: analyst?.spec.prompt,
      output: analyst?.spec.output,
    });
    const dir = fixture(
      "analyst",
      "apiVersion: soc.fleet/v1alpha1\nkind: AgentConfig\nmetadata: {name: analyst}\nspec:\n  prompt: Be brief.\n  llm: {provider: embedded, model: /models/m.gguf, maxTokens: 128}\n",
    );
    const edited = loadAgentConfig(dir, "analyst");
    if (!edited) throw new Error("the fixture has no AgentConfig");
    live.replace(edited, "file");
    expect(live.llmSettings(process)).toMatchObject({
      provider: "embedded",
      model: "/models/m.gguf",
      baseUrl: "http://vllm:8000/v1",
      maxTokens: 128,
      prompt: "Be brief.",
      output: {},
    });
  });

  it("restates every answer schema of the agents that ask a model, in words the model reads", () => {
    for (const [purpose, { agent, schema }] of Object.entries(modelAnswers)) {
      const declared = loadAgentConfig(root, agent)?.spec.output[purpose];
      if (!declared) throw new Error(`${agent}'s AgentConfig does not restate ${purpose}`);
      expect(restatementProblems(schema, declared), purpose).toEqual([]);
      expect(JSON.stringify(declared), purpose).toMatch(/"description":/);
    }
  });

  it("refuses an answer schema that another agent asks for, or that the code could not read", () => {
    const explanation = {
      type: "object",
      required: ["explanation"],
      properties: { explanation: { type: "string", minLength: 1, maxLength: 800 } },
    };
    const narrative = {
      type: "object",
      required: ["narrative", "hypothesis"],
      properties: {
        narrative: { type: "integer" },
        hypothesis: { type: "string", minLength: 1, maxLength: 3000 },
        verdict: { type: "string" },
      },
    };
    const dir = fixture(
      "analyst",
      `apiVersion: soc.fleet/v1alpha1\nkind: AgentConfig\nmetadata: {name: analyst}\nspec:\n  output: ${JSON.stringify({ explanation, narrative, summary: explanation })}\n`,
    );
    const problems = (() => {
      try {
        loadAgentConfig(dir, "analyst");
        return "";
      } catch (error) {
        return String(error);
      }
    })();
    expect(problems).toMatch(/spec\.output\.summary: no agent asks its model for summary/);
    expect(problems).toMatch(/spec\.output\.narrative: narrative: type must be "string"/);
    expect(problems).toMatch(/spec\.output\.narrative: hypothesis: maxLength must be at most 300/);
    expect(problems).toMatch(/spec\.output\.narrative: verdict: is not a field of the answer/);
    expect(problems).toMatch(/spec\.output\.narrative: alternative_action: is missing/);
    // Well formed, but the reviewer's: the analyst would never read it.
    const reviewers = fixture(
      "analyst",
      `apiVersion: soc.fleet/v1alpha1\nkind: AgentConfig\nmetadata: {name: analyst}\nspec:\n  output: ${JSON.stringify({ explanation })}\n`,
    );
    expect(() => loadAgentConfig(reviewers, "analyst")).toThrow(
      /spec\.output\.explanation: reviewer asks for it, not analyst/,
    );
  });
});
