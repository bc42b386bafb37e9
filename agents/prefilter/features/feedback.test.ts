import { eventIdOf } from "../../../contracts/falco.js";
import { describe, expect, it } from "vitest";
import type { FeedbackLabel } from "../../../contracts/feedback.js";
import { exportFeatures } from "./export.js";
import { FEEDBACK_LABEL, feedbackLabels, parseFeedback } from "./feedback.js";
import { falcoEvent } from "./fixture.js";

const label = (uuid: string, verdict: FeedbackLabel["label"], at: string): FeedbackLabel => ({
  uuid,
  label: verdict,
  case_id: "C-7K2F9",
  trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
  rule: "Run shell untrusted",
  by: "alice",
  at,
});

describe("feedbackLabels", () => {
  it("keeps each event's latest decision, as the export's label", () => {
    const labels = feedbackLabels([
      label("ev-1", "malicious", "2026-11-24T09:00:00Z"),
      label("ev-1", "benign", "2026-11-24T10:00:00Z"),
      label("ev-2", "benign", "2026-11-24T10:00:00Z"),
      label("ev-2", "malicious", "2026-11-24T09:30:00Z"),
    ]);
    expect(Object.fromEntries(labels)).toEqual({
      "ev-1": FEEDBACK_LABEL.benign,
      "ev-2": FEEDBACK_LABEL.benign,
    });
  });
});

describe("parseFeedback", () => {
  it("reads the coordinator's feedback.jsonl and refuses a line that is not a label", () => {
    const text = `${JSON.stringify(label("ev-1", "benign", "2026-11-24T10:00:00Z"))}\n\n`;
    expect(parseFeedback(text)).toHaveLength(1);
    expect(() => parseFeedback(`${text}{"uuid":"ev-2","label":"maybe"}\n`)).toThrow(/feedback line 3/);
  });
});

describe("exportFeatures with analysts' feedback", () => {
  it("labels the events analysts decided on, by uuid or by the prefilter's id, above any other label", async () => {
    const withUuid = { ...falcoEvent({ at: 0 }), uuid: "ev-1" };
    const withoutUuid = falcoEvent({ at: 1_000 });
    const other = { ...falcoEvent({ at: 2_000 }), uuid: "ev-3" };
    const lines = [withUuid, withoutUuid, other].map((e) => JSON.stringify(e));
    const feedback = new Map([
      ["ev-1", FEEDBACK_LABEL.malicious],
      [eventIdOf(withoutUuid), FEEDBACK_LABEL.benign],
    ]);
    let text = "";
    const read = async (labels: ReadonlyMap<string, string> | null) => {
      text = "";
      return exportFeatures(lines, labels, (chunk) => (text += chunk), undefined, feedback);
    };

    expect(await read(null)).toMatchObject({ rows: 3, feedback: 2 });
    const labelsOf = () =>
      text
        .trimEnd()
        .split("\n")
        .map((row) => row.split(",").at(-1));
    expect(labelsOf()).toEqual(["label", FEEDBACK_LABEL.malicious, FEEDBACK_LABEL.benign, ""]);

    await read(
      new Map([
        ["ev-1", "benign"],
        ["ev-3", "benign"],
      ]),
    );
    expect(labelsOf()).toEqual(["label", FEEDBACK_LABEL.malicious, FEEDBACK_LABEL.benign, "benign"]);
  });
});
