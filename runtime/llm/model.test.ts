import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createMetrics } from "../metrics.js";
import { measureUsage } from "../usage.js";
import { Llm, parseAnswer, type LlmSettings } from "./model.js";
import { ScriptedModelServer } from "./scripted-server.js";

const Verdict = z.object({ summary: z.string().min(1).max(200), risk: z.enum(["low", "high"]) });
const request = { purpose: "narrative", user: "Summarise.", schema: Verdict };
const valid = JSON.stringify({ summary: "a shell in a container", risk: "high" });

describe("the OpenAI-compatible provider against a real chat-completions server", { timeout: 30_000 }, () => {
  const server = new ScriptedModelServer();
  let settings: LlmSettings;
  let metrics: ReturnType<typeof createMetrics>;
  let llm: Llm;

  beforeAll(async () => {
    const baseUrl = await server.start();
    settings = {
      provider: "openai",
      prompt: "You are terse.",
      output: {},
      model: "test-model",
      baseUrl,
      apiKey: "sk-test",
      maxTokens: 256,
      timeoutMs: 9_000,
      maxRetries: 2,
      concurrency: 2,
      threads: 1,
      tokensPerHour: 0,
      // Per million tokens: 40 in and 12 out cost 0.064.
      prices: { "test-model": { in: 1_000, out: 2_000 } },
    };
  });
  afterAll(() => server.stop());
  beforeEach(() => {
    server.requests.length = 0;
    server.script = [];
    metrics = createMetrics("test");
    llm = new Llm({ metrics }, () => settings);
  });

  it("parses a valid answer, counts its tokens into the step and the metrics", async () => {
    server.script = [{ answer: `Here it is:\n\`\`\`json\n${valid}\n\`\`\`` }];
    const { result, usage } = await measureUsage(() => llm.ask(request));
    expect(result.value).toEqual({ summary: "a shell in a container", risk: "high" });
    expect(result).toMatchObject({
      model: "test-model",
      repairs: 0,
      fallback: null,
      tokens: { in: 40, out: 12 },
    });
    expect(usage.tokens).toEqual({ in: 40, out: 12, cost: result.cost });
    expect(result.cost).toBeCloseTo(0.064, 9);
    expect((await metrics.llmCost.get()).values).toEqual([
      { labels: { model: "test-model" }, value: result.cost },
    ]);
    expect(server.requests[0]?.model).toBe("test-model");
    expect(server.requests[0]?.messages.map((m) => m.role)).toEqual(["system", "user"]);
    const tokens = await metrics.llmTokens.get();
    expect(tokens.values).toContainEqual({
      labels: { model: "test-model", purpose: "narrative", direction: "in" },
      value: 40,
    });
    const calls = await metrics.llmCall.get();
    expect(calls.values).toContainEqual(
      expect.objectContaining({
        metricName: "soc_llm_call_seconds_count",
        labels: { model: "test-model", purpose: "narrative", outcome: "ok" },
        value: 1,
      }),
    );
  });

  it("asks once for a repair of an answer that does not match the schema", async () => {
    server.script = [{ answer: '{"summary": "", "risk": "medium"}' }, { answer: valid }];
    const result = await llm.ask(request);
    expect(result).toMatchObject({ repairs: 1, fallback: null, tokens: { in: 80, out: 24 } });
    expect(result.value?.risk).toBe("high");
    const repair = server.requests[1]?.messages ?? [];
    expect(repair.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(repair[3]?.content).toMatch(/risk/);
  });

  it("shows the model the AgentConfig's restated schema and holds answers to its tighter bounds", async () => {
    const declared = {
      type: "object",
      required: ["summary", "risk"],
      properties: {
        summary: { type: "string", minLength: 1, maxLength: 12, description: "Six words at most." },
        risk: { type: "string", enum: ["low", "high"] },
      },
    };
    const restated = new Llm({ metrics }, () => ({ ...settings, output: { narrative: declared } }));
    server.script = [{ answer: valid }, { answer: '{"summary": "a shell", "risk": "high"}' }];
    const result = await restated.ask(request);
    expect(server.requests[0]?.messages[1]?.content).toContain("Six words at most.");
    // The code's schema admits the first answer; the operator's shorter bound does not.
    expect(result).toMatchObject({ repairs: 1, fallback: null, value: { summary: "a shell", risk: "high" } });
    expect(server.requests[1]?.messages[3]?.content).toMatch(/summary/);
  });

  it("falls back, with the reason, when the repaired answer is still invalid", async () => {
    server.script = [{ answer: "I think it is bad." }, { answer: '{"summary": "x"}' }];
    const result = await llm.ask(request);
    expect(result.value).toBeNull();
    expect(result.fallback).toMatch(/did not match the schema after a repair: risk/);
    expect(server.requests).toHaveLength(2);
  });

  it("retries a call that timed out or failed on the server, and then succeeds", async () => {
    // A third of the budget per attempt: the first answer comes too late.
    server.script = [{ delayMs: 4_000, answer: valid }, { status: 503 }, { answer: valid }];
    const result = await llm.ask(request);
    expect(result.value?.summary).toBe("a shell in a container");
    expect(server.requests).toHaveLength(3);
  });

  it("falls back when every attempt fails, and when the server is down", async () => {
    server.script = [{ status: 500 }, { status: 500 }, { status: 500 }];
    const failed = await llm.ask(request);
    expect(failed.value).toBeNull();
    expect(failed.fallback).toMatch(/^the model failed/);
    expect(server.requests).toHaveLength(3);

    const down = new Llm({ metrics: createMetrics("test") }, () => ({
      ...settings,
      baseUrl: "http://127.0.0.1:9/v1",
      maxRetries: 0,
    }));
    const result = await down.ask(request);
    expect(result.value).toBeNull();
    expect(result.fallback).toMatch(/^the model failed: .*connection/i);
  });

  it("goes on without the model once the hourly token budget is spent, and says so", async () => {
    const budgeted = new Llm({ metrics }, () => ({ ...settings, tokensPerHour: 100 }));
    server.script = [{ answer: valid }, { answer: valid }];
    // 52 tokens an answer: the second still fits under 100, the third does not.
    expect((await budgeted.ask(request)).value).not.toBeNull();
    expect((await budgeted.ask(request)).value).not.toBeNull();
    const over = await budgeted.ask(request);
    expect(over).toMatchObject({ value: null, tokens: { in: 0, out: 0 } });
    expect(over.fallback).toBe("the hourly budget of 100 tokens is spent (104 in the last hour)");
    expect(server.requests).toHaveLength(2);
    const calls = await metrics.llmCall.get();
    const overBudget = calls.values.filter(
      (v) => v.metricName === "soc_llm_call_seconds_count" && v.labels.outcome === "over_budget",
    );
    expect(overBudget.map((v) => v.value)).toEqual([1]);
  });

  it("answers without a model when none is configured", async () => {
    const none = new Llm({ metrics }, () => ({ ...settings, provider: "none" }));
    expect(none.model).toBeNull();
    const result = await none.ask(request);
    expect(result).toMatchObject({ value: null, fallback: "no language model is configured" });
    expect(server.requests).toHaveLength(0);
  });
});

describe("parseAnswer", () => {
  it("takes the JSON object out of prose and checks it", () => {
    expect(parseAnswer(`Sure! ${valid} Hope that helps.`, Verdict)).toEqual({
      ok: true,
      value: { summary: "a shell in a container", risk: "high" },
    });
    expect(parseAnswer("no json here", Verdict)).toEqual({
      ok: false,
      problem: "no JSON object in the answer",
    });
    const problem = (text: string) => {
      const parsed = parseAnswer(text, Verdict);
      return parsed.ok ? null : parsed.problem;
    };
    expect(problem("{not: json}")).toMatch(/^not JSON/);
    expect(problem('{"summary": "s", "risk": "maybe"}')).toMatch(/^risk: /);
  });
});
