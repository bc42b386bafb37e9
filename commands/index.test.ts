import { describe, expect, it } from "vitest";
import type { Evidence, Questions } from "../contracts/analysis.js";
import type { Case, CaseStatus, DecisionAction } from "../contracts/case.js";
import type { Step } from "../contracts/step.js";
import { SocError } from "../runtime/errors.js";
import { commands, parse, run, splitFlags, usage, type CaseDesk, type Reply } from "./index.js";
import { escalatedCase, openProposal } from "../test/fixtures.js";
import { emptyContext } from "../contracts/cluster.js";

function usageError(argv: string[]): SocError {
  try {
    parse(argv);
  } catch (error) {
    if (error instanceof SocError) return error;
    throw error;
  }
  throw new Error(`expected parse(${JSON.stringify(argv)}) to throw`);
}

function argsOf(argv: string[]): unknown {
  return parse(argv).args;
}

const kase = escalatedCase;

const evidence: Evidence = {
  same_pod: [],
  same_image: [],
  context: emptyContext("no_cluster", "no cluster is configured: the workload was not checked"),
  distinct_rules: ["Read sensitive file untrusted"],
  forwarded: null,
  summary:
    "0 recent event(s) on the same pod, 0 on other pods of the same image, 1 distinct rule(s) on the pod",
};

const questions: Questions = {
  model: "m.gguf",
  questions: [{ question: "Who opened the shell?", evidence: "kubectl logs and the audit log for exec" }],
  fallback: null,
};

const step: Step = {
  case_id: "C-7K2F9",
  seq: 1,
  trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
  agent: "detect",
  skill: "gather_evidence",
  summary: "1 distinct rule",
  input: null,
  output: null,
  mcp_calls: [],
  tokens: { in: 0, out: 0, cost: 0 },
  duration_ms: 3,
  error: null,
  at: "2026-11-24T09:00:00.500Z",
};

type Call =
  | { method: "decide"; caseId: string; action: DecisionAction; by: string; reason: string | null }
  | { method: "cases"; status: CaseStatus | null; limit: number }
  | { method: "trace"; id: string }
  | { method: "status" }
  | { method: "undo"; caseId: string; by: string }
  | { method: "rule"; caseId: string; by: string }
  | { method: "rules"; limit: number };

/** A desk that records what it is asked and answers from fixed data. */
class FakeDesk implements CaseDesk {
  readonly calls: Call[] = [];
  failWith: Error | null = null;

  decide(caseId: string, action: DecisionAction, by: string, reason: string | null) {
    this.calls.push({ method: "decide", caseId, action, by, reason });
    if (this.failWith) return Promise.reject(this.failWith);
    const decided: Case = {
      ...kase,
      id: caseId,
      decision: action === "investigate" ? null : { action, by, reason, at: "2026-11-24T09:05:00.000Z" },
    };
    return Promise.resolve({
      case: decided,
      evidence: action === "investigate" ? evidence : null,
      questions: action === "investigate" ? questions : null,
    });
  }

  undo(caseId: string, by: string) {
    this.calls.push({ method: "undo", caseId, by });
    if (this.failWith) return Promise.reject(this.failWith);
    return Promise.resolve({
      case: { ...kase, id: caseId },
      undone: [{ action: "isolate_pod", answers: [] }],
    });
  }

  cases(status: CaseStatus | null, limit: number) {
    this.calls.push({ method: "cases", status, limit });
    return Promise.resolve([kase, { ...kase, id: "C-ABCDE" }]);
  }

  trace(id: string) {
    this.calls.push({ method: "trace", id });
    return Promise.resolve({ case: kase, steps: [step] });
  }

  status() {
    this.calls.push({ method: "status" });
    return Promise.resolve({
      counts: { awaiting_human: 1, closed: 4 },
      oldest_waiting: kase,
      today: { approved: 1, dismissed: 0, dismiss_rate: 0, override_rate: 0, median_wait_s: 12 },
      health: { coordinator: "ready" as const },
      remediation: "dry-run" as const,
    });
  }

  rule(caseId: string, by: string) {
    this.calls.push({ method: "rule", caseId, by });
    if (this.failWith) return Promise.reject(this.failWith);
    return Promise.resolve({ proposal: openProposal, note: "exception opened as a pull request" });
  }

  rules(limit: number) {
    this.calls.push({ method: "rules", limit });
    return Promise.resolve([openProposal]);
  }
}

const alice = { name: "alice" };

async function runArgv(argv: string[], desk = new FakeDesk()): Promise<{ reply: Reply; desk: FakeDesk }> {
  const reply = await run(parse(argv), desk, alice);
  return { reply, desk };
}

describe("splitFlags", () => {
  it("separates words from --flag value and --flag=value", () => {
    expect(splitFlags(["cases", "--state", "closed", "--limit=5"], ["state", "limit"])).toEqual({
      words: ["cases"],
      flags: { state: "closed", limit: "5" },
    });
  });

  it("does not let --json eat the next word", () => {
    expect(splitFlags(["--json", "approve", "C-7K2F9"], [])).toEqual({
      words: ["approve", "C-7K2F9"],
      flags: { json: true },
    });
    expect(splitFlags(["dismiss", "--json", "C-7K2F9", "benign"], []).words).toEqual([
      "dismiss",
      "C-7K2F9",
      "benign",
    ]);
  });

  it("makes a flag followed by another flag or nothing a bare true", () => {
    expect(splitFlags(["cases", "--state", "--json"], ["state", "limit"])).toEqual({
      words: ["cases"],
      flags: { state: true, json: true },
    });
    expect(splitFlags(["cases", "--limit"], ["state", "limit"]).flags).toEqual({ limit: true });
  });

  it("keeps an empty value given with =", () => {
    expect(splitFlags(["cases", "--state="], ["state", "limit"]).flags).toEqual({ state: "" });
  });

  it("treats words that only look like flags as words", () => {
    expect(splitFlags(["dismiss", "C-7K2F9", "-x", "--Upper", "--a_b", "--see", "ticket"], []).words).toEqual(
      ["dismiss", "C-7K2F9", "-x", "--Upper", "--a_b", "--see", "ticket"],
    );
  });
});

describe("parse, strictly", () => {
  it("keeps words of a dismiss reason that look like flags", () => {
    expect(parse(["dismiss", "C-7K2F9", "benign", "--see", "ticket", "42"]).args).toEqual({
      case: "C-7K2F9",
      reason: "benign --see ticket 42",
    });
  });

  it("refuses extra words and a --limit without a number", () => {
    expect(usageError(["approve", "C-7K2F9", "C-22222"]).message).toMatch(/too many arguments: C-22222/);
    expect(usageError(["cases", "--limit"]).message).toMatch(/give a number of cases/);
    expect(usageError(["cases", "--limit", "0x10"]).message).toMatch(/give a number of cases/);
    expect(usageError(["cases", "--bogus"]).message).toMatch(/too many arguments: --bogus/);
  });
});

describe("parse", () => {
  it("throws a usage error with the usage text for an unknown command", () => {
    const error = usageError(["frobnicate", "C-7K2F9"]);
    expect(error.code).toBe("usage");
    expect(error.message).toContain('unknown command "frobnicate"');
    expect(error.message).toContain(usage());
  });

  it("throws a usage error when no command is given", () => {
    for (const argv of [[], ["--json"]]) {
      const error = usageError(argv);
      expect(error.code).toBe("usage");
      expect(error.message.split("\n")[0]).toBe("no command given");
      expect(error.message).toContain("usage: soc <command> [--json]");
    }
  });

  it("throws a usage error naming the argument and the command's usage when one is missing", () => {
    for (const name of ["approve", "investigate"]) {
      const error = usageError([name]);
      expect(error.code).toBe("usage");
      expect(error.message).toMatch(/^case: /);
      expect(error.message).toContain(`usage: soc ${name} <case>`);
    }
    expect(usageError(["dismiss"]).message).toContain("usage: soc dismiss <case> <reason…>");
    expect(usageError(["trace"]).message).toContain("usage: soc trace <trace_id|case>");
  });

  it("rejects a malformed case id, quoting the expected form", () => {
    const error = usageError(["approve", "C-0O1I2"]);
    expect(error.code).toBe("usage");
    expect(error.message).toContain("case ids look like C-7K2F9");
    expect(usageError(["approve", "7K2F9"]).code).toBe("usage");
  });

  it("accepts a lower-case case id", () => {
    expect(argsOf(["approve", "c-7k2f9"])).toEqual({ case: "C-7K2F9" });
    expect(argsOf(["investigate", "c-abcde"])).toEqual({ case: "C-ABCDE" });
    expect(argsOf(["dismiss", "c-abcde", "benign", "cron"])).toEqual({
      case: "C-ABCDE",
      reason: "benign cron",
    });
    expect(argsOf(["trace", "c-7k2f9"])).toEqual({ id: "C-7K2F9" });
  });

  it("joins the words of a dismiss reason", () => {
    expect(argsOf(["dismiss", "C-ABCDE", "too", "short"])).toEqual({ case: "C-ABCDE", reason: "too short" });
    expect(argsOf(["dismiss", "C-ABCDE", "  backup  job  "])).toEqual({
      case: "C-ABCDE",
      reason: "backup  job",
    });
  });

  it("requires a dismiss reason of a few characters", () => {
    for (const argv of [
      ["dismiss", "C-ABCDE"],
      ["dismiss", "C-ABCDE", "ok"],
      ["dismiss", "C-ABCDE", "   "],
    ]) {
      const error = usageError(argv);
      expect(error.code).toBe("usage");
      expect(error.message).toContain("reason: give a reason of a few words");
    }
    expect(usageError(["dismiss", "C-ABCDE", "x".repeat(2001)]).message).toMatch(/^reason: /);
  });

  it("takes a trace_id as it is and rejects other ids", () => {
    expect(argsOf(["trace", "4bf92f3577b34da6a3ce929d0e0e4736"])).toEqual({
      id: "4bf92f3577b34da6a3ce929d0e0e4736",
    });
    for (const bad of ["4bf92f3577b34da6a3ce929d0e0e473", "not-an-id", "C-7K2F"]) {
      expect(usageError(["trace", bad]).message).toContain("give a case id (C-7K2F9) or a trace_id (32 hex)");
    }
  });

  it("maps cases --state escalated to awaiting_human", () => {
    expect(argsOf(["cases", "--state", "escalated"])).toEqual({ state: "awaiting_human", limit: 50 });
    expect(argsOf(["cases", "--state=escalated"])).toEqual({ state: "awaiting_human", limit: 50 });
  });

  it("takes every case status and defaults to all, 50", () => {
    expect(argsOf(["cases"])).toEqual({ state: null, limit: 50 });
    for (const state of ["open", "reviewing", "awaiting_human", "executing", "closed"]) {
      expect(argsOf(["cases", "--state", state])).toEqual({ state, limit: 50 });
    }
  });

  it("reads --limit as a number within 1…1000", () => {
    expect(argsOf(["cases", "--limit", "5"])).toEqual({ state: null, limit: 5 });
    expect(argsOf(["cases", "--limit=1000", "--state", "closed"])).toEqual({ state: "closed", limit: 1000 });
    for (const limit of ["0", "1001", "2.5", "many", "-3"]) {
      const error = usageError(["cases", "--limit", limit]);
      expect(error.code, limit).toBe("usage");
      expect(error.message, limit).toMatch(/^limit: /);
    }
  });

  it("rejects an unknown or missing state", () => {
    expect(usageError(["cases", "--state", "pending"]).message).toMatch(/^state: /);
    expect(usageError(["cases", "--state"]).message).toMatch(/^state: /);
  });

  it("ignores --json wherever it is", () => {
    expect(parse(["--json", "status"]).command.name).toBe("status");
    expect(argsOf(["approve", "--json", "C-7K2F9"])).toEqual({ case: "C-7K2F9" });
    expect(argsOf(["cases", "--limit", "5", "--json"])).toEqual({ state: null, limit: 5 });
  });

  it("finds every registered command by its name", () => {
    for (const command of commands) {
      const argv = {
        approve: ["approve", "C-7K2F9"],
        dismiss: ["dismiss", "C-7K2F9", "benign job"],
        investigate: ["investigate", "C-7K2F9"],
        undo: ["undo", "C-7K2F9"],
        trace: ["trace", "C-7K2F9"],
        cases: ["cases"],
        rule: ["rule", "C-7K2F9"],
        rules: ["rules"],
        status: ["status"],
        help: ["help"],
      }[command.name];
      expect(argv, command.name).toBeDefined();
      expect(parse(argv ?? []).command).toBe(command);
    }
  });
});

describe("usage", () => {
  it("lists every command's usage and summary", () => {
    const text = usage();
    expect(text.split("\n")[0]).toBe("usage: soc <command> [--json]");
    for (const command of commands) {
      expect(text).toContain(command.usage);
      expect(text).toContain(command.summary);
    }
    expect(text.split("\n")).toHaveLength(commands.length + 1);
  });
});

describe("run", () => {
  it("approve asks the desk to approve as the actor and names them", async () => {
    const { reply, desk } = await runArgv(["approve", "c-7k2f9"]);
    expect(desk.calls).toEqual([
      { method: "decide", caseId: "C-7K2F9", action: "approve", by: "alice", reason: null },
    ]);
    expect(reply).toMatchObject({ kind: "case", title: "C-7K2F9 approved by alice", evidence: null });
    expect(reply.kind === "case" ? reply.case.decision?.by : null).toBe("alice");
  });

  it("dismiss passes the reason and shows it", async () => {
    const { reply, desk } = await runArgv(["dismiss", "C-ABCDE", "benign", "cron", "job"]);
    expect(desk.calls).toEqual([
      { method: "decide", caseId: "C-ABCDE", action: "dismiss", by: "alice", reason: "benign cron job" },
    ]);
    expect(reply).toMatchObject({
      kind: "case",
      title: "C-ABCDE dismissed by alice: benign cron job",
      evidence: null,
    });
  });

  it("investigate returns the new evidence", async () => {
    const { reply, desk } = await runArgv(["investigate", "C-7K2F9"]);
    expect(desk.calls).toEqual([
      { method: "decide", caseId: "C-7K2F9", action: "investigate", by: "alice", reason: null },
    ]);
    expect(reply).toEqual({
      kind: "case",
      title: "more evidence on C-7K2F9",
      case: { ...kase, decision: null },
      evidence,
      questions,
    });
  });

  it("cases asks for the state and limit and counts what came back", async () => {
    const { reply, desk } = await runArgv(["cases", "--state", "escalated", "--limit", "5"]);
    expect(desk.calls).toEqual([{ method: "cases", status: "awaiting_human", limit: 5 }]);
    expect(reply).toMatchObject({ kind: "cases", title: "2 case(s) awaiting_human" });
    expect(reply.kind === "cases" ? reply.cases.map((c) => c.id) : []).toEqual(["C-7K2F9", "C-ABCDE"]);
  });

  it("cases without a state asks for all", async () => {
    const { reply, desk } = await runArgv(["cases"]);
    expect(desk.calls).toEqual([{ method: "cases", status: null, limit: 50 }]);
    expect(reply).toMatchObject({ kind: "cases", title: "2 case(s)" });
  });

  it("trace asks for the id and returns the steps", async () => {
    const { reply, desk } = await runArgv(["trace", "4bf92f3577b34da6a3ce929d0e0e4736"]);
    expect(desk.calls).toEqual([{ method: "trace", id: "4bf92f3577b34da6a3ce929d0e0e4736" }]);
    expect(reply).toEqual({ kind: "trace", case: kase, steps: [step] });
  });

  it("status returns the counts, the oldest waiting case, today's decisions and the fleet's health", async () => {
    const { reply, desk } = await runArgv(["status"]);
    expect(desk.calls).toEqual([{ method: "status" }]);
    expect(reply).toEqual({
      kind: "status",
      counts: { awaiting_human: 1, closed: 4 },
      oldest_waiting: kase,
      today: { approved: 1, dismissed: 0, dismiss_rate: 0, override_rate: 0, median_wait_s: 12 },
      health: { coordinator: "ready" },
      remediation: "dry-run",
    });
  });

  it("help lists every command without touching the desk", async () => {
    const { reply, desk } = await runArgv(["help"]);
    expect(desk.calls).toEqual([]);
    expect(reply).toEqual({
      kind: "help",
      commands: commands.map(({ name, usage: u, summary }) => ({ name, usage: u, summary })),
    });
  });

  it("passes the desk's refusal on", async () => {
    const desk = new FakeDesk();
    desk.failWith = new SocError("case_not_awaiting", "case C-7K2F9 is closed: nothing to decide");
    await expect(run(parse(["approve", "C-7K2F9"]), desk, alice)).rejects.toMatchObject({
      code: "case_not_awaiting",
    });
  });
});

describe("rule and rules", () => {
  it("rule asks the desk for a draft from the case as the actor, and names where it went", async () => {
    const { reply, desk } = await runArgv(["rule", "c-7k2f9"]);
    expect(desk.calls).toEqual([{ method: "rule", caseId: "C-7K2F9", by: "alice" }]);
    expect(reply).toMatchObject({ kind: "proposal", title: "C-7K2F9: soc_dismissed_0a1b2c3d open" });
    expect(commands.find((c) => c.name === "rule")?.access).toBe("decide");
  });

  it("rule needs a case id", () => {
    expect(usageError(["rule"]).message).toContain("usage: soc rule <case>");
    expect(usageError(["rule", "shadow"]).message).toContain("case ids look like C-7K2F9");
  });

  it("rules lists the proposals, 50 unless told", async () => {
    const { reply, desk } = await runArgv(["rules"]);
    expect(desk.calls).toEqual([{ method: "rules", limit: 50 }]);
    expect(reply).toMatchObject({ kind: "proposals", title: "1 rule change(s)", proposals: [openProposal] });
    expect((await runArgv(["rules", "--limit", "3"])).desk.calls).toEqual([{ method: "rules", limit: 3 }]);
  });
});

describe("undo", () => {
  it("asks the desk to undo the case as the actor, and names what was lifted", async () => {
    const desk = new FakeDesk();
    const reply = await run(parse(["undo", "c-7k2f9"]), desk, alice);
    expect(desk.calls).toEqual([{ method: "undo", caseId: "C-7K2F9", by: "alice" }]);
    expect(reply).toMatchObject({ kind: "case", title: "C-7K2F9 undone by alice: isolate_pod" });
  });

  it("takes exactly one case id", () => {
    expect(() => parse(["undo"])).toThrow(/usage: soc undo <case>/);
    expect(() => parse(["undo", "C-7K2F9", "C-22222"])).toThrow(/too many arguments: C-22222/);
  });
});
