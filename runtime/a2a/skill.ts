import type { z } from "zod";

/** The runtime's view of a skill contract: enough to serve it and to call it. */
export interface SkillSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  agent: string;
  id: string;
  description: string;
  callers: readonly string[];
  input: I;
  output: O;
  /** The skill asks a language model, or waits on a callee that may: its callers wait the model's budget too. */
  model?: "asks" | "waits";
  /** The largest request body its input may take, in bytes; 100 kB unless a skill says more. */
  maxInputBytes?: number;
}

/** What a skill's handler learns about the call. */
export interface SkillCall {
  caller: string;
}

/** A served skill: its contract and the code behind it. */
export interface SkillHandler<S extends SkillSpec = SkillSpec> {
  spec: S;
  handle(input: z.output<S["input"]>, call: SkillCall): Promise<z.input<S["output"]>>;
}

export function handler<S extends SkillSpec>(
  spec: S,
  handle: (input: z.output<S["input"]>, call: SkillCall) => Promise<z.input<S["output"]>>,
): SkillHandler {
  return { spec, handle };
}

/** The one message shape of the fleet: a single data part with the skill and its input. */
export interface SkillRequest {
  skill: string;
  input: unknown;
}
export type SkillReply =
  | { ok: true; output: unknown; usage: unknown }
  | { ok: false; error: { code: string; message: string; retryable: boolean } };
