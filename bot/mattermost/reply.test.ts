import { describe, expect, it } from "vitest";
import type { Evidence } from "../../contracts/analysis.js";
import type { Step } from "../../contracts/step.js";
import { emptyContext, type AssetContext } from "../../contracts/cluster.js";
import { escalatedCase, openProposal, storefrontContext } from "../../test/fixtures.js";
import { replyMessages } from "./reply.js";

function investigated(context: AssetContext): string[] {
  const evidence: Evidence = {
    same_pod: [],
    same_image: [],
    distinct_rules: [],
    context,
    forwarded: null,
    summary: "2 recent event(s) on the same pod",
  };
  const messages = replyMessages({
    kind: "case",
    title: "more evidence on C-7K2F9",
    case: escalatedCase,
    evidence,
  });
  expect(messages).toHaveLength(1);
  return (messages[0] ?? "").split("\n");
}

/** The markdown outside code spans (a span ends at a backtick run as long as the one it opened with). */
const outsideCode = (markdown: string) => markdown.replace(/(`+)[\s\S]*?(?<!`)\1(?!`)/g, "");

describe("replyMessages for investigate", () => {
  it("adds the model's next questions, marked as its words, each value inert", () => {
    const messages = replyMessages({
      kind: "case",
      title: "more evidence on C-7K2F9",
      case: escalatedCase,
      evidence: null,
      questions: {
        model: "m.gguf",
        questions: [{ question: "Did @channel [run](http://x) it?", evidence: "the exec audit log" }],
        fallback: null,
      },
    });
    const lines = (messages[0] ?? "").split("\n").slice(2);
    expect(lines).toEqual([
      "**Questions to answer next** (`m.gguf`'s words):",
      "- `Did @channel [run](http://x) it?` Settled by: `the exec audit log`",
    ]);
    expect(outsideCode(lines.join("\n"))).not.toMatch(/@channel|\]\(/);
  });

  it("shows a found pod's context: the status line, then its fields as a list, values in code spans", () => {
    expect(investigated(storefrontContext).slice(2)).toEqual([
      "Evidence: `2 recent event(s) on the same pod`",
      "**Cluster:** `found` · the pod exists and runs the image the event names · `pod shop/storefront-7d9c8b6f5-x2x9q of ReplicaSet storefront-7d9c8b6f5 of Deployment storefront`",
      "- **Owners:** `Deployment shop/storefront ← ReplicaSet storefront-7d9c8b6f5 ← Pod storefront-7d9c8b6f5-x2x9q` · 3 replicas",
      "- **Node:** `worker-2` · **Service account:** `storefront`",
      "- **Images:** `app=ghcr.io/acme/storefront:1.4.2 sha256:3f2a9c1b7d4e`, `envoy=envoyproxy/envoy:v1.29 digest unknown`",
      "- **Labels:** `app=storefront`, `pod-template-hash=7d9c8b6f5`, `team=web`",
      "- **Annotations:** `kubectl.kubernetes.io/restartedAt=2026-11-20T08:00:00Z`",
      "- **Namespace labels:** `pod-security.kubernetes.io/enforce=baseline`",
    ]);
  });

  it("says why when the pod is missing or the API server could not be read", () => {
    const missing = emptyContext(
      "not_found",
      "pod shop/storefront-7d9c8b6f5-x2x9q does not exist in the cluster",
    );
    expect(investigated(missing).slice(3)).toEqual([
      "**Cluster:** `not_found` · the pod named by the event does not exist in the cluster · `pod shop/storefront-7d9c8b6f5-x2x9q does not exist in the cluster`",
    ]);
    const down = emptyContext("unavailable", "the API server could not be read: connect ECONNREFUSED");
    expect(investigated(down).slice(3)).toEqual([
      "**Cluster:** `unavailable` · the API server could not be read · `the API server could not be read: connect ECONNREFUSED`",
    ]);
  });

  it("keeps a hostile label value inert: no mention, link, markup or new line outside a code span", () => {
    const hostile: AssetContext = {
      ...storefrontContext,
      labels: { app: "@channel [link](http://x) ``` **bold**\n- **Node:** `trusted`" },
      service_account: "`@here`",
      detail: "![img](http://x/i.png)\r\n@all",
    };
    const lines = investigated(hostile);
    expect(lines).toHaveLength(10);
    expect(lines[3]).toBe(
      "**Cluster:** `found` · the pod exists and runs the image the event names · `![img](http://x/i.png) @all`",
    );
    expect(lines[5]).toBe("- **Node:** `worker-2` · **Service account:** `` `@here` ``");
    expect(lines[7]).toBe(
      "- **Labels:** ```` app=@channel [link](http://x) ``` **bold** - **Node:** `trusted` ````",
    );
    const outside = outsideCode(lines.join("\n"));
    for (const hostileText of ["@", "](", "http", "trusted", "bold"])
      expect(outside).not.toContain(hostileText);
  });

  it("shows at most 8 labels with a count of the rest, each cut", () => {
    const labels = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`l${i + 10}`, "v".repeat(300)]));
    const line = investigated({ ...storefrontContext, labels })[7] ?? "";
    expect(line).toMatch(/^- \*\*Labels:\*\* `l10=v+…`, /);
    expect(line.endsWith(" (+22 more)")).toBe(true);
    expect(line.match(/`l\d\d=/g)).toHaveLength(8);
    expect(line.length).toBeLessThan(8 * 104 + 40);
  });
});

describe("replyMessages for trace", () => {
  const step = (seq: number, tokens: Step["tokens"]): Step => ({
    case_id: escalatedCase.id,
    seq,
    trace_id: escalatedCase.trace_id,
    agent: seq === 1 ? "analyst" : "reviewer",
    skill: seq === 1 ? "classify" : "review",
    summary: `step ${String(seq)}`,
    input: null,
    output: null,
    mcp_calls: [],
    tokens,
    duration_ms: 40,
    error: null,
    at: "2026-11-24T09:00:03.000Z",
  });

  it("shows each step's tokens and cost, and what the whole case spent", () => {
    const [message = ""] = replyMessages({
      kind: "trace",
      case: escalatedCase,
      steps: [step(1, { in: 1136, out: 284, cost: 0.0021 }), step(2, { in: 0, out: 0, cost: 0 })],
    });
    const lines = message.split("\n");
    expect(lines).toContain("| # | agent | what it did | MCP calls | latency | language model |");
    expect(lines.find((l) => l.startsWith("| 1 |"))).toMatch(
      /\| 40 ms \| tokens 1136\/284 · cost 0\.00210 \|$/,
    );
    expect(lines.find((l) => l.startsWith("| 2 |"))).toMatch(/\| 40 ms \| - \|$/);
    expect(lines.at(-1)).toBe("**Language model, whole case:** tokens 1136/284 · cost 0.00210");
  });

  it("says nothing of language models when no step asked one", () => {
    const [message = ""] = replyMessages({
      kind: "trace",
      case: escalatedCase,
      steps: [step(2, { in: 0, out: 0, cost: 0 })],
    });
    expect(message).not.toContain("whole case");
  });
});

describe("replyMessages for rule changes", () => {
  it("shows a proposal's change in a code block its values cannot close, and links its pull request", () => {
    const [message = ""] = replyMessages({
      kind: "proposal",
      title: "C-7K2F9: soc_dismissed_0a1b2c3d open",
      proposal: openProposal,
      note: "exception opened as a pull request",
    });
    expect(message).toContain("[pull request #7](http://127.0.0.1:3000/soc/falco-rules/pulls/7)");
    expect(message).toContain("append: true");
    // The value's ``` , @channel and link stay inside the block: nothing outside it but our own markup.
    const outside = outsideCode(message);
    expect(outside).not.toContain("@channel");
    expect(outside).not.toContain("http://evil");
  });

  it("lists proposals as a table with their case, kind, state and pull request", () => {
    const [message = ""] = replyMessages({
      kind: "proposals",
      title: "1 rule change(s)",
      proposals: [openProposal],
    });
    expect(message.split("\n")).toContain(
      "| `soc_dismissed_0a1b2c3d` | `C-7K2F9` | exception | open | `Read sensitive file untrusted` | [#7](http://127.0.0.1:3000/soc/falco-rules/pulls/7) |",
    );
  });
});
