import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FleetConfig } from "../contracts/config.js";
import { skills } from "../contracts/skills.js";
import { LocalFleet } from "../fleet/local.js";
import { a2aInteropRequirements } from "../fleet/tools/install.js";
import { venvPython } from "../fleet/tools/python.js";
import { loadConfig } from "../runtime/config.js";

interface Seen {
  name: string;
  skills: string[];
  securitySchemes: Record<string, unknown>;
  securityRequirements: unknown[];
  responses: { message?: { role: string; parts: { data?: unknown }[] } }[];
}

/**
 * The agents as a client of another SDK sees them: the official Python a2a-sdk (the one kagent's
 * agents use) reads a card over mTLS as A2A 1.0 JSON and calls a skill through it.
 */
describe("the agents, driven by the Python a2a-sdk over mutual TLS", () => {
  let fleet: LocalFleet;
  let python = "";
  beforeAll(async () => {
    python = venvPython(a2aInteropRequirements);
    fleet = await LocalFleet.start();
  });
  afterAll(async () => {
    await fleet.stop();
  });

  const call = async (identity: string, skill: string, input: unknown): Promise<Seen> => {
    const config = loadConfig(FleetConfig, fleet.env);
    const { stdout } = await promisify(execFile)(
      python,
      [
        join(import.meta.dirname, "interop", "a2a_client.py"),
        config.url(skills.status.agent),
        config.certDir,
        identity,
        skill,
        JSON.stringify(input),
      ],
      { timeout: 60_000 },
    );
    return JSON.parse(stdout) as Seen;
  };
  const replyOf = (seen: Seen) => seen.responses[0]?.message?.parts[0]?.data;

  it("reads the coordinator's card, its mTLS scheme and requirement, and gets a skill's answer", async () => {
    const seen = await call("operator", skills.status.id, {});
    expect(seen.name).toBe("coordinator");
    expect(seen.skills).toContain(skills.status.id);
    expect(seen.securitySchemes).toEqual({
      mtls: { mtlsSecurityScheme: { description: "client certificate signed by the fleet CA" } },
    });
    expect(seen.securityRequirements).toEqual([{ schemes: { mtls: {} } }]);
    expect(seen.responses).toHaveLength(1);
    expect(seen.responses[0]?.message?.role).toBe("ROLE_AGENT");
    const reply = replyOf(seen) as { ok: boolean; output: unknown };
    expect(reply.ok).toBe(true);
    expect(skills.status.output.safeParse(reply.output).error?.issues ?? []).toEqual([]);
  });

  it("is refused a skill its identity may not call, with the reason", async () => {
    const seen = await call("operator", skills.openCase.id, {});
    expect(replyOf(seen)).toMatchObject({ ok: false, error: { code: "caller_refused" } });
  });
});
