import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { MattermostApi, unreachable } from "./api.js";

describe("MattermostApi", () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it("gives up a call the server never answers, as Mattermost unreachable (tried again later)", async () => {
    const asked: string[] = [];
    // Takes the request and never answers, as a hung server or a dropped route does.
    server = createServer((request) => void asked.push(`${request.method ?? ""} ${request.url ?? ""}`));
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const api = new MattermostApi(`http://127.0.0.1:${String(port)}`, "token", 200);
    const failure = await api.createPost({ channel_id: "c".repeat(26), message: "escalated" }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(asked).toEqual(["POST /api/v4/posts"]);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).name).toBe("TimeoutError");
    expect(unreachable(failure)).toBe(true);
  });
});
