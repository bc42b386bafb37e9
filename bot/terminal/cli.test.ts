import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");

/** `npx soc` on a machine where the fleet has never started: no certificates, nothing to reach. */
function soc(...args: string[]) {
  const home = mkdtempSync(join(tmpdir(), "soc-cli-"));
  return spawnSync(process.execPath, [join(root, "bin", "soc.js"), ...args], {
    encoding: "utf8",
    env: { SOC_HOME: home },
  });
}

describe("npx soc before the fleet has ever started", () => {
  it("lists its commands", () => {
    const help = soc("help");
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: soc <command> \[--json\]\n {2}approve <case>/);
  });

  it("gives a usage error with exit code 2", () => {
    const wrong = soc("approve");
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/usage: soc approve <case>/);
  });

  it("says what is missing, with exit code 1, for a command that asks the fleet", () => {
    const status = soc("status");
    expect(status.status).toBe(1);
    expect(status.stderr).toMatch(/failed to load the certificate of operator from .*certs/);
  });
});
