import { existsSync } from "node:fs";
import { join } from "node:path";
import { Gauge } from "prom-client";
import { Forwarding } from "../../contracts/policy.js";
import type { Component } from "../../runtime/component.js";
import { SocError } from "../../runtime/errors.js";
import type { McpPeer } from "../../runtime/mcp/client.js";
import { FEATURE_NAMES, FeatureExtractor } from "./features/index.js";
import { DriftWindow, PSI_METRIC } from "./model/drift.js";
import { IsolationForest } from "./model/scorer.js";
import { ModelScorer } from "./scorer.js";

/** The model trained by `npm run train`, beside its scorer in the source tree. */
export const DEFAULT_MODEL = [
  join(import.meta.dirname, "model", "model.json"),
  join(import.meta.dirname, "..", "..", "..", "agents", "prefilter", "model", "model.json"),
].find((path) => existsSync(path));

/** The model scorer on the model at `modelPath`, and the drift window it feeds. */
export function loadModelScorer(
  modelPath: string | undefined,
  forwarding: Forwarding,
): { scorer: ModelScorer; drift: DriftWindow } {
  if (!modelPath) throw new SocError("model_missing", "no model file: run `npm run train`");
  const model = IsolationForest.loadFile(modelPath);
  if (model.featureNames.join() !== FEATURE_NAMES.join()) {
    throw new SocError(
      "model_mismatch",
      `model ${model.version} was trained on other features than this prefilter computes`,
    );
  }
  const drift = new DriftWindow(model.distribution);
  return { scorer: new ModelScorer(model, new FeatureExtractor(), forwarding, drift), drift };
}

/** What the policy says to forward (`get_threshold`); throws when it says nothing the prefilter can follow. */
export async function readForwarding(policy: Pick<McpPeer, "call">): Promise<Forwarding> {
  const forwarding = Forwarding.parse(await policy.call("get_threshold", {}));
  if (forwarding.threshold === null && forwarding.budget === null)
    throw new SocError(
      "threshold_undefined",
      `the policy sets neither an anomaly threshold nor a forwarding budget (${forwarding.source})`,
    );
  return forwarding;
}

/**
 * Reads the forwarding setting again every `refreshMs` and hands each change to `apply`: a policy
 * change takes effect without a restart. A failed read, or a setting `apply` refuses, keeps the last.
 */
export function followForwarding(
  component: Component,
  policy: Pick<McpPeer, "call">,
  {
    forwarding,
    refreshMs,
    apply,
  }: {
    forwarding: Forwarding;
    refreshMs: number;
    apply: (forwarding: Forwarding) => Promise<{ threshold: number | string; source: string | null }>;
  },
): void {
  let current = JSON.stringify(forwarding);
  const refresh = setInterval(() => {
    readForwarding(policy)
      .then(async (next) => {
        if (JSON.stringify(next) === current) return;
        const inForce = await apply(next);
        current = JSON.stringify(next);
        component.log.info({ ...inForce, floor: next.floor }, "forwarding set");
      })
      .catch((error: unknown) => {
        component.log.warn(
          { err: SocError.from(error).message },
          "forwarding not refreshed; keeping the last setting",
        );
      });
  }, refreshMs);
  component.onStop(() => clearInterval(refresh));
}

/** Exports each feature's population stability, as `psi` gives it when scraped (null: nothing yet). */
export function exportDrift(component: Component, psi: () => Promise<number[] | null>): void {
  const gauge = new Gauge({
    name: PSI_METRIC,
    help: "Population stability index of each feature against the model's training data",
    labelNames: ["feature"],
    registers: [component.metrics.registry],
    async collect() {
      const values = await psi();
      if (values) FEATURE_NAMES.forEach((feature, i) => gauge.set({ feature }, values[i] ?? 0));
    },
  });
}
