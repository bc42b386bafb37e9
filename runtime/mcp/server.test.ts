import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureCertificates } from "../../fleet/certs.js";
import { clientComponent } from "../component.js";
import { MCP_PATH, serveMcp } from "./server.js";

const certDir = mkdtempSync(join(tmpdir(), "soc-mcp-http-"));
const stops: (() => unknown)[] = [];
let url = "";
const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
const reviewer = () => clientComponent("reviewer", certDir);

beforeAll(async () => {
  ensureCertificates(certDir, ["policy-engine", "reviewer"]);
  const port = await freePort();
  url = `https://127.0.0.1:${port}${MCP_PATH}`;
  await serveMcp(
    clientComponent("policy-engine", certDir, (stop) => stops.push(stop)),
    {
      host: "127.0.0.1",
      port,
      callers: ["reviewer"],
      tools: [],
    },
  );
});

afterAll(async () => {
  for (const stop of stops) await stop();
});

const post = (body: string, headers: Record<string, string> = {}) =>
  reviewer().fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...headers,
    },
    body,
  });

describe("the MCP HTTP edges", () => {
  it("answers what is not a JSON-RPC POST with the Streamable HTTP statuses", async () => {
    expect((await reviewer().fetch(url)).status).toBe(405);
    expect((await post("{}", { "content-type": "text/plain" })).status).toBe(415);
    expect((await post("{not json")).status).toBe(400);
    expect((await post('{"hello":1}')).status).toBe(400);
    const ping = '{"jsonrpc":"2.0","id":1,"method":"ping"}';
    expect((await post(ping, { "mcp-session-id": "gone" })).status).toBe(404);
    expect((await post(ping, { "mcp-protocol-version": "1999-01-01" })).status).toBe(400);
  });

  it("answers a stateless request with JSON and a notification with 202", async () => {
    const answer = await post('{"jsonrpc":"2.0","id":7,"method":"ping"}');
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ jsonrpc: "2.0", id: 7, result: {} });
    const note = await post('{"jsonrpc":"2.0","method":"notifications/initialized"}');
    expect(note.status).toBe(202);
  });
});
