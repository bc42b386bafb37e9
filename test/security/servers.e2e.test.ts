import { readFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Case } from "../../contracts/case.js";
import { FleetConfig } from "../../contracts/config.js";
import { mcpServerNames, skills, type McpServerName } from "../../contracts/skills.js";
import { alerts } from "../../fleet/alerts.js";
import { components } from "../../fleet/components.js";
import { LocalFleet } from "../../fleet/local.js";
import { loadConfig } from "../../runtime/config.js";

type TraceReply = { ok: true; case: Case };

/**
 * Every server of the running fleet, attacked through its own door: a valid certificate of the
 * fleet's CA whose identity it does not serve (Falco's on every agent and MCP server, every
 * component's on the Falco ingest) is refused (403) and counted by caller, and nothing reaches a
 * skill; an oversized and a deeply nested body from an allowed caller are refused with a status,
 * and the server goes on serving. The fleet has approvers, none of them the terminal's: the
 * terminal's certificate, which anyone at it may use, decides nothing under any name.
 */
describe("every server of the running fleet, attacked", () => {
  let fleet: LocalFleet;
  let config: FleetConfig;
  beforeAll(async () => {
    fleet = await LocalFleet.start({
      env: { SOC_PREFILTER: "priority", SOC_APPROVERS: "alice:incident-commander,bob:responder" },
    });
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
  /** An identity an agent's skills serve: the first caller of its first skill. */
  const callerOf = (agent: string) =>
    Object.values(skills).find((skill) => skill.agent === agent)?.callers[0] ?? "operator";
  /** The value of `metric`'s series with `label` in `component`'s /metrics. */
  const counted = async (component: string, metric: string, label: string) => {
    const text = await (await fetch(`${config.opsUrl(component as McpServerName)}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith(`${metric}{`) && l.includes(label));
    return Number(line?.split(" ").pop() ?? 0);
  };
  const refusedCount = (component: string, caller: string) =>
    counted(component, "soc_calls_refused_total", `caller="${caller}"`);

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

  it("answers an oversized and a deeply nested body from an allowed caller with a refusal, on every endpoint, and goes on serving", async () => {
    // Each endpoint with a caller it serves: the ingest as Falco, each agent and MCP server as one of
    // its callers (contracts/skills.ts, the servers' definitions).
    const endpoints: [string, string, string][] = [
      ["prefilter ingest", config.ingestUrl, "falco"],
      ...components.map(({ name }): [string, string, string] => {
        const mcp = (mcpServerNames as readonly string[]).includes(name);
        const caller = mcp ? (name === "policy-engine" ? "reviewer" : "remediate") : callerOf(name);
        return [name, `${config.url(name)}${mcp ? "/mcp" : "/a2a/jsonrpc"}`, caller];
      }),
    ];
    // Past every limit: 2 MB, or past the largest input an agent's skills declare (draft_rule's).
    const oversized = (name: string) =>
      JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "x",
        params: {
          pad: "x".repeat(
            Math.max(
              2 << 20,
              ...Object.values(skills).map((s) => (s.agent === name ? (s.maxInputBytes ?? 0) + 1024 : 0)),
            ),
          ),
        },
      });
    // 40 kB of brackets: under every body limit, 20 000 levels deep.
    const nested = `${"[".repeat(20_000)}${"]".repeat(20_000)}`;
    for (const [what, url, caller] of endpoints) {
      expect(await send(caller, url, "POST", oversized(what)), `${what}: oversized`).toBe(413);
      const deep = await send(caller, url, "POST", nested);
      expect(deep === 400 || deep === 200, `${what}: nested answered ${deep}`).toBe(true);
    }
    for (const { name } of components) {
      expect((await fetch(`${config.opsUrl(name)}/healthz`)).status, name).toBe(200);
      // Each oversized body counted where it was refused.
      expect(await counted(name, "soc_bad_requests_total", 'reason="too_large"'), name).toBe(
        name === "prefilter" ? 2 : 1,
      );
      // The nested array, JSON but no JSON-RPC message, counted on every A2A and MCP server.
      expect(await counted(name, "soc_bad_requests_total", 'reason="not_jsonrpc"'), name).toBe(1);
    }
    expect(await send("falco", config.ingestUrl, "POST", JSON.stringify(alerts.autoReject()))).toBe(200);
  });

  it("refuses every component's certificate and the operator's on the Falco ingest, and counts each", async () => {
    const event = JSON.stringify(alerts.containerEscape());
    const callers = [...components.map((c) => c.name), "operator"];
    for (const caller of callers)
      expect(await send(caller, config.ingestUrl, "POST", event), caller).toBe(403);
    for (const caller of callers) expect(await refusedCount("prefilter", caller), caller).toBe(1);
    // Falco's own certificate is the one that gets through, and only its event opened a case.
    const cases = async () => ((await fleet.soc(["cases"])).json as { cases: unknown[] }).cases.length;
    const before = await cases();
    expect(await send("falco", config.ingestUrl, "POST", event)).toBe(200);
    expect(await cases()).toBe(before + 1);
  });

  it("may look at a case but not approve, dismiss or undo it, whoever it says it is", async () => {
    const { body } = await fleet.post(alerts.escalate());
    const id = body.case_id as string;
    await fleet.waitFor(
      async () =>
        ((await fleet.soc(["trace", id])).json as TraceReply | undefined)?.case.status === "awaiting_human",
      30_000,
      `case ${id} to await a human`,
    );
    for (const args of [
      ["approve", id],
      ["dismiss", id, "not", "ours"],
      ["undo", id],
    ]) {
      const refused = await fleet.soc(args);
      expect(refused.code, args.join(" ")).toBe(1);
      expect(JSON.stringify(refused.json), args.join(" ")).toContain(
        "SOC_OPERATOR_APPROVER, which is not set",
      );
    }
    // The desk as alice: the name a request gives is not who the certificate is.
    await expect(fleet.desk().decide(id, "approve", "alice", null)).rejects.toThrow("SOC_OPERATOR_APPROVER");
    const after = (await fleet.soc(["trace", id])).json as TraceReply;
    expect(after.case).toMatchObject({ status: "awaiting_human", decision: null });
    const log = readFileSync(join(fleet.home, "logs", "coordinator.log"), "utf8");
    expect(log.split("\n").filter((line) => line.includes('"decision refused"'))).toHaveLength(4);
  });
});
