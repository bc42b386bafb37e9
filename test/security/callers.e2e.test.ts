import { readFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FleetConfig } from "../../contracts/config.js";
import { mcpServerNames, type McpServerName } from "../../contracts/skills.js";
import { alerts } from "../../fleet/alerts.js";
import { components } from "../../fleet/components.js";
import { LocalFleet } from "../../fleet/local.js";
import { loadConfig } from "../../runtime/config.js";

/**
 * Every server of the running fleet, called with a valid certificate of the fleet's CA whose
 * identity it does not serve: Falco's on every agent and MCP server, every component's on the
 * Falco ingest. Each refuses (403), counts the refusal by caller, and nothing reaches a skill.
 */
describe("a caller with a valid certificate of the wrong identity, on every server of the fleet", () => {
  let fleet: LocalFleet;
  let config: FleetConfig;
  beforeAll(async () => {
    fleet = await LocalFleet.start({ env: { SOC_PREFILTER: "priority" } });
    config = loadConfig(FleetConfig, fleet.env);
  });
  afterAll(async () => {
    await fleet.stop();
  });

  /** One HTTPS request as `identity`: the status, or 0 when TLS refused the connection. */
  const send = (identity: string, url: string, method: string, body?: string) =>
    new Promise<number>((resolve) => {
      const dir = config.certDir;
      const req = request(
        url,
        {
          method,
          ca: readFileSync(join(dir, "ca.crt")),
          cert: readFileSync(join(dir, `${identity}.crt`)),
          key: readFileSync(join(dir, `${identity}.key`)),
          headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", () => resolve(0));
      req.end(body);
    });
  const refusedCount = async (component: string, caller: string) => {
    const text = await (await fetch(`${config.opsUrl(component as McpServerName)}/metrics`)).text();
    const line = text
      .split("\n")
      .find((l) => l.startsWith("soc_calls_refused_total{") && l.includes(`caller="${caller}"`));
    return Number(line?.split(" ").pop() ?? 0);
  };

  it("refuses Falco's certificate on every agent's card and skills and on every MCP server, and counts it", async () => {
    const initialize = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "falco", version: "0" },
      },
    });
    for (const { name } of components) {
      const base = config.url(name);
      const statuses = (mcpServerNames as readonly string[]).includes(name)
        ? [await send("falco", `${base}/mcp`, "POST", initialize)]
        : [
            await send("falco", `${base}/.well-known/agent-card.json`, "GET"),
            await send("falco", `${base}/a2a/jsonrpc`, "POST", "{}"),
          ];
      expect(statuses, name).toEqual(statuses.map(() => 403));
      expect(await refusedCount(name, "falco"), name).toBe(statuses.length);
    }
  });

  it("refuses every component's certificate and the operator's on the Falco ingest, and counts each", async () => {
    const event = JSON.stringify(alerts.containerEscape());
    const callers = [...components.map((c) => c.name), "operator"];
    for (const caller of callers)
      expect(await send(caller, config.ingestUrl, "POST", event), caller).toBe(403);
    for (const caller of callers) expect(await refusedCount("prefilter", caller), caller).toBe(1);
    // Falco's own certificate is the one that gets through.
    expect(await send("falco", config.ingestUrl, "POST", event)).toBe(200);
    const listed = await fleet.soc(["cases"]);
    expect((listed.json as { cases: unknown[] }).cases).toHaveLength(1);
  });
});
