import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { skills } from "../../contracts/skills.js";
import { ensureCertificates } from "../../fleet/certs.js";
import { freePorts } from "../../fleet/ports.js";
import { Peers } from "../../runtime/a2a/client.js";
import { DEFAULT_MAX_INPUT_BYTES, serveAgent } from "../../runtime/a2a/server.js";
import { handler } from "../../runtime/a2a/skill.js";
import { clientComponent, type Component } from "../../runtime/component.js";
import { escalatedCase, labelAnalysis } from "../fixtures.js";

/**
 * A request body is refused past 100 kB, unless a skill the agent serves declares a larger input
 * (the rules agent's draft_rule takes a rule's recorded events); only mTLS callers reach either.
 */
describe("the size of a request body an agent takes", () => {
  const dir = mkdtempSync(join(tmpdir(), "soc-limits-"));
  const stops: (() => Promise<void> | void)[] = [];
  let coordinator: Component;
  const urls: Record<string, string> = {};

  beforeAll(async () => {
    ensureCertificates(dir, ["coordinator", "rules", "notify"]);
    const onStop = (stop: () => Promise<void> | void) => stops.push(stop);
    coordinator = clientComponent("coordinator", dir, onStop);
    const [rules = 0, notify = 0] = await freePorts(2);
    await serveAgent(clientComponent("rules", dir, onStop), {
      description: "rules",
      host: "127.0.0.1",
      port: rules,
      skills: [
        handler(skills.draftRule, ({ history }) =>
          Promise.resolve({ proposal: null, note: `${String(history.length)} events read` }),
        ),
      ],
    });
    await serveAgent(clientComponent("notify", dir, onStop), {
      description: "notify",
      host: "127.0.0.1",
      port: notify,
      skills: [handler(skills.escalate, () => Promise.resolve({ ok: true as const }))],
    });
    urls.rules = `https://127.0.0.1:${String(rules)}`;
    urls.notify = `https://127.0.0.1:${String(notify)}`;
  });
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const peers = () => new Peers(coordinator, { urls, timeoutMs: 10_000 });

  it("takes a rule's history of thousands of events in one draft_rule request", async () => {
    const history = Array.from({ length: 5_000 }, (_, i) => ({
      case_id: "C-22222",
      time: "2026-11-24T09:00:00Z",
      fields: {
        "container.image.repository": "ghcr.io/acme/backup",
        "proc.name": "restic",
        "proc.cmdline": `restic backup --tag night-${String(i)} /etc/shadow ${"x".repeat(300)}`,
      },
      decision: "dismissed" as const,
    }));
    expect(JSON.stringify(history).length).toBeGreaterThan(20 * DEFAULT_MAX_INPUT_BYTES);
    const { output } = await peers().call(skills.draftRule, {
      case_id: "C-22222",
      trigger: "dismissed",
      event: { time: "2026-11-24T09:00:00Z", rule: "Read sensitive file untrusted", priority: "Warning" },
      finding: null,
      history,
      confirmed_by: null,
    });
    expect(output.note).toBe("5000 events read");
  });

  it("refuses a body above 100 kB to an agent whose skills declare no more", async () => {
    const huge = { ...escalatedCase, reasons: ["x".repeat(2 * DEFAULT_MAX_INPUT_BYTES)] };
    await expect(
      peers().call(skills.escalate, { case: huge, analysis: labelAnalysis, steps: [] }),
    ).rejects.toThrow();
    await expect(
      peers().call(skills.escalate, { case: escalatedCase, analysis: labelAnalysis, steps: [] }),
    ).resolves.toMatchObject({ output: { ok: true } });
  });
});
