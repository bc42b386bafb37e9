import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, posix, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { policiesDir } from "../agents/policy-engine/server.js";
import { DEFAULT_MODEL } from "../agents/prefilter/model-scorer.js";
import { loadAgentConfig } from "../fleet/agent-config.js";
import { components } from "../fleet/components.js";
import { trainingDir } from "../fleet/python.js";
import {
  dockerignore,
  parseDockerfile,
  stageChain,
  stageContextFiles,
  type DockerStage,
} from "./dockerfile.js";

const root = join(import.meta.dirname, "..");
const dockerfile = readFileSync(join(root, "Dockerfile"), "utf8");
const work = mkdtempSync(join(tmpdir(), "soc-image-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const files = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();

interface Image {
  /** Where the stage's build-context files were written, at the image's paths. */
  fs: string;
  /** The image's working directory, where `node dist/fleet/run.js` runs: the package root. */
  app: string;
  chain: DockerStage[];
  stages: DockerStage[];
}

let built = 0;
/** A target of `text` (the last stage by default), its build-context files written out as the image holds them. */
function image(text: string, target?: string): Image {
  const stages = parseDockerfile(text);
  const stage = target ? stages.find((s) => s.name === target) : stages.at(-1);
  if (!stage) throw new Error(`no stage ${target ?? ""}`);
  const chain = stageChain(stages, stage);
  const fs = join(work, `image-${++built}`);
  stageContextFiles(root, chain, fs);
  return { fs, app: join(fs, stage.workdir), chain, stages };
}

/** What the compiled code reads at run time, looked for the way the code looks, in an image; each miss said. */
function runTimeProblems(text: string): string[] {
  const problems: string[] = [];
  const { app, chain, stages } = image(text);
  const inImage = (path: string) => existsSync(join(app, path));

  // Every component's AgentConfig, where loadAgentConfig looks from the package root.
  for (const { name } of components) {
    const expected = loadAgentConfig(root, name);
    let found: unknown;
    try {
      found = loadAgentConfig(app, name);
    } catch (error) {
      found = String(error);
    }
    if (JSON.stringify(found) !== JSON.stringify(expected))
      problems.push(`${name}: its AgentConfig is ${expected ? "missing from" : "unexpected in"} the image`);
  }

  // The policy bundle the Wasm evaluator loads, found from the compiled policy engine's folder.
  const compiledEngine = join(app, "dist", "agents", "policy-engine");
  let bundle = "";
  try {
    bundle = policiesDir(compiledEngine);
  } catch {
    problems.push("policies/: the compiled policy engine finds no policy bundle");
  }
  if (bundle && files(bundle).join() !== files(policiesDir()).join())
    problems.push("policies/: the image's bundle differs from the repository's");

  // The pre-filter's model: from dist/agents/prefilter the code falls back to the package's copy.
  if (!DEFAULT_MODEL) problems.push("the repository has no pre-filter model (npm run train)");
  else {
    const model = relative(root, DEFAULT_MODEL);
    if (!inImage(model)) problems.push(`${model}: the pre-filter's model is missing`);
  }

  // package.json (it makes dist/ ESM) and the `soc` command it names.
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { bin: Record<string, string> };
  for (const path of ["package.json", ...Object.values(pkg.bin)])
    if (!inImage(path)) problems.push(`${path} is missing`);

  // dist/ and node_modules/ come from the build stages: the compiler sees every folder it compiles.
  const copied = (from: string, path: string) =>
    chain.some((s) =>
      s.copies.some(
        (c) =>
          c.from === from &&
          c.sources.includes(path) &&
          c.dest === posix.join(s.workdir, posix.basename(path)),
      ),
    );
  const build = stages.find((s) => s.runs.some((run) => run.includes("tsc -p tsconfig.build.json")));
  if (!build?.name) problems.push("no stage compiles tsconfig.build.json");
  else {
    if (!copied(build.name, posix.join(build.workdir, "dist")))
      problems.push("dist/ is not copied from the build");
    const tsconfig = JSON.parse(readFileSync(join(root, "tsconfig.build.json"), "utf8")) as {
      include: string[];
    };
    const sources = stageChain(stages, build).flatMap((s) => s.copies.filter((c) => c.from === null));
    for (const folder of [...tsconfig.include, "tsconfig.json", "tsconfig.build.json"])
      if (!sources.some((c) => c.sources.includes(folder) || c.sources.includes(`${folder}/`)))
        problems.push(`${folder}: the build stage does not copy it, so tsc cannot compile it`);
  }
  const deps = stages.find((s) => s.runs.some((run) => /npm ci --omit=dev/.test(run)));
  if (!deps?.name || !copied(deps.name, posix.join(deps.workdir, "node_modules")))
    problems.push("node_modules/ is not copied from a production `npm ci`");
  return problems;
}

describe("the image (Dockerfile) holds what each component reads at run time", () => {
  it("has every component's AgentConfig, the policy bundle, the model, dist/, node_modules/ and `soc`", () => {
    expect(runTimeProblems(dockerfile)).toEqual([]);
  });

  it("notices what a narrower Dockerfile would leave out (the check has teeth)", () => {
    // The final stage's line (the build stage copies some folders too).
    const without = (line: string) => {
      const at = dockerfile.lastIndexOf(`\n${line}\n`);
      expect(at, line).toBeGreaterThan(0);
      return dockerfile.slice(0, at) + dockerfile.slice(at + line.length + 1);
    };
    expect(runTimeProblems(without("COPY policies policies"))).toEqual([
      "policies/: the compiled policy engine finds no policy bundle",
    ]);
    const agents = runTimeProblems(without("COPY agents agents"));
    expect(agents).toContain("prefilter: its AgentConfig is missing from the image");
    expect(agents).toContain("agents/prefilter/model/model.json: the pre-filter's model is missing");
    expect(runTimeProblems(without("COPY commands commands"))).toEqual([
      "commands: the build stage does not copy it, so tsc cannot compile it",
    ]);
  });

  it("gives the training target what `node dist/fleet/python.js train` runs: training/", () => {
    const training = image(dockerfile, "training");
    const scripts = relative(root, trainingDir());
    expect(files(join(training.app, scripts))).toEqual(files(trainingDir()));
    expect(training.chain.map((s) => s.name)).toEqual(["app", "training"]);
  });

  it("reads .dockerignore as Docker does: from the context root, folders whole, `**`, `!` exceptions", () => {
    const ignored = dockerignore("# build output\ndist\n*.log\n**/*.tmp\nhelm/\n!helm/keep.yaml\n");
    expect(
      ["dist", "dist/fleet/run.js", "a.log", "x/y.tmp", "y.tmp", "helm/values.yaml"].filter(ignored),
    ).toEqual(["dist", "dist/fleet/run.js", "a.log", "x/y.tmp", "y.tmp", "helm/values.yaml"]);
    expect(["agents/dist", "logs/a.log", "helm/keep.yaml", "distance"].filter(ignored)).toEqual([]);
    const { app } = image(dockerfile);
    expect(existsSync(join(app, "agents", "prefilter", "agent-config.yaml"))).toBe(true);
    expect(readdirSync(app).sort()).toEqual(["agents", "bin", "package.json", "policies"]);
  });
});
