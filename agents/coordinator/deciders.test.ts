import { describe, expect, it } from "vitest";
import { decider } from "./deciders.js";

const approvers = { alice: ["incident-commander"], bob: ["responder"] };

describe("who a decision is made by", () => {
  it("is the configured approver for the terminal's certificate, whatever name it sends", () => {
    const bob = { id: "bob", roles: ["responder"] };
    expect(decider({ approvers, operatorApprover: "bob" }, "operator", "root")).toEqual(bob);
    expect(decider({ approvers, operatorApprover: "bob" }, "operator", "alice")).toEqual(bob);
  });

  it("refuses the terminal when approvers are configured and none is its own", () => {
    expect(() => decider({ approvers, operatorApprover: null }, "operator", "alice")).toThrow(
      "SOC_OPERATOR_APPROVER, which is not set",
    );
  });

  it("is `operator`, with every shipped role, on a machine with no approvers configured", () => {
    expect(decider({ approvers: {}, operatorApprover: null }, "operator", "root")).toEqual({
      id: "operator",
      roles: ["incident-commander", "platform-oncall"],
    });
  });

  it("is the approver the bot names, and never someone who is not one", () => {
    expect(decider({ approvers, operatorApprover: null }, "notify", "alice")).toEqual({
      id: "alice",
      roles: ["incident-commander"],
    });
    expect(() => decider({ approvers, operatorApprover: null }, "notify", "mallory")).toThrow(
      "mallory may not decide cases",
    );
    expect(() => decider({ approvers: {}, operatorApprover: null }, "notify", "alice")).toThrow(
      "alice may not decide cases",
    );
  });
});
