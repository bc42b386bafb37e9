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

/** The model scorer on the model at `modelPath`, and the drift window it feeds. */
export function loadModelScorer(
  modelPath: string | undefined,
  threshold: number,
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
  return { scorer: new ModelScorer(model, new FeatureExtractor(), threshold, drift), drift };
}

const Threshold = z.object({ threshold: z.number().min(0).max(1).nullable() });

/** The anomaly threshold the policy sets (`get_threshold`); throws when it sets none. */
export async function readThreshold(policy: Pick<McpPeer, "call">): Promise<number> {
  const { threshold } = Threshold.parse(await policy.call("get_threshold", {}));
  if (threshold === null)
    throw new SocError("threshold_undefined", "the policy defines no anomaly threshold");
  return threshold;
}

/**
 * Reads the threshold again every `refreshMs` and hands each change to `set`: a policy change
 * takes effect without a restart. A failed read keeps the last threshold.
 */
export function followThreshold(
  component: Component,
  policy: Pick<McpPeer, "call">,
  { threshold, refreshMs, set }: { threshold: number; refreshMs: number; set: (threshold: number) => void },
): void {
  let current = threshold;
  const refresh = setInterval(() => {
    readThreshold(policy)
      .then((next) => {
        if (next === current) return;
        component.log.info({ threshold: next, previous: current }, "anomaly threshold set");
        current = next;
        set(next);
      })
      .catch((error: unknown) => {
        component.log.warn(
          { err: SocError.from(error).message },
          "anomaly threshold not refreshed; keeping the last one",
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
