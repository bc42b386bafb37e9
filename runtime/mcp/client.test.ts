import { describe, expect, it } from "vitest";
import { clientComponentForTests } from "../../test/fakes.js";
import { McpPeer } from "./client.js";

const component = clientComponentForTests("reviewer");

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
