import { describe, expect, it } from "vitest";
import { CaseId } from "../../contracts/case.js";
import { newCaseId } from "./case-id.js";

const ids = Array.from({ length: 5_000 }, () => newCaseId());

describe("newCaseId", () => {
  it("matches the CaseId contract", () => {
    for (const id of ids) expect(CaseId.safeParse(id).success, id).toBe(true);
  });

  it("is C- and five upper-case letters or digits", () => {
    for (const id of ids) expect(id).toMatch(/^C-[A-Z2-9]{5}$/);
  });

  it("never uses the ambiguous 0, O, 1 or I", () => {
    for (const id of ids) expect(id.slice(2)).not.toMatch(/[01OI]/);
  });

  it("uses every one of the 32 unambiguous characters", () => {
    const seen = new Set(ids.flatMap((id) => Array.from(id.slice(2))));
    expect([...seen].sort().join("")).toBe("23456789ABCDEFGHJKLMNPQRSTUVWXYZ");
  });

  it("rarely repeats", () => {
    expect(new Set(ids).size).toBeGreaterThan(ids.length * 0.99);
  });
});

describe("CaseId", () => {
  it("rejects lower case, ambiguous characters and wrong lengths", () => {
    for (const bad of [
      "c-7k2f9",
      "C-7K2F",
      "C-7K2F9A",
      "C-0K2F9",
      "C-OK2F9",
      "C-1K2F9",
      "C-IK2F9",
      "X-7K2F9",
    ]) {
      expect(CaseId.safeParse(bad).success, bad).toBe(false);
    }
  });
});
