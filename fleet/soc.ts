import { main as caseCommands } from "../bot/terminal/cli.js";
import { policyCommand } from "./policy-diff.js";
import { ruleReplayCommand } from "./rule-replay.js";
import { evalCommand } from "./evaluation/analyst.js";
import { shippedForwarding } from "./evaluation/policy-settings.js";
import { evaluate, renderEvaluation } from "./evaluation/prefilter.js";

const evalUsage =
  "usage: soc prefilter eval <events.jsonl> --labels <labels.jsonl> [--train-hours H] [--budget B | --threshold T] [--json]";

/**
 * The `soc` command. Case commands go to the running fleet (the same command code every front end
 * runs); `soc prefilter eval`, `soc policy diff` and `soc rule replay` are offline analysis of a
 * user's own data, `soc eval` of the analyst's language model.
 */
export async function main(argv: string[]): Promise<number> {
  if (argv[0] === "policy") return policyCommand(argv.slice(1));
  if (argv[0] === "eval") return evalCommand(argv.slice(1));
  if (argv[0] === "rule" && argv[1] === "replay") return ruleReplayCommand(argv.slice(2));
  if (argv[0] !== "prefilter") return caseCommands(argv);
  const [, verb, events, ...rest] = argv;
  const option = (name: string) => {
    const i = rest.indexOf(`--${name}`);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  const labels = option("labels");
  const trainHours = option("train-hours");
  // The shipped policy's budget and floor, unless told a budget or a threshold to try.
  const [budget, threshold] = [option("budget"), option("threshold")];
  const forwarding = shippedForwarding();
  if (budget !== undefined) Object.assign(forwarding, { budget: Number(budget), threshold: null });
  if (threshold !== undefined)
    Object.assign(forwarding, { threshold: Number(threshold), budget: null, source: "threshold" });
  if (
    verb !== "eval" ||
    !events ||
    !labels ||
    (trainHours !== undefined && !(Number(trainHours) > 0)) ||
    (budget !== undefined && !(Number(budget) > 0 && Number(budget) <= 1)) ||
    (threshold !== undefined && !(Number(threshold) >= 0 && Number(threshold) <= 1)) ||
    (budget !== undefined && threshold !== undefined)
  ) {
    process.stderr.write(`${evalUsage}\n`);
    return 2;
  }
  const result = evaluate(events, labels, {
    forwarding,
    ...(trainHours === undefined ? {} : { trainHours: Number(trainHours) }),
  });
  process.stdout.write(`${rest.includes("--json") ? JSON.stringify(result) : renderEvaluation(result)}\n`);
  return 0;
}
