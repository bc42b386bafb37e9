import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ensureCertificates } from "../../fleet/certs.js";
import { clientComponent } from "../component.js";
import { McpPeer } from "./client.js";
import { serveMcp, tool } from "./server.js";

const certDir = mkdtempSync(join(tmpdir(), "soc-mcp-certs-"));
ensureCertificates(certDir, ["policy-engine", "reviewer", "detect"]);

const component = (name: string, stops: (() => unknown)[]) =>
  clientComponent(name, certDir, (stop) => stops.push(stop));

let calls = 0;
const echo = tool({
  name: "echo",
  title: "Echo",
  description: "Answers what it was given and how many calls the server has seen.",
  input: z.object({ word: z.string() }),
  output: z.object({ word: z.string(), calls: z.number() }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  handle: ({ word }) => Promise.resolve({ word, calls: ++calls }),
});

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });

describe("MCP sessions over mTLS", () => {
  const serverStops: (() => unknown)[] = [];
  afterAll(async () => {
    for (const stop of serverStops) await stop();
  });

  it("keeps one session per client and starts a new one when the server restarts", async () => {
    const port = await freePort();
    const start = () =>
      serveMcp(component("policy-engine", serverStops), {
        host: "127.0.0.1",
        port,
        callers: ["reviewer"],
        tools: [echo],
      });
    await start();
    const peer = new McpPeer(
      component("reviewer", []),
      "policy-engine",
      `https://127.0.0.1:${String(port)}`,
      5_000,
      { tools: ["policy-engine/echo"], requireApproval: [] },
    );
    expect(await peer.call("echo", { word: "one" })).toEqual({ word: "one", calls: 1 });
    expect(await peer.call("echo", { word: "two" })).toEqual({ word: "two", calls: 2 });

    for (const stop of serverStops.splice(0)) await stop();
    await start();
    // The old session id means nothing to the new server: the peer opens a new session and carries on.
    expect(await peer.call("echo", { word: "three" })).toEqual({ word: "three", calls: 3 });
  });

  it("serves each caller only the tools named for it: the others are neither listed nor callable", async () => {
    const port = await freePort();
    const secret = tool({ ...echo, name: "secret", callers: ["detect"] });
    await serveMcp(component("policy-engine", serverStops), {
      host: "127.0.0.1",
      port,
      callers: ["reviewer", "detect"],
      tools: [echo, secret],
    });
    const url = `https://127.0.0.1:${String(port)}`;
    const tools = { tools: ["policy-engine/echo", "policy-engine/secret"], requireApproval: [] };
    const reviewer = new McpPeer(component("reviewer", []), "policy-engine", url, 5_000, tools);
    const detect = new McpPeer(component("detect", []), "policy-engine", url, 5_000, tools);
    await expect(reviewer.call("secret", { word: "x" })).rejects.toThrow(/secret/);
    expect(await reviewer.call("echo", { word: "y" })).toMatchObject({ word: "y" });
    expect(await detect.call("secret", { word: "z" })).toMatchObject({ word: "z" });
  });
});
