import type { AgentCard } from "@a2a-js/sdk";
import { describe, expect, it } from "vitest";
import { reachedAt } from "./client.js";

const card = (url: string) =>
  ({
    name: "coordinator",
    supportedInterfaces: [{ url, protocolBinding: "JSONRPC", protocolVersion: "1.0", tenant: "" }],
  }) as unknown as AgentCard;

describe("reachedAt", () => {
  it("calls an agent where its card was read, not at the address it listens on", () => {
    // In a pod the agent listens on 0.0.0.0; the caller reached it by its Service name.
    const inPod = reachedAt(card("https://0.0.0.0:2803/a2a/jsonrpc"), "https://soc-coordinator:2803");
    expect(inPod.supportedInterfaces.map((i) => i.url)).toEqual(["https://soc-coordinator:2803/a2a/jsonrpc"]);
    // Through a port-forward to another local port.
    const forwarded = reachedAt(card("https://0.0.0.0:2803/a2a/jsonrpc"), "https://127.0.0.1:12803");
    expect(forwarded.supportedInterfaces[0]?.url).toBe("https://127.0.0.1:12803/a2a/jsonrpc");
    expect(forwarded.name).toBe("coordinator");
  });
});
