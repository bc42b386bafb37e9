import { readFileSync } from "node:fs";
import { falcoValidators } from "../agents/rules/agent.js";
import { renderFileReplay, replayFile } from "../agents/rules/replay-file.js";
import { RuleSet } from "../agents/rules/ruleset.js";
import { FleetConfig } from "../contracts/config.js";
import { loadConfig } from "../runtime/config.js";
import { SocError } from "../runtime/errors.js";

const usage = "usage: soc rule replay <events.jsonl> --draft <rules.yaml> [--json]";

/**
 * `soc rule replay`: a rules file's exceptions and new rules (a proposal's, or one's own) replayed
 * on falcosidekick's JSON lines, on top of the Falco rulesets drafts build on (SOC_FALCO_RULES).
 */
export function ruleReplayCommand(argv: string[]): number {
  const json = argv.includes("--json");
  const at = argv.indexOf("--draft");
  const draft = at >= 0 ? argv[at + 1] : undefined;
  const events = argv.find((word, i) => !word.startsWith("--") && i !== at + 1);
  if (!events || !draft || draft.startsWith("--")) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  try {
    const { rulesFiles } = falcoValidators(loadConfig(FleetConfig).rules);
    const rulesets = () => RuleSet.fromFiles(rulesFiles);
    const draftYaml = readFileSync(draft, "utf8");
    // The draft must load over the rulesets as Falco would load it: a broken one is refused here.
    rulesets().load(draftYaml, draft);
    const result = replayFile(draftYaml, readFileSync(events, "utf8"), rulesets());
    process.stdout.write(`${json ? JSON.stringify(result) : renderFileReplay(result)}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`${SocError.from(error).message}\n`);
    return 1;
  }
}
