import { readFileSync } from "node:fs";
import { falcoValidators } from "../agents/rules/agent.js";
import { renderFileReplay, replayFile } from "../agents/rules/replay-file.js";
import { RuleSet } from "../agents/rules/ruleset.js";
import { a2aDesk, operatorPeers } from "../bot/desk.js";
import { FleetConfig } from "../contracts/config.js";
import { loadConfig } from "../runtime/config.js";
import { SocError } from "../runtime/errors.js";

const usage = "usage: soc rule replay <events.jsonl> (--draft <rules.yaml> | --proposal <id>) [--json]";

/**
 * `soc rule replay`: a rules file's exceptions and new rules replayed on falcosidekick's JSON lines,
 * on top of the Falco rulesets drafts build on (SOC_FALCO_RULES). The rules file is one's own
 * (`--draft`), or a proposal's as the running fleet keeps it (`--proposal`, asked as `operator`).
 */
export async function ruleReplayCommand(argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  const option = (name: string) => {
    const at = argv.indexOf(`--${name}`);
    const value = at >= 0 ? argv[at + 1] : undefined;
    return value?.startsWith("--") ? undefined : value;
  };
  const [draft, proposal] = [option("draft"), option("proposal")];
  const values = new Set([draft, proposal]);
  const events = argv.find((word) => !word.startsWith("--") && !values.has(word));
  if (!events || (draft === undefined) === (proposal === undefined)) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  try {
    const config = loadConfig(FleetConfig);
    const { rulesFiles } = falcoValidators(config.rules);
    const rulesets = () => RuleSet.fromFiles(rulesFiles);
    const [draftYaml, source] = draft
      ? [readFileSync(draft, "utf8"), draft]
      : [await proposalYaml(config, proposal ?? ""), `proposal ${proposal ?? ""}`];
    // The draft must load over the rulesets as Falco would load it: a broken one is refused here.
    rulesets().load(draftYaml, source);
    const result = replayFile(draftYaml, readFileSync(events, "utf8"), rulesets());
    process.stdout.write(`${json ? JSON.stringify(result) : renderFileReplay(result)}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`${SocError.from(error).message}\n`);
    return 1;
  }
}

/** A proposal's rules-file items, from the running fleet. */
async function proposalYaml(config: FleetConfig, id: string): Promise<string> {
  const desk = a2aDesk(operatorPeers(config));
  const found = (await desk.rules(1000)).find((p) => p.id === id);
  if (!found) throw new SocError("proposal_not_found", `no rule change ${id}: npx soc rules lists them`);
  return found.yaml;
}
