import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import tar from "tar-stream";
import { entrypoints } from "./evaluator.js";

/** A policy bundle compiled to Wasm: the module, the bundle's data and its manifest. */
export interface CompiledBundle {
  name: string;
  wasm: Buffer;
  data: Record<string, unknown>;
  manifest: { revision: string; roots: string[] };
}

/** The bundle cannot be used: it does not compile, lacks a revision, or answers wrongly. */
export class BundleRefused extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "BundleRefused";
  }
}

/**
 * What OPA leaves out when it loads `policies/` as the bundle: the Rego tests, and the Kyverno
 * policies that live beside the Rego (YAML that OPA would otherwise read as data outside the
 * bundle's roots).
 */
export const BUNDLE_IGNORES = ["*_test.rego", "kyverno"] as const;
export const bundleIgnoreArgs = (): string[] => BUNDLE_IGNORES.flatMap((pattern) => ["--ignore", pattern]);

/**
 * Compiles a bundle directory to Wasm with `opa build -t wasm`, leaving the tests out, and reads
 * the result back. OPA runs from the directory's parent so that the paths in the tarball are
 * relative (run elsewhere they start with `/..`).
 */
export async function compileBundle(opaBinary: string, bundleDir: string): Promise<CompiledBundle> {
  const out = await mkdtemp(join(tmpdir(), "soc-wasm-"));
  const tarball = join(out, "bundle.tar.gz");
  try {
    const args = ["build", "-t", "wasm", ...Object.values(entrypoints).flatMap((e) => ["-e", e])];
    args.push(...bundleIgnoreArgs(), "-b", basename(bundleDir), "-o", tarball);
    await run(opaBinary, args, dirname(bundleDir));
    const files = await untar(gunzipSync(await readFile(tarball)));
    const wasm = files.get("policy.wasm");
    if (!wasm) throw new BundleRefused("opa build produced no policy.wasm");
    const manifest = parseJson(files.get(".manifest"), ".manifest") as {
      revision?: unknown;
      roots?: unknown;
    };
    if (typeof manifest.revision !== "string" || manifest.revision === "") {
      throw new BundleRefused(
        "the bundle's .manifest has no revision: decisions would carry no policy version",
      );
    }
    const roots = Array.isArray(manifest.roots) ? manifest.roots.filter((r) => typeof r === "string") : [];
    const data = parseJson(files.get("data.json") ?? Buffer.from("{}"), "data.json");
    if (data === null || typeof data !== "object" || Array.isArray(data)) {
      throw new BundleRefused("the bundle's data is not an object");
    }
    return {
      name: basename(bundleDir),
      wasm,
      data: data as Record<string, unknown>,
      manifest: { revision: manifest.revision, roots },
    };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, encoding: "utf8" }, (error, stdout, stderr) => {
      // OPA 1.x prints build errors on stdout.
      if (error)
        reject(
          new BundleRefused(`opa build failed: ${`${stdout}\n${stderr}`.trim() || error.message}`, {
            cause: error,
          }),
        );
      else resolve();
    });
  });
}

function parseJson(bytes: Buffer | undefined, name: string): unknown {
  if (!bytes) throw new BundleRefused(`the compiled bundle has no ${name}`);
  try {
    return JSON.parse(bytes.toString("utf8")) as unknown;
  } catch (error) {
    throw new BundleRefused(`the bundle's ${name} is not JSON`, { cause: error });
  }
}

/** The regular files of a tar archive, by path without a leading `/` (what `opa build` writes). */
export async function untar(archive: Buffer): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on("finish", resolve);
    extract.on("error", reject);
  });
  extract.on("entry", (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: unknown) => {
      if (Buffer.isBuffer(chunk)) chunks.push(chunk);
    });
    stream.on("end", () => {
      if (header.type === "file") files.set(header.name.replace(/^\/+/, ""), Buffer.concat(chunks));
      next();
    });
  });
  extract.end(archive);
  await done;
  return files;
}
