import { userInfo } from "node:os";
import { FleetConfig } from "../../contracts/config.js";
import { parse, run } from "../../commands/index.js";
import { loadConfig } from "../../runtime/config.js";
import { SocError } from "../../runtime/errors.js";
import { a2aDesk, operatorPeers } from "../desk.js";
import { renderReply } from "./render.js";

/**
 * `npx soc <command> [--json]`: the terminal front end. Runs the same command code as Mattermost,
 * as the `operator` identity, against the running fleet. Exit 0 on success, 2 on a usage error,
 * 1 when the fleet refused or failed.
 */
export async function main(argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  const print = (text: string) => process.stdout.write(`${text}\n`);
  const fail = (error: SocError, exitCode: number) => {
    if (json) print(JSON.stringify({ ok: false, error: error.toJSON() }));
    else process.stderr.write(`${error.message}\n`);
    return exitCode;
  };
  let invocation;
  try {
    invocation = parse(argv);
  } catch (error) {
    return fail(SocError.from(error), 2);
  }
  try {
    // The fleet is reached, with the operator's certificate, only by commands that ask it something.
    const peers = () => operatorPeers(loadConfig(FleetConfig));
    const reply = await run(invocation, a2aDesk(peers), { name: userInfo().username });
    print(json ? JSON.stringify({ ok: true, ...reply }) : renderReply(reply));
    return 0;
  } catch (error) {
    return fail(SocError.from(error), 1);
  }
}
