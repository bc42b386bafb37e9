import { spawnSync } from "node:child_process";

export interface ExecOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs a command to completion and returns its stdout. A failure throws with the command and the
 * last lines it printed on either stream (Maven writes its errors to stdout, Go and pip to stderr).
 */
export function exec(command: string, args: readonly string[], options: ExecOptions = {}): string {
  const run = spawnSync(command, args, { ...options, encoding: "utf8", maxBuffer: 1 << 28 });
  if (run.error) throw new Error(`failed to run ${command}: ${run.error.message}`, { cause: run.error });
  if (run.status === 0) return run.stdout;
  const printed = `${run.stdout}\n${run.stderr}`.trim().split("\n").slice(-20).join("\n");
  const status = run.signal ?? `exit ${String(run.status)}`;
  throw new Error(`${command} ${args.join(" ")} failed (${status}):\n${printed}`);
}
