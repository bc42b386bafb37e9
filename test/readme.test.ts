import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import type { Case } from "../contracts/case.js";
import { alerts } from "../fleet/alerts.js";
import { LocalFleet } from "../fleet/local.js";

const root = join(import.meta.dirname, "..");
const readme = readFileSync(join(root, "README.md"), "utf8");

describe("the README's two commands", () => {
  let fleet: LocalFleet | undefined;
  afterAll(async () => {
    await fleet?.stop();
  });

  it("names exactly one run command and one test command, and CI runs the test command", () => {
    const blocks = [...readme.matchAll(/## (Run|Test) it\n\n```sh\n(.+)\n```/g)].map((m) => m[2]);
    expect(blocks).toEqual(["npm ci && npm start", "npm ci && npm test"]);
    // npm ci, or the node_modules an earlier npm ci made for the same package.json and lockfile.
    expect(readFileSync(join(root, ".ci", "run"), "utf8")).toMatch(/^\s*npm ci .*$[\s\S]*^npm test\b/m);
  });

  it("`npm start` runs the fleet with the bundled sample; an event at the printed ingest URL shows up in `npx soc cases --json`", async () => {
    // As a person runs it on one machine: the ingest on plain HTTP on loopback, as README.md says.
    fleet = await LocalFleet.start({ command: ["npm", "start"], env: { SOC_INGEST_TLS: "plain" } });
    const ingest = /fleet ready: Falco ingest (\S+)/.exec(fleet.output.join("\n"))?.[1];
    expect(ingest).toBe(fleet.ingestUrl);
    expect(new URL(ingest ?? "").protocol).toBe(new URL(/url: (\S+)\}/.exec(readme)?.[1] ?? "").protocol);
    expect(fleet.output.join("\n")).toContain("plain HTTP on loopback");
    await fleet.waitFor(
      () => fleet?.output.some((l) => /^sample replayed: \d+ events, \d+ forwarded/.test(l)),
      60_000,
      "the sample replay",
    );
    await fleet.waitFor(
      () => fleet?.output.some((l) => /^ESCALATED C-[2-9A-HJ-NP-Z]{5} {2}trace [0-9a-f]{32}$/.test(l)),
      30_000,
      "an escalation of the sample",
    );

    const { body } = await fleet.post(alerts.containerEscape());
    const id = body.case_id as string;
    const f = fleet;
    const listed = await f.waitFor(
      async () => {
        const { stdout } = await promisify(execFile)(
          "npx",
          ["soc", "cases", "--state", "escalated", "--json"],
          { cwd: root, env: f.env },
        );
        const reply = JSON.parse(stdout) as { cases: Case[] };
        return reply.cases.find((c) => c.id === id);
      },
      30_000,
      `case ${id} in npx soc cases`,
    );
    expect(listed).toMatchObject({ status: "awaiting_human", outcome: "escalate", namespace: "identity" });
  });
});
