import { watch } from "node:fs";
import { loadPolicy, type LoadedPolicy } from "@open-policy-agent/opa-wasm";
import { PolicyDecision } from "../../contracts/policy.js";
import { BundleRefused, compileBundle, type CompiledBundle } from "./bundle.js";
import {
  PolicyExplanation,
  PolicyUnavailable,
  entrypoints,
  type Entrypoint,
  type PolicyEvaluator,
} from "./evaluator.js";

/** What a (re)load did: the revision now in force, or why the new bundle was refused. */
export type LoadResult =
  | { ok: true; revision: string }
  | { ok: false; error: string; /** the revision still in force, null if none */ keeping: string | null };

/**
 * The policies compiled to Wasm and evaluated in-process. `load` compiles the bundle directory
 * and swaps it in only if it compiles, has a revision and passes a probe; otherwise the previous
 * bundle stays in force and the refusal is returned for the caller to report. Before the first
 * good load every query is a fail-safe escalation (`no_bundle`).
 */
export class WasmPolicy implements PolicyEvaluator {
  readonly kind = "wasm";
  #current: { policy: LoadedPolicy; revision: string } | null = null;
  // Loads run one after another: a slow compile must not overwrite a newer one.
  #loading: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly opaBinary: string,
    private readonly bundleDir: string,
  ) {}

  /** The revision in force, or null before the first good load. */
  get revision(): string | null {
    return this.#current?.revision ?? null;
  }

  load(): Promise<LoadResult> {
    const next = this.#loading.then(() => this.#load());
    this.#loading = next;
    return next;
  }

  async #load(): Promise<LoadResult> {
    try {
      const bundle = await compileBundle(this.opaBinary, this.bundleDir);
      const policy = await instantiate(bundle);
      this.#current = { policy, revision: bundle.manifest.revision };
      return { ok: true, revision: bundle.manifest.revision };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, error: message, keeping: this.revision };
    }
  }

  query(entrypoint: Entrypoint, input: unknown, inputJson?: string): Promise<unknown> {
    const current = this.#current;
    if (!current) {
      return Promise.reject(
        new PolicyUnavailable("no_bundle", "no policy bundle has loaded into the Wasm evaluator"),
      );
    }
    try {
      // opa-wasm takes serialised input as an ArrayBuffer: no second JSON.stringify of the input.
      const given = inputJson === undefined ? input : jsonBytes(inputJson);
      return Promise.resolve(firstResult(current.policy.evaluate(given, entrypoint) as unknown));
    } catch (error) {
      return Promise.reject(
        new PolicyUnavailable("wasm_error", `the Wasm policy failed on ${entrypoint}`, error),
      );
    }
  }

  /**
   * Reloads when a file under the bundle directory changes (debounced: an editor's save is several
   * events) and hands every result to `report`. Returns the function that stops watching.
   */
  watch(report: (result: LoadResult) => void, debounceMs = 250): () => void {
    let timer: NodeJS.Timeout | undefined;
    const watcher = watch(this.bundleDir, { recursive: true }, () => {
      clearTimeout(timer);
      timer = setTimeout(() => void this.load().then(report), debounceMs);
    });
    return () => {
      clearTimeout(timer);
      watcher.close();
    };
  }
}

const encoder = new TextEncoder();

/** UTF-8 bytes of `json` in an ArrayBuffer of their own (what opa-wasm's evaluate expects). */
function jsonBytes(json: string): ArrayBuffer {
  const bytes = encoder.encode(json);
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes.buffer
    : bytes.slice().buffer;
}

/** `[{result}]` → result; `[]` (undefined) → undefined. */
function firstResult(results: unknown): unknown {
  if (!Array.isArray(results) || results.length === 0) return undefined;
  const first: unknown = results[0];
  return first !== null && typeof first === "object" ? (first as { result?: unknown }).result : undefined;
}

/**
 * Instantiates the module with the bundle's data and the manifest where OPA would expose it
 * (data.system.bundles), then checks it: every entrypoint the engine uses must exist, and the
 * settings must have no problems. Only then does it tell the policy, in data.system.soc, that the
 * settings are verified, which spares every decision the check (they cannot change until the next
 * load). Last, a probe: an empty input must escalate with the bundle's revision. A bundle that
 * fails any of these is refused.
 */
async function instantiate(bundle: CompiledBundle): Promise<LoadedPolicy> {
  const policy = await loadPolicy(bundle.wasm);
  const bundles = { [bundle.name]: { manifest: bundle.manifest } };
  policy.setData({ ...bundle.data, system: { bundles } });
  const available = Object.keys(policy.entrypoints as Record<string, number>);
  const missing = Object.values(entrypoints).filter((e) => !available.includes(e));
  if (missing.length > 0) throw new BundleRefused(`the bundle lacks entrypoints ${missing.join(", ")}`);
  const explained = PolicyExplanation.safeParse(
    firstResult(policy.evaluate({}, entrypoints.explanation) as unknown),
  );
  if (!explained.success) throw new BundleRefused("the bundle answers a malformed explanation");
  const { settings_problems: problems } = explained.data;
  if (problems.length > 0) {
    throw new BundleRefused(
      `the bundle's settings are incomplete: missing or malformed ${problems.join(", ")}`,
    );
  }
  policy.setData({ ...bundle.data, system: { bundles, soc: { settings_verified: true } } });
  const probe = PolicyDecision.safeParse(firstResult(policy.evaluate({}, entrypoints.decision) as unknown));
  if (
    !probe.success ||
    probe.data.outcome !== "escalate" ||
    probe.data.policy_version !== bundle.manifest.revision
  ) {
    throw new BundleRefused(
      `the bundle fails its probe: an empty input must escalate with policy version ${bundle.manifest.revision}`,
    );
  }
  return policy;
}
