import { describe, expect, it } from "vitest";
import { clientComponentForTests } from "../../test/fakes.js";
import { McpPeer } from "./client.js";

const component = clientComponentForTests("reviewer");

const grant = (tools: string[], requireApproval: string[] = []) => ({ tools, requireApproval });

describe("McpPeer", () => {
  it("refuses a tool its AgentConfig does not list, before any call goes out", async () => {
    const peer = new McpPeer(
      component,
      "cluster-actions",
      "https://127.0.0.1:1",
      1000,
      grant(["policy-engine/evaluate_action"]),
    );
    await expect(peer.call("apply_action", {})).rejects.toMatchObject({ code: "tool_not_allowed" });
  });

  it("lets a listed tool through to the transport", async () => {
    const peer = new McpPeer(
      component,
      "policy-engine",
      "https://127.0.0.1:1",
      1000,
      grant(["policy-engine/evaluate_action"]),
    );
    await expect(peer.call("evaluate_action", {})).rejects.toMatchObject({ code: "mcp_unavailable" });
  });

  it("calls a tool that needs approval only on a human's approval, and reads the grant at each call", async () => {
    const live = grant(["cluster-actions/terminate_pod"]);
    const peer = new McpPeer(component, "cluster-actions", "https://127.0.0.1:1", 1000, live);
    await expect(peer.call("terminate_pod", {})).rejects.toMatchObject({ code: "mcp_unavailable" });
    live.requireApproval = ["cluster-actions/terminate_pod"];
    await expect(peer.call("terminate_pod", {})).rejects.toMatchObject({ code: "approval_required" });
    await expect(peer.call("terminate_pod", {}, { approvedBy: "alice" })).rejects.toMatchObject({
      code: "mcp_unavailable",
    });
  });
});
