import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { Counter } from "prom-client";
import type { FleetConfig } from "../../contracts/config.js";
import { RuleGate, type ProposalState, type RuleProposal } from "../../contracts/rules.js";
import { skills } from "../../contracts/skills.js";
import { handler } from "../../runtime/a2a/skill.js";
import { SocError } from "../../runtime/errors.js";
import type { McpPeer } from "../../runtime/mcp/client.js";
import type { Agent } from "../agent.js";
import { worded } from "./describe.js";
import { draft, type Draft } from "./draft.js";
import { forgeFor } from "./forge/forge.js";
import { publishRuleChange } from "./forge/publish.js";
import { pullRequestOf } from "./pull-request.js";
import { RuleSet } from "./ruleset.js";
import { validateDraft, type Validation, type Validators } from "./validate.js";

export const rules: Agent = {
  kind: "agent",
  name: "rules",
  description:
    "Drafts Falco rule changes from analysts' decisions, validates them with the Falco project's tooling, replays them on the recorded events, puts them to the policy and opens the pull requests it allows.",
  skills({ component, config, mcp, llm }) {
    const validators = falcoValidators(config.rules);
    // The official rulesets Falco runs, read for each draft with the custom rules file on top
    // (tens of milliseconds): drafts build on the rules, macros and lists of both.
    const rulesets = (custom: string | null) => {
      const set = RuleSet.fromFiles(validators.rulesFiles);
      return custom ? set.load(custom, target?.file ?? "custom rules") : set;
    };
    const policy = mcp("policy-engine");
    const target = config.rules.target;
    const drafts = new Counter({
      name: "soc_rule_drafts_total",
      help: "Rule changes drafted, by kind and by where they went (rejected, escalated, kept, open, failed)",
      labelNames: ["kind", "state"],
      registers: [component.metrics.registry],
    });

    return [
      handler(skills.draftRule, async (request) => {
        // The custom rules file as the base branch has it: what the change goes into. A forge that
        // cannot be read leaves the draft unchecked, and so undrafted (the caller may ask again).
        const custom = target ? await forgeFor(target).file(target.file, target.base) : null;
        const drafted = draft(request, rulesets(custom));
        if (typeof drafted === "string") return { proposal: null, note: drafted };
        // The model words a new rule's description; everything it says is checked like the rest.
        const { found, describedBy } = await worded(llm, drafted, request.finding?.technique ?? null);
        const validation = await validateDraft(found.yaml, validators, custom);
        const gate = await gateOf(policy, found, validation);
        const checked = { validation, gate, confirmedBy: request.confirmed_by, describedBy };
        const proposal = await ship(found, checked, target);
        drafts.inc({ kind: proposal.kind, state: proposal.state });
        component.log.info(
          { proposal: proposal.id, kind: proposal.kind, state: proposal.state, error: proposal.error },
          "rule change drafted",
        );
        return {
          proposal: {
            ...proposal,
            case_id: request.case_id,
            trigger: request.trigger,
            described_by: describedBy,
          },
          note: describe(proposal),
        };
      }),
      handler(skills.pullRequests, async ({ numbers }) => {
        if (!target) return { pull_requests: [] };
        const forge = forgeFor(target);
        const pull_requests = await Promise.all(
          numbers.map(async (number) => ({ number, state: (await forge.pullRequest(number)).state })),
        );
        return { pull_requests };
      }),
    ];
  },
};

type Checked = Parameters<typeof pullRequestOf>[1];

/**
 * Where a checked draft goes: nowhere when the policy rejects it or an analyst has to confirm it
 * first; into the case when no repository is configured; else a branch and a pull request.
 */
async function ship(
  found: Draft,
  checked: Checked,
  target: FleetConfig["rules"]["target"],
): Promise<Omit<RuleProposal, "case_id" | "trigger" | "described_by">> {
  const base = {
    id: found.id,
    kind: found.kind,
    rule: found.rule,
    name: found.name,
    yaml: found.yaml,
    cases: found.cases,
    validation: checked.validation,
    replay: found.replay,
    gate: checked.gate,
    confirmed_by: checked.gate.outcome === "escalate" ? checked.confirmedBy : null,
    pull_request: null,
    error: null,
    created_at: new Date().toISOString(),
  };
  const state = (s: ProposalState) => ({ ...base, state: s });
  if (checked.gate.outcome === "reject") return state("rejected");
  if (checked.gate.outcome === "escalate" && !checked.confirmedBy) return state("escalated");
  if (!target) return state("kept");
  const pr = pullRequestOf(found, checked);
  try {
    const opened = await publishRuleChange(target, {
      branch: pr.branch,
      message: pr.message,
      title: pr.title,
      body: pr.body,
      // A change the base branch already has (merged from an earlier proposal) is not made twice.
      edit: (current) =>
        current?.includes(found.name) ? current : `${current ? `${current.trimEnd()}\n\n` : ""}${found.yaml}`,
    });
    return { ...state("open"), pull_request: opened };
  } catch (error) {
    const failure = SocError.from(error);
    if (failure.code === "forge_no_change") return state("merged");
    return { ...state("failed"), error: failure.message };
  }
}

/** The policy's word on a checked draft; none is an analyst's decision, never a pull request. */
async function gateOf(policy: McpPeer, found: Draft, validation: Validation): Promise<RuleGate> {
  const input = { kind: found.kind, rule: found.rule, validation, replay: found.replay };
  try {
    return RuleGate.parse(await policy.call("evaluate_rule_change", { input }));
  } catch (error) {
    return {
      outcome: "escalate",
      reasons: [`policy engine unavailable: ${SocError.from(error).message}`],
      policy_version: "unavailable",
    };
  }
}

/** A proposal in one line, for the case's chain. */
function describe(p: Omit<RuleProposal, "case_id" | "trigger" | "described_by">): string {
  const what = p.kind === "exception" ? `exception ${p.name} to ${p.rule.name}` : `rule "${p.name}"`;
  const where = {
    rejected: `rejected: ${p.gate.reasons.join("; ")}`,
    escalated: `an approver confirms it first (/soc rule): ${p.gate.reasons.join("; ")}`,
    kept: "kept in the case (no rules repository configured)",
    open: `pull request ${p.pull_request?.url ?? ""}`,
    merged: p.pull_request ? `merged: ${p.pull_request.url}` : "already in the rules file",
    closed: `closed unmerged: ${p.pull_request?.url ?? ""}`,
    failed: `not opened: ${p.error ?? "the forge failed"}`,
  }[p.state];
  return `${what}, replayed on ${String(p.replay.events)} events (holds for ${String(p.replay.hits.length)}): ${where}`;
}

/**
 * The Falco project's tooling and data the drafts are checked with, laid out as ../shared beside
 * the checkout (vendor/falco-rules, schemas/falco, vendor/falco-lsp's field catalogues), or at
 * SOC_FALCO_DATA in an image.
 */
export function falcoValidators(settings: FleetConfig["rules"]): Validators {
  const data = settings.falcoData ?? sharedBesideCheckout();
  const fields = join(data, "vendor", "falco-lsp", "internal", "fields", "data");
  return {
    falcoLang: settings.falcoLang,
    rulesFiles: settings.rulesFiles.map((file) => join(data, "vendor", "falco-rules", file)),
    schemaFile: join(data, "schemas", "falco", "falco-rules.schema.json"),
    fieldFiles: ["syscall.json", "k8saudit.json", "plugins.json"].map((file) => join(fields, file)),
  };
}

function sharedBesideCheckout(): string {
  for (let dir = import.meta.dirname; dirname(dir) !== dir; dir = dirname(dir)) {
    const shared = join(dirname(dir), "shared");
    if (existsSync(join(dir, "package.json")) && existsSync(join(shared, "vendor", "falco-rules")))
      return shared;
  }
  throw new SocError(
    "config",
    "no Falco rulesets found: set SOC_FALCO_DATA to a folder with vendor/falco-rules, schemas/falco and vendor/falco-lsp/internal/fields/data",
  );
}
