import { describe, expect, it } from "vitest";
import { SocError, causeChain } from "./errors.js";

describe("SocError", () => {
  it("carries a code, a message and is not retryable by default", () => {
    const error = new SocError("usage", "bad arguments");
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("SocError");
    expect(error.code).toBe("usage");
    expect(error.message).toBe("bad arguments");
    expect(error.retryable).toBe(false);
    expect(error.cause).toBeUndefined();
  });

  it("keeps retryable and cause when given", () => {
    const cause = new Error("socket hang up");
    const error = new SocError("unavailable", "coordinator unreachable", { retryable: true, cause });
    expect(error.retryable).toBe(true);
    expect(error.cause).toBe(cause);
  });

  it("serialises only code, message and retryable, never the cause", () => {
    const error = new SocError("unavailable", "try later", {
      retryable: true,
      cause: new Error("secret internal detail"),
    });
    expect(error.toJSON()).toEqual({ code: "unavailable", message: "try later", retryable: true });
    const wire = JSON.stringify(error);
    expect(JSON.parse(wire)).toEqual({ code: "unavailable", message: "try later", retryable: true });
    expect(wire).not.toContain("secret internal detail");
    expect(wire).not.toContain("stack");
  });
});

describe("SocError.from", () => {
  it("returns a SocError as it is, ignoring the code", () => {
    const original = new SocError("usage", "nope", { retryable: true });
    const got = SocError.from(original, "internal");
    expect(got).toBe(original);
    expect(got.code).toBe("usage");
    expect(got.retryable).toBe(true);
  });

  it("wraps a plain Error with its message, code internal and the error as cause", () => {
    const original = new TypeError("x is not a function");
    const got = SocError.from(original);
    expect(got).toBeInstanceOf(SocError);
    expect(got.code).toBe("internal");
    expect(got.message).toBe("x is not a function");
    expect(got.retryable).toBe(false);
    expect(got.cause).toBe(original);
  });

  it("uses the given code when wrapping", () => {
    expect(SocError.from(new Error("timeout"), "agent_timeout").code).toBe("agent_timeout");
  });

  it("wraps non-errors by their string form", () => {
    expect(SocError.from("plain text").message).toBe("plain text");
    expect(SocError.from(42).message).toBe("42");
    expect(SocError.from(undefined).message).toBe("undefined");
    expect(SocError.from(null).cause).toBeNull();
  });
});

describe("causeChain", () => {
  it("lists an error and each of its causes, outermost first", () => {
    const root = new RangeError("port out of range");
    const middle = new Error("listen failed", { cause: root });
    const outer = new SocError("start_failed", "could not start", { cause: middle });
    expect(causeChain(outer)).toEqual([
      "SocError: could not start",
      "Error: listen failed",
      "RangeError: port out of range",
    ]);
  });

  it("renders a non-error cause as JSON and stops there", () => {
    const error = new Error("bad response", { cause: { status: 503, body: "busy" } });
    expect(causeChain(error)).toEqual(["Error: bad response", '{"status":503,"body":"busy"}']);
  });

  it("is empty for null and undefined and one JSON item for a bare value", () => {
    expect(causeChain(undefined)).toEqual([]);
    expect(causeChain(null)).toEqual([]);
    expect(causeChain("boom")).toEqual(['"boom"']);
  });

  it("stops after eight links, even on a cycle", () => {
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    a.cause = b;
    const chain = causeChain(a);
    expect(chain).toHaveLength(8);
    expect(chain.slice(0, 3)).toEqual(["Error: a", "Error: b", "Error: a"]);
  });
});
