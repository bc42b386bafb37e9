import { describe, expect, it } from "vitest";
import { inert, MAX_POST_LENGTH, splitMessage } from "./escape.js";

describe("inert", () => {
  it("puts a value in a code span whose fence is longer than any backtick run inside", () => {
    expect(inert("@channel")).toBe("`@channel`");
    expect(inert("a `b` c")).toBe("``a `b` c``");
    expect(inert("x ``` y")).toBe("````x ``` y````");
  });

  it("pads a span that starts or ends with a backtick, as CommonMark needs", () => {
    expect(inert("`tick`")).toBe("`` `tick` ``");
  });

  it("keeps everything on one line and drops invisible and bidi characters", () => {
    expect(inert("line\n@channel\r\nmore\u2028end")).toBe("`line @channel more end`");
    expect(inert("@\u200bchannel \u202eevil\ufeff")).toBe("`@channel evil`");
  });

  it("truncates by code point without splitting a surrogate pair", () => {
    const value = `${"a".repeat(9)}😀😀`;
    expect(inert(value, 10)).toBe(`\`${"a".repeat(9)}…\``);
    expect(inert("😀".repeat(20), 5)).toBe(`\`${"😀".repeat(4)}…\``);
  });

  it("shows a missing value as a dash", () => {
    expect(inert(null)).toBe("`-`");
    expect(inert("")).toBe("`-`");
  });
});

describe("splitMessage", () => {
  it("keeps a short text whole", () => {
    expect(splitMessage("one\ntwo")).toEqual(["one\ntwo"]);
  });

  it("splits at line boundaries under the limit and loses nothing", () => {
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i} ${"x".repeat(30)}`);
    const parts = splitMessage(lines.join("\n"), 200);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(200);
    expect(parts.join("\n")).toBe(lines.join("\n"));
  });

  it("cuts a line longer than the limit", () => {
    const parts = splitMessage("y".repeat(MAX_POST_LENGTH * 2 + 5));
    expect(parts.map((p) => p.length)).toEqual([MAX_POST_LENGTH, MAX_POST_LENGTH, 5]);
  });
});
