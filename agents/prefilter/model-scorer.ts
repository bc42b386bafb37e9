import { existsSync } from "node:fs";
import { join } from "node:path";
import { Gauge } from "prom-client";
import { z } from "zod";
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

const Threshold = z.object({ threshold: z.number().min(0).max(1).nullable() });

/**
 * Builds the model scorer and keeps it current: the threshold is read from the policy engine at
 * start and every `refreshMs` (a policy change takes effect without a restart), and each feature's
 * population stability against the training data is exported as a gauge.
 */
export async function modelScorer(
  component: Component,
  policy: Pick<McpPeer, "call">,
  { modelPath = DEFAULT_MODEL, refreshMs }: { modelPath?: string; refreshMs: number },
): Promise<ModelScorer> {
  if (!modelPath) throw new SocError("model_missing", "no model file: run `npm run train`");
  const model = IsolationForest.loadFile(modelPath);
  if (model.featureNames.join() !== FEATURE_NAMES.join()) {
    throw new SocError(
      "model_mismatch",
      `model ${model.version} was trained on other features than this prefilter computes`,
    );
  }
  const drift = new DriftWindow(model.distribution);
  const scorer = new ModelScorer(model, new FeatureExtractor(), 1, drift);

  const readThreshold = async () => {
    const { threshold } = Threshold.parse(await policy.call("get_threshold", {}));
    if (threshold === null)
      throw new SocError("threshold_undefined", "the policy defines no anomaly threshold");
    if (threshold !== scorer.threshold())
      component.log.info({ threshold, model_version: model.version }, "anomaly threshold set");
    scorer.setThreshold(threshold);
  };
  // Without a threshold nothing is forwarded blindly: the prefilter does not start until policy answers.
  await readThreshold();
  const refresh = setInterval(() => {
    readThreshold().catch((error: unknown) => {
      component.log.warn(
        { err: SocError.from(error).message },
        "anomaly threshold not refreshed; keeping the last one",
      );
    });
  }, refreshMs);
  component.onStop(() => clearInterval(refresh));

  const psi = new Gauge({
    name: PSI_METRIC,
    help: "Population stability index of each feature against the model's training data",
    labelNames: ["feature"],
    registers: [component.metrics.registry],
    collect() {
      if (drift.count === 0) return;
      const values = drift.psi();
      FEATURE_NAMES.forEach((feature, i) => psi.set({ feature }, values[i] ?? 0));
    },
  });
  return scorer;
}
