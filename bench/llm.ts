import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Case } from "../contracts/case.js";
import type { Step } from "../contracts/step.js";
import { falcoAlert } from "../fleet/alerts.js";
import { shippedForwarding } from "../fleet/evaluation/policy-settings.js";
import { evaluate } from "../fleet/evaluation/prefilter.js";
import { LocalFleet } from "../fleet/local.js";
import { smollm2Model } from "../fleet/tools/smollm2.js";
import { writeLabelledCorpus } from "./corpus.js";
import { summary } from "./figures.js";

/**
 * `npm run build && node dist/bench/llm.js [--cases=12] [--benign=200000]`: what the model tier
 * costs, with the embedded SmolLM2-135M (llama.cpp, 1 thread) against no model, the same alerts:
 * 1. case latency, from the alert posted to the verdict recorded (p50, p99), one case at a time;
 * 2. tokens and model time per case (the analyst's narrative and the reviewer's explanation);
 * 3. the resident memory of the fleet's processes, with the model loaded and without;
 * 4. tokens per 1 000 000 Falco events of the generated corpus: what the prefilter forwards at the
 *    policy's threshold, next to sending every Warning-and-above event to the model.
 */
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const cases = Number(args.get("cases") ?? 12);
const benign = Number(args.get("benign") ?? 200_000);

type TraceReply = { case: Case; steps: Step[] };

/** Each alert posted alone and followed to its verdict: the durations and the model's share. */
async function triage(fleet: LocalFleet, n: number) {
  const durations: number[] = [];
  const tokens: number[] = [];
  const modelMs: number[] = [];
  for (let i = 0; i < n; i++) {
    const alert = falcoAlert({
      rule: "Terminal shell in container",
      priority: "Critical",
      namespace: "identity",
      pod: `keycloak-${String(i)}`,
      tags: ["maturity_stable", "mitre_execution", "T1059", "container", "shell"],
    });
    const started = performance.now();
    const { body } = await fleet.post(alert);
    const id = body.case_id as string;
    const trace = await fleet.waitFor(
      async () => {
        const reply = (await fleet.soc(["trace", id])).json as TraceReply;
        return reply.case.outcome ? reply : undefined;
      },
      300_000,
      `a verdict on ${id}`,
    );
    durations.push(performance.now() - started);
    const asked = trace.steps.filter((s) => s.skill === "classify" || s.skill === "review");
    tokens.push(asked.reduce((t, s) => t + s.tokens.in + s.tokens.out, 0));
    modelMs.push(asked.reduce((t, s) => t + s.duration_ms, 0));
  }
  return { durations, tokens, modelMs };
}

/** Resident memory of the launcher's children (the fleet's processes and OPA), in MB. */
function residentMb(fleet: LocalFleet): number {
  const run = join(fleet.home, "run");
  const pids = readdirSync(run)
    .filter((file) => file.endsWith(".pid"))
    .map((file) => readFileSync(join(run, file), "utf8").trim());
  const rss = execFileSync("ps", ["-o", "rss=", "-p", pids.join(",")], { encoding: "utf8" })
    .split("\n")
    .reduce((total, line) => total + (Number(line.trim()) || 0), 0);
  return Math.round(rss / 1024);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

const env = { SOC_PREFILTER: "priority", SOC_LOG_LEVEL: "warn" };
const plain = await LocalFleet.start({ env });
const without = await triage(plain, cases);
const memoryWithout = residentMb(plain);
await plain.stop();
const modelled = await LocalFleet.start({
  env: { ...env, SOC_LLM: "embedded", SOC_LLM_MODEL: smollm2Model(), SOC_LLM_THREADS: "1" },
});
const withModel = await triage(modelled, cases);
const memoryWith = residentMb(modelled);
await modelled.stop();

const dir = mkdtempSync(join(tmpdir(), "soc-bench-llm-"));
try {
  const { eventsPath, labelsPath } = await writeLabelledCorpus(dir, { seed: 11, benign, episodes: 40 });
  const e = evaluate(eventsPath, labelsPath, { forwarding: shippedForwarding() });
  const perMillion = (economy: typeof e.model) =>
    (economy.benign_forwarded / economy.benign_events) * 1_000_000;
  const tokensPerCase = mean(withModel.tokens);
  console.log(
    [
      `LLM tier: embedded SmolLM2-135M-Instruct Q4_1, 1 thread; ${String(cases)} cases each, one at a time`,
      `1. case latency, alert → verdict   no model    ${summary(without.durations, 0)}`,
      `                                   with model  ${summary(withModel.durations, 0)}`,
      `2. per case with the model: ${tokensPerCase.toFixed(0)} tokens (narrative + explanation), ` +
        `${mean(withModel.modelMs).toFixed(0)} ms in the analyst's and reviewer's steps`,
      `3. resident memory of the fleet's processes: ${String(memoryWithout)} MB without, ${String(memoryWith)} MB with the model loaded`,
      `4. per 1 000 000 Falco events (generated corpus, seed 11, ${String(benign)} benign events, threshold ${e.threshold.toFixed(4)} (${e.threshold_source})):`,
      `   the prefilter forwards ${perMillion(e.model).toFixed(0)} → ${((perMillion(e.model) * tokensPerCase) / 1e6).toFixed(2)} M tokens`,
      `   every Warning and above: ${perMillion(e.baseline_warning).toFixed(0)} → ${((perMillion(e.baseline_warning) * tokensPerCase) / 1e6).toFixed(2)} M tokens`,
    ].join("\n"),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
