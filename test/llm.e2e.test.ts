import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Analysis } from "../contracts/analysis.js";
import type { Case } from "../contracts/case.js";
import type { Step } from "../contracts/step.js";
import { FleetConfig } from "../contracts/config.js";
import { alerts } from "../fleet/alerts.js";
import { LocalFleet } from "../fleet/local.js";
import { smollm2Model } from "../fleet/tools/smollm2.js";
import { loadConfig } from "../runtime/config.js";

type TraceReply = { ok: true; case: Case; steps: Step[] };

/** One case on a fleet: its trace once it has a verdict. */
async function triage(fleet: LocalFleet, alert: unknown): Promise<TraceReply> {
  const { body } = await fleet.post(alert);
  const id = body.case_id as string;
  return fleet.waitFor(
    async () => {
      const reply = (await fleet.soc(["trace", id])).json as TraceReply;
      return reply.case.outcome ? reply : undefined;
    },
    180_000,
    `a verdict on case ${id}`,
  );
}

const analysisOf = (trace: TraceReply) => trace.steps.find((s) => s.skill === "classify")?.output as Analysis;

describe("the analyst with the embedded SmolLM2 model (llama.cpp in-process), end to end", () => {
  let withModel: LocalFleet;
  let without: LocalFleet;

  beforeAll(async () => {
    const env = { SOC_PREFILTER: "priority" };
    [withModel, without] = await Promise.all([
      LocalFleet.start({
        env: {
          ...env,
          SOC_LLM: "embedded",
          SOC_LLM_MODEL: smollm2Model(),
          SOC_LLM_THREADS: "1",
          // Two test files share two cores: a generous budget, so that the model answers rather than falls back.
          SOC_LLM_TIMEOUT_MS: "120000",
          // Per million tokens, in and out: what each step's tokens cost.
          SOC_LLM_PRICES: "SmolLM2-135M-Instruct.Q4_1.gguf=100/300",
        },
      }),
      LocalFleet.start({ env }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([withModel.stop(), without.stop()]);
  });

  it("writes a narrative into the trace and the escalation, counts its tokens, and leaves the verdict as it was", async () => {
    const alert = alerts.escalate();
    const [modelled, plain] = [await triage(withModel, alert), await triage(without, alert)];

    // The verdict, the classification and the proposed action are the evidence's, model or not.
    expect(modelled.case.outcome).toBe(plain.case.outcome);
    expect(modelled.case.reasons).toEqual(plain.case.reasons);
    const [a, b] = [analysisOf(modelled), analysisOf(plain)];
    const { narrative, ...classification } = a;
    expect(classification).toEqual({ ...b, narrative: undefined, rationale: b.rationale });
    expect(b.narrative).toBeNull();

    // The model's words, from the real model path: llama.cpp held the answer to the schema.
    expect(narrative).toMatchObject({ model: "SmolLM2-135M-Instruct.Q4_1.gguf", fallback: null });
    expect(narrative?.text?.length).toBeGreaterThan(0);
    expect(narrative?.hypothesis?.length).toBeGreaterThan(0);
    const step = modelled.steps.find((s) => s.skill === "classify");
    expect(step?.tokens.in).toBeGreaterThan(100);
    expect(step?.tokens.out).toBeGreaterThan(0);
    expect(step?.summary).toMatch(/narrative by SmolLM2-135M-Instruct\.Q4_1\.gguf/);
    expect(step?.tokens.cost).toBeCloseTo(
      ((step?.tokens.in ?? 0) * 100 + (step?.tokens.out ?? 0) * 300) / 1e6,
      9,
    );
    expect(plain.steps.find((s) => s.skill === "classify")?.tokens).toEqual({ in: 0, out: 0, cost: 0 });

    // The reviewer's model put the verdict into words, and the verdict is still the policy's.
    const review = modelled.steps.find((s) => s.skill === "review");
    expect(review?.output).toMatchObject({
      decision: (plain.steps.find((s) => s.skill === "review")?.output as { decision: unknown }).decision,
      explanation: { model: "SmolLM2-135M-Instruct.Q4_1.gguf" },
    });
    expect(review?.tokens.out).toBeGreaterThan(0);

    // The escalation the human reads carries it, marked as the model's.
    const id = modelled.case.id;
    await withModel.waitFor(
      () => withModel.output.some((line) => line.includes(`ESCALATED ${id}`)) || undefined,
      10_000,
      "the escalation",
    );
    const printed = withModel.output.join("\n");
    expect(printed).toContain("narrative (SmolLM2-135M-Instruct.Q4_1.gguf):");

    // Asked to investigate, the analyst's model says what to ask next; the case still waits.
    const investigated = (await withModel.soc(["investigate", id])).json as {
      case: Case;
      questions: { model: string; questions: unknown[]; fallback: string | null } | null;
    };
    expect(investigated.case.status).toBe("awaiting_human");
    expect(investigated.questions?.model).toBe("SmolLM2-135M-Instruct.Q4_1.gguf");
    expect(investigated.questions?.questions.length || investigated.questions?.fallback).toBeTruthy();
    const after = (await withModel.soc(["trace", id])).json as TraceReply;
    expect(after.steps.find((s) => s.skill === "next_questions")?.tokens.out).toBeGreaterThan(0);
    // `soc trace` says what each step and the whole case spent.
    const spent = after.steps.reduce((sum, s) => sum + s.tokens.in, 0);
    const text = (await withModel.soc(["trace", id], { json: false })).stdout;
    expect(text).toMatch(new RegExp(`language model, whole case: tokens ${String(spent)}/\\d+ · cost \\d`));

    // Metered: the analyst's counters say what the step says.
    const config = loadConfig(FleetConfig, withModel.env);
    const metrics = await (await fetch(`${config.opsUrl("analyst")}/metrics`)).text();
    const tokensIn = metrics.match(
      /soc_llm_tokens_total\{[^}]*purpose="narrative"[^}]*direction="in"[^}]*\} (\d+)/,
    )?.[1];
    expect(Number(tokensIn)).toBe(step?.tokens.in);
  });
});
