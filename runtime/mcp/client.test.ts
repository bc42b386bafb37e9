import { describe, expect, it } from "vitest";
import { createLogger } from "../log.js";
import { createMetrics } from "../metrics.js";
import type { Component } from "../component.js";
import { McpPeer } from "./client.js";

const component: Component = {
  name: "reviewer",
  log: createLogger("reviewer", "silent"),
  metrics: createMetrics("reviewer"),
  identity: { name: "reviewer", ca: Buffer.from(""), cert: Buffer.from(""), key: Buffer.from("") },
  fetch: () => Promise.reject(new Error("no network in this test")),
  onStop: () => undefined,
};

describe("McpPeer", () => {
  it("refuses a tool its AgentConfig does not list, before any call goes out", async () => {
    const peer = new McpPeer(component, "cluster-actions", "https://127.0.0.1:1", 1000, [
      "policy-engine/evaluate_action",
    ]);
    await expect(peer.call("apply_action", {})).rejects.toMatchObject({ code: "tool_not_allowed" });
  });

  it("lets a listed tool through to the transport", async () => {
    const peer = new McpPeer(component, "policy-engine", "https://127.0.0.1:1", 1000, [
      "policy-engine/evaluate_action",
    ]);
    await expect(peer.call("evaluate_action", {})).rejects.toMatchObject({ code: "mcp_unavailable" });
  });
});
