import { describe, expect, it } from "vitest";
import { isConnectionError, whileRestarting } from "./restart.js";

const refused = () => Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });

describe("whileRestarting", () => {
  it("asks again while the connection is refused, and returns the first answer", async () => {
    let calls = 0;
    let retries = 0;
    const answer = await whileRestarting(
      Date.now() + 5_000,
      () => (++calls < 3 ? Promise.reject(refused()) : Promise.resolve("up")),
      { onRetry: () => retries++ },
    );
    expect({ answer, calls, retries }).toEqual({ answer: "up", calls: 3, retries: 2 });
  });

  it("gives up with the last error once the deadline leaves no room for another wait", async () => {
    let calls = 0;
    await expect(
      whileRestarting(Date.now() + 120, () => {
        calls++;
        return Promise.reject(refused());
      }),
    ).rejects.toThrow(/ECONNREFUSED/);
    expect(calls).toBeGreaterThan(1);
    expect(calls).toBeLessThan(5);
  });

  it("never repeats a call that failed for another reason", async () => {
    let calls = 0;
    await expect(
      whileRestarting(Date.now() + 5_000, () => {
        calls++;
        return Promise.reject(new Error("refused by policy"));
      }),
    ).rejects.toThrow(/refused by policy/);
    expect(calls).toBe(1);
  });

  it("recognises a dropped connection through the causes undici wraps it in", () => {
    expect(isConnectionError(new TypeError("fetch failed", { cause: refused() }))).toBe(true);
    expect(isConnectionError(new Error("HTTP 500"))).toBe(false);
  });
});
