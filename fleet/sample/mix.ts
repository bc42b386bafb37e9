import { readFileSync } from "node:fs";
import { z } from "zod";
import { EPISODE_KINDS } from "./attacks.js";

/** The benign workload profiles of the corpus, in the order their streams are numbered. */
export const PROFILE_NAMES = ["web", "database", "operator", "node", "batch", "ci", "engineer"] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/**
 * What a corpus is made of, read from a JSON file (`write-corpus.js --mix`): how many copies of
 * each benign profile run on the cluster (0 leaves one out; each copy has its own random stream,
 * so two copies are two teams' worth of the same kind of work) and which attack kinds the episodes
 * rotate through. The default mix is one of each profile and every kind: the corpus the committed
 * model is trained on.
 */
export const Mix = z
  .object({
    name: z.string().regex(/^[a-z0-9-]+$/, "a mix's name is lower-case letters, digits and dashes"),
    description: z.string().default(""),
    profiles: z.partialRecord(z.enum(PROFILE_NAMES), z.number().int().min(0).max(8)).default({}),
    episodes: z
      .array(z.enum(EPISODE_KINDS))
      .min(1)
      .default([...EPISODE_KINDS]),
  })
  .strict()
  .refine(
    (mix) => PROFILE_NAMES.some((name) => (mix.profiles[name] ?? 1) > 0),
    "a mix needs some benign work",
  );
export type Mix = z.output<typeof Mix>;

export const DEFAULT_MIX: Mix = Mix.parse({ name: "default" });

/** Copies of a profile in a mix: 1 unless it says otherwise. */
export function copiesOf(mix: Mix, profile: ProfileName): number {
  return mix.profiles[profile] ?? 1;
}

/** A mix from its file, or every problem with it. */
export function readMix(path: string): Mix {
  const parsed = Mix.safeParse(JSON.parse(readFileSync(path, "utf8")));
  if (!parsed.success)
    throw new Error(
      `${path}: not a corpus mix: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(mix)"}: ${i.message}`).join("; ")}`,
    );
  return parsed.data;
}
