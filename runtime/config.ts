import type { z } from "zod";
import { SocError } from "./errors.js";

/**
 * The only place that reads the environment: parses it once with the given schema and reports
 * every problem at once.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `  ${issue.path.join(".") || "(environment)"}: ${issue.message}`,
  );
  throw new SocError("config_invalid", `invalid configuration:\n${problems.join("\n")}`);
}
