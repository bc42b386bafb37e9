import { eventIdOf } from "../../contracts/falco.js";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Anomaly } from "../../contracts/anomaly.js";
import type { Decision } from "../../contracts/case.js";
import { FeedbackLabel } from "../../contracts/feedback.js";
import { createLogger } from "../../runtime/log.js";
import { Feedback, labelOf, type LabelSink } from "./feedback.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function feedbackFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "soc-feedback-"));
  dirs.push(dir);
  return join(dir, "home", "feedback.jsonl");
}

const anomaly = (uuid?: string) =>
  Anomaly.parse({
    trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
    event: {
      ...(uuid ? { uuid } : {}),
      time: "2026-11-24T09:00:00.123456789Z",
      rule: "Read sensitive file untrusted",
      priority: "Warning",
      hostname: "worker-a1",
      output_fields: { "k8s.ns.name": "shop", "proc.cmdline": "cat /etc/shadow" },
    },
    received_at: "2026-11-24T09:00:00.200Z",
    score: 0.81,
    model_version: "20261124-65a836a3",
    threshold: 0.7,
  });

const decision = (action: Decision["action"]): Decision => ({
  action,
  by: "alice",
  reason: action === "dismiss" ? "backup job" : null,
  at: "2026-11-24T09:05:00.000Z",
});

/** A sink that records what it was given, or fails while `down` is set. */
class FakeSink implements LabelSink {
  down = false;
  published: FeedbackLabel[] = [];
  publish(label: FeedbackLabel): Promise<void> {
    if (this.down) return Promise.reject(new Error("broker unavailable"));
    this.published.push(label);
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

describe("labelOf", () => {
  it("calls an approved case's event malicious and a dismissed one benign, by its uuid", () => {
    expect(labelOf("C-7K2F9", anomaly("ev-1"), decision("approve"))).toEqual({
      uuid: "ev-1",
      label: "malicious",
      case_id: "C-7K2F9",
      trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
      rule: "Read sensitive file untrusted",
      by: "alice",
      at: "2026-11-24T09:05:00.000Z",
    });
    expect(labelOf("C-7K2F9", anomaly("ev-1"), decision("dismiss"))?.label).toBe("benign");
  });

  it("gives no label for investigate: more evidence is not a verdict", () => {
    expect(labelOf("C-7K2F9", anomaly("ev-1"), decision("investigate"))).toBeNull();
  });

  it("names an event without a uuid (Falco's http_output) by the id the prefilter deduplicates on", () => {
    const label = labelOf("C-7K2F9", anomaly(), decision("dismiss"));
    expect(label?.uuid).toBe(eventIdOf(anomaly().event));
    expect(label?.uuid).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("Feedback", () => {
  it("appends each label to the file as one JSON line and publishes it", async () => {
    const file = feedbackFile();
    const sink = new FakeSink();
    const feedback = new Feedback(file, sink, createLogger("coordinator", "silent"));
    await feedback.record("C-7K2F9", anomaly("ev-1"), decision("approve"));
    await feedback.record("C-8M3G2", anomaly("ev-2"), decision("investigate"));
    await feedback.record("C-8M3G2", anomaly("ev-2"), decision("dismiss"));
    const lines = readFileSync(file, "utf8").trimEnd().split("\n");
    const labels = lines.map((line) => FeedbackLabel.parse(JSON.parse(line)));
    expect(labels.map((l) => [l.uuid, l.label])).toEqual([
      ["ev-1", "malicious"],
      ["ev-2", "benign"],
    ]);
    expect(sink.published).toEqual(labels);
  });

  it("keeps the label in the file when publishing fails, without failing the decision", async () => {
    const file = feedbackFile();
    const sink = new FakeSink();
    sink.down = true;
    const feedback = new Feedback(file, sink, createLogger("coordinator", "silent"));
    await expect(feedback.record("C-7K2F9", anomaly("ev-1"), decision("approve"))).resolves.toMatchObject({
      label: "malicious",
    });
    expect(readFileSync(file, "utf8")).toContain('"uuid":"ev-1"');
    expect(sink.published).toEqual([]);
  });

  it("writes only the file when Kafka is not configured", async () => {
    const file = feedbackFile();
    const feedback = new Feedback(file, null, createLogger("coordinator", "silent"));
    await feedback.record("C-7K2F9", anomaly("ev-1"), decision("dismiss"));
    expect(readFileSync(file, "utf8").split("\n").filter(Boolean)).toHaveLength(1);
  });
});
