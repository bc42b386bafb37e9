import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { beforeAll, describe, expect, it } from "vitest";
import { PolicyDecision } from "../../contracts/policy.js";
import { opaBinary } from "../../fleet/tools/opa.js";
import { createLogger } from "../../runtime/log.js";
import { PolicyEngine } from "./engine.js";
import { entrypoints } from "./evaluator.js";
import { firstCase } from "./policy-cases.js";
import { policiesDir, startWasm } from "./server.js";
import { clientComponentForTests } from "../../test/fakes.js";
import { WasmPolicy, type LoadResult } from "./wasm.js";

const revision = (JSON.parse(readFileSync(join(policiesDir(), ".manifest"), "utf8")) as { revision: string })
  .revision;
const sample = firstCase("auto_execute");
let opa = "";

beforeAll(() => {
  opa = opaBinary();
});

/** A private copy of policies/ that a test may break. */
function bundleCopy(): string {
  const dir = join(mkdtempSync(join(tmpdir(), "soc-bundle-")), "policies");
  cpSync(policiesDir(), dir, { recursive: true });
  return dir;
}

function edit(dir: string, file: string, change: (text: string) => string): void {
  const path = join(dir, file);
  writeFileSync(path, change(readFileSync(path, "utf8")));
}

async function decide(wasm: WasmPolicy): Promise<PolicyDecision> {
  return PolicyDecision.parse(await wasm.query(entrypoints.decision, sample.input));
}

describe("WasmPolicy", () => {
  it("compiles the bundle and decides in-process with the .manifest revision", async () => {
    const wasm = new WasmPolicy(opa, bundleCopy());
    expect(await wasm.load()).toEqual({ ok: true, revision });
    expect(await decide(wasm)).toEqual({
      outcome: "auto_execute",
      reasons: ["action isolate_pod allowed within limits"],
      policy_version: revision,
    });
  });

  const broken: { name: string; file: string; change: (t: string) => string; error: RegExp }[] = [
    {
      name: "Rego that does not compile",
      file: "soc/verdict/verdict.rego",
      change: (t) => `${t}\nthis is not rego\n`,
      error: /opa build failed/,
    },
    {
      name: "a manifest without a revision",
      file: ".manifest",
      change: () => JSON.stringify({ roots: ["soc"] }),
      error: /no revision/,
    },
    {
      name: "a verdict that auto-executes an empty input",
      file: "soc/verdict/verdict.rego",
      change: (t) => t.replace('"outcome": result.outcome,', '"outcome": "auto_execute",'),
      error: /fails its probe/,
    },
    {
      name: "settings with a negative limit (OPA would escalate every decision)",
      file: "soc/settings/data.json",
      change: (t) => t.replace('"pods": 1,', '"pods": -1,'),
      error: /settings are incomplete: missing or malformed blast_radius_limits\.isolate_pod$/,
    },
    {
      name: "data that is not JSON",
      file: "soc/settings/data.json",
      change: (t) => t.slice(0, 40),
      error: /opa build failed/,
    },
  ];

  it.each(broken)("refuses $name and keeps the bundle in force", async ({ file, change, error }) => {
    const dir = bundleCopy();
    const wasm = new WasmPolicy(opa, dir);
    expect((await wasm.load()).ok).toBe(true);
    const before = await decide(wasm);
    edit(dir, file, change);
    const result = await wasm.load();
    expect(result).toMatchObject({ ok: false, keeping: revision });
    expect(result.ok ? "" : result.error).toMatch(error);
    expect(await decide(wasm)).toEqual(before);
  });

  it("takes a good new bundle: the new revision is on the next decision", async () => {
    const dir = bundleCopy();
    const wasm = new WasmPolicy(opa, dir);
    await wasm.load();
    edit(dir, ".manifest", (t) => t.replace(revision, "2099.01.01-1"));
    expect(await wasm.load()).toEqual({ ok: true, revision: "2099.01.01-1" });
    expect((await decide(wasm)).policy_version).toBe("2099.01.01-1");
  });

  it("escalates every decision (no_bundle) when no bundle has ever loaded", async () => {
    const dir = bundleCopy();
    edit(dir, "soc/verdict/verdict.rego", (t) => `${t}\nnot rego\n`);
    const wasm = new WasmPolicy(opa, dir);
    expect(await wasm.load()).toMatchObject({ ok: false, keeping: null });
    const engine = new PolicyEngine(wasm, {
      registry: new Registry(),
      log: createLogger("policy-engine", "silent"),
      decisions: null,
    });
    const decision = await engine.decide("C-7K2F9", sample.input);
    expect(decision.outcome).toBe("escalate");
    expect(decision.reasons[0]).toMatch(/^fail-safe escalation \(no_bundle\)/);
  });

  it("reloads when the bundle directory changes and reports the result", async () => {
    const dir = bundleCopy();
    const wasm = new WasmPolicy(opa, dir);
    await wasm.load();
    const reported = new Promise<LoadResult>((resolve) => {
      const stop = wasm.watch((result) => {
        stop();
        resolve(result);
      }, 50);
    });
    edit(dir, ".manifest", (t) => t.replace(revision, "2099.02.02-1"));
    expect(await reported).toEqual({ ok: true, revision: "2099.02.02-1" });
    expect(wasm.revision).toBe("2099.02.02-1");
  });

  it("at start and on every change, counts loaded and refused bundles and says whether the newest is refused; a refusal keeps the revision", async () => {
    const dir = bundleCopy();
    const stops: (() => unknown)[] = [];
    const component = {
      ...clientComponentForTests("policy-engine"),
      onStop: (stop: () => unknown) => stops.push(stop),
    };
    const loads = async () =>
      (await component.metrics.registry.getMetricsAsJSON()).find(
        (m) => m.name === "soc_policy_bundle_loads_total",
      )?.values ?? [];
    const refusedNow = async () =>
      (await component.metrics.registry.getSingleMetric("soc_policy_bundle_refused")?.get())?.values[0]
        ?.value;
    const wasm = await startWasm(component, opa, dir);
    expect((await loads()).map((v) => [v.labels.result, v.value])).toEqual([["loaded", 1]]);
    expect(await refusedNow()).toBe(0);
    const refused = new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        void loads().then((values) => {
          if (values.some((v) => v.labels.result === "refused")) {
            clearInterval(poll);
            resolve();
          }
        });
      }, 20);
    });
    edit(dir, "soc/verdict/verdict.rego", (t) => `${t}\nnot rego\n`);
    await refused;
    expect((await loads()).map((v) => [v.labels.result, v.value])).toEqual([
      ["loaded", 1],
      ["refused", 1],
    ]);
    expect(await refusedNow()).toBe(1);
    expect(wasm.revision).toBe(revision);
    expect((await decide(wasm)).outcome).toBe("auto_execute");
    for (const stop of stops) await stop();
  });
});
