import { describe, expect, it } from "vitest";
import { actionDigest, sameSecret, Signer } from "./signing.js";

const secret = "s".repeat(32);
const grant = { case_id: "C-7K2F9", action: "approve", digest: "d1", expires: 2_000 };

describe("Signer", () => {
  const signer = new Signer(secret);

  it("verifies what it signed until it expires", () => {
    const signed = signer.sign(grant);
    expect(signer.verify(signed, 1_999)).toEqual({ ok: true, grant });
    expect(signer.verify(signed, 2_000)).toEqual({ ok: false, reason: "expired" });
  });

  it("refuses a grant with any field changed, or signed with another secret", () => {
    const signed = signer.sign(grant);
    for (const changed of [
      { ...signed, case_id: "C-22222" },
      { ...signed, action: "dismiss" },
      { ...signed, digest: "d2" },
      { ...signed, expires: 9_999 },
      { ...signed, user: "u".repeat(26) },
      { ...signer.sign({ ...grant, user: "a".repeat(26) }), user: "b".repeat(26) },
      new Signer("t".repeat(32)).sign(grant),
    ]) {
      expect(signer.verify(changed, 0)).toEqual({ ok: false, reason: "bad signature" });
    }
  });

  it("binds a dialog's grant to the user it names, and takes it back as signed", () => {
    const dialog = { ...grant, user: "a".repeat(26) };
    expect(signer.verify(signer.sign(dialog), 0)).toEqual({ ok: true, grant: dialog });
    const unbound: Partial<ReturnType<Signer["sign"]>> = signer.sign(dialog);
    delete unbound.user;
    expect(signer.verify(unbound, 0)).toEqual({ ok: false, reason: "bad signature" });
  });

  it("refuses anything that is not a signed grant", () => {
    for (const value of [null, "x", {}, grant, { ...grant, sig: 1 }]) {
      expect(signer.verify(value, 0)).toEqual({ ok: false, reason: "no signed context" });
    }
  });
});

describe("actionDigest", () => {
  it("does not depend on key order, and changes with any value", () => {
    const a = { type: "isolate_pod", target: { namespace: "shop", name: "web-1" } };
    expect(actionDigest(a)).toBe(
      actionDigest({ target: { name: "web-1", namespace: "shop" }, type: "isolate_pod" }),
    );
    expect(actionDigest(a)).not.toBe(actionDigest({ ...a, type: "terminate_pod" }));
    expect(actionDigest(null)).not.toBe(actionDigest(a));
  });
});

describe("sameSecret", () => {
  it("matches only the same non-empty secret", () => {
    expect(sameSecret("token-1", "token-1")).toBe(true);
    expect(sameSecret("token-2", "token-1")).toBe(false);
    expect(sameSecret("", "")).toBe(false);
  });
});
