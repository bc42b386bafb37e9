import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { skills } from "../../contracts/skills.js";
import { ensureCertificates } from "../../fleet/certs.js";
import { freePorts } from "../../fleet/ports.js";
import { Peers } from "../../runtime/a2a/client.js";
import { serveAgent } from "../../runtime/a2a/server.js";
import { handler } from "../../runtime/a2a/skill.js";
import { clientComponent, type Component } from "../../runtime/component.js";
import { causeChain } from "../../runtime/errors.js";
import { McpPeer } from "../../runtime/mcp/client.js";
import { serveMcp } from "../../runtime/mcp/server.js";

/**
 * A client checks that it reached the identity it meant to call: on one machine every certificate
 * of the fleet's CA names 127.0.0.1, so a valid certificate of another component would otherwise
 * pass for the server's.
 */
describe("a caller reaching a server with a valid certificate of the wrong identity", () => {
  const dir = mkdtempSync(join(tmpdir(), "soc-peers-"));
  const stops: (() => Promise<void> | void)[] = [];
  const served: string[] = [];
  const urls: Record<string, string> = {};
  let operator: Component;
  let reviewer: Component;

  beforeAll(async () => {
    ensureCertificates(dir, ["operator", "coordinator", "detect", "reviewer", "policy-engine"]);
    const onStop = (stop: () => Promise<void> | void) => stops.push(stop);
    operator = clientComponent("operator", dir, onStop);
    reviewer = clientComponent("reviewer", dir, onStop);
    const [real = 0, impostor = 0, policy = 0, fakePolicy = 0] = await freePorts(4);
    // The coordinator's status skill, served once with its own certificate and once with detect's.
    const status = (who: string) =>
      handler(skills.status, () => {
        served.push(who);
        return Promise.resolve({
          counts: {},
          oldest_waiting: null,
          today: { approved: 0, dismissed: 0, dismiss_rate: null, override_rate: null, median_wait_s: null },
          health: {},
          remediation: "dry-run" as const,
        });
      });
    for (const [name, port] of [
      ["coordinator", real],
      ["detect", impostor],
    ] as const) {
      await serveAgent(clientComponent(name, dir, onStop), {
        description: "status",
        host: "127.0.0.1",
        port,
        skills: [status(name)],
      });
    }
    urls.real = `https://127.0.0.1:${real}`;
    urls.impostor = `https://127.0.0.1:${impostor}`;
    // An MCP tool, served by the policy engine's certificate and by detect's.
    const tool = (who: string) => ({
      name: "get_threshold",
      title: "threshold",
      description: "threshold",
      input: z.object({}),
      output: z.object({ who: z.string() }),
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      handle: () => {
        served.push(who);
        return Promise.resolve({ who });
      },
    });
    for (const [name, port] of [
      ["policy-engine", policy],
      ["detect", fakePolicy],
    ] as const) {
      await serveMcp(clientComponent(name, dir, onStop), {
        host: "127.0.0.1",
        port,
        callers: ["reviewer"],
        tools: [tool(name)],
      });
    }
    urls.policy = `https://127.0.0.1:${policy}`;
    urls.fakePolicy = `https://127.0.0.1:${fakePolicy}`;
  });
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("an A2A call goes through to the coordinator's certificate, and never to detect's posing as it", async () => {
    const peers = (url: string) => new Peers(operator, { urls: { coordinator: url }, timeoutMs: 3_000 });
    await expect(peers(urls.real ?? "").call(skills.status, {})).resolves.toMatchObject({ output: {} });
    expect(served).toEqual(["coordinator"]);
    const refused = await peers(urls.impostor ?? "")
      .call(skills.status, {})
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(JSON.stringify(causeChain(refused))).toContain(
      "expected the certificate of coordinator, the server presented detect",
    );
    expect(served).toEqual(["coordinator"]);
  });

  it("an MCP call goes through to the policy engine's certificate, and never to detect's posing as it", async () => {
    const grant = { tools: ["policy-engine/get_threshold"], requireApproval: [] };
    const mcp = (url: string) => new McpPeer(reviewer, "policy-engine", url, 3_000, grant);
    await expect(mcp(urls.policy ?? "").call("get_threshold", {})).resolves.toEqual({ who: "policy-engine" });
    const refused = await mcp(urls.fakePolicy ?? "")
      .call("get_threshold", {})
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(JSON.stringify(causeChain(refused))).toContain(
      "expected the certificate of policy-engine, the server presented detect",
    );
    expect(served).toEqual(["coordinator", "policy-engine"]);
  });
});
