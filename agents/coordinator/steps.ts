import type { z } from "zod";
import type { SkillContract } from "../../contracts/skills.js";
import type { Peers } from "../../runtime/a2a/client.js";
import { SocError } from "../../runtime/errors.js";
import { currentTrace } from "../../runtime/trace.js";
import type { CaseStore, NewStep } from "./store.js";

export type StepResult<T> = { ok: true; output: T } | { ok: false; error: string };

/**
 * Runs one hop of a case and records it as a step. A step already recorded under the same key
 * is not run again: a node that re-runs after a restart reuses what its first run did.
 */
export class StepRunner {
  constructor(
    private readonly store: CaseStore,
    private readonly peers: Peers,
    private readonly guard: {
      /** Whether this process may still work on the case (holds its lease); default always. */
      holds?: (caseId: string) => boolean;
      /** Told of a step that another run of the case recorded first: the same work done twice. */
      repeated?: (caseId: string, key: string) => void;
    } = {},
  ) {}

  async call<S extends SkillContract>(
    caseId: string,
    key: string,
    spec: S,
    input: z.input<S["input"]>,
    summarize: (output: z.output<S["output"]>) => string,
    /** What the chain keeps of the input, when not all of it (a rule's recorded events). */
    recorded: unknown = input,
  ): Promise<StepResult<z.output<S["output"]>>> {
    const done = await this.store.step(caseId, key);
    if (done && !done.error)
      return { ok: true, output: spec.output.parse(done.output) as z.output<S["output"]> };
    if (this.guard.holds && !this.guard.holds(caseId))
      throw new SocError(
        "lease_lost",
        `case ${caseId} is no longer this replica's: its lease ran out, another replica carries it on`,
      );
    const started = performance.now();
    try {
      const { output, usage } = await this.peers.call(spec, input);
      const added = await this.#add(caseId, key, {
        agent: spec.agent,
        skill: spec.id,
        summary: summarize(output),
        input: recorded,
        output,
        ...usage,
        duration_ms: performance.now() - started,
        error: null,
      });
      // Recorded meanwhile by another run: two runs of the case at once, which leases exclude.
      if (!added) this.guard.repeated?.(caseId, key);
      return { ok: true, output };
    } catch (cause) {
      const error = SocError.from(cause);
      const message = `${spec.agent} ${spec.id} failed: ${error.message}`;
      await this.#add(caseId, `${key}#failed@${Date.now()}`, {
        agent: spec.agent,
        skill: spec.id,
        summary: message,
        input: recorded,
        output: null,
        mcp_calls: [],
        tokens: { in: 0, out: 0, cost: 0 },
        duration_ms: performance.now() - started,
        error: error.code,
      });
      return { ok: false, error: message };
    }
  }

  /** Records a step the coordinator itself took. */
  async record(
    caseId: string,
    key: string,
    step: Pick<NewStep, "agent" | "skill" | "summary" | "input" | "output">,
  ): Promise<void> {
    await this.#add(caseId, key, {
      ...step,
      mcp_calls: [],
      tokens: { in: 0, out: 0, cost: 0 },
      duration_ms: 0,
      error: null,
    });
  }

  async #add(caseId: string, key: string, step: NewStep): Promise<boolean> {
    const { added } = await this.store.addStep(caseId, currentTrace()?.traceId ?? "", key, step);
    return added;
  }
}
