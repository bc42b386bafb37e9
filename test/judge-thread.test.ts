import { afterEach, describe, expect, it } from "vitest";
import { falcoEvent } from "../agents/prefilter/features/fixture.js";
import { buildJudge, JUDGE_WORKER, type Judge, type JudgeOptions } from "../agents/prefilter/judge.js";
import { DEFAULT_MODEL } from "../agents/prefilter/model-scorer.js";
import { thresholdOnly } from "../agents/prefilter/scorer.js";
import type { SocError } from "../runtime/errors.js";
import { Thread } from "../runtime/thread.js";

/** The prefilter's judge in a real worker thread (the built judge-worker.js), called with messages. */
const threads: Thread<Judge>[] = [];
afterEach(async () => {
  for (const thread of threads.splice(0)) await thread.stop();
});

async function start(options: JudgeOptions, ended?: (error: SocError) => void): Promise<Thread<Judge>> {
  const thread = await Thread.start<Judge>(JUDGE_WORKER ?? "", options, ended);
  threads.push(thread);
  return thread;
}

const model = (threshold: number): JudgeOptions => ({
  scorer: { kind: "model", modelPath: DEFAULT_MODEL ?? "", forwarding: thresholdOnly(threshold) },
});

/** Events as Kafka carries them, packed as the pipeline packs a batch. */
function packed(events: unknown[]): { bytes: Uint8Array; ends: Uint32Array } {
  const parts = events.map((e) => Buffer.from(JSON.stringify(e)));
  const bytes = new Uint8Array(Buffer.concat(parts));
  let at = 0;
  return { bytes, ends: Uint32Array.from(parts, (p) => (at += p.length)) };
}

const events = Array.from({ length: 40 }, (_, i) =>
  Object.assign(
    falcoEvent({
      at: i * 1_000,
      rule: i % 7 === 0 ? "Terminal shell in container" : "Read sensitive file untrusted",
      priority: i % 7 === 0 ? "Notice" : "Warning",
      fields: {
        "k8s.ns.name": "shop",
        "k8s.pod.name": `web-${String(i % 3)}`,
        "proc.name": i % 5 ? "nginx" : "sh",
      },
    }),
    { uuid: `event-${String(i)}` },
  ),
);

describe("the judge in a thread of its own", () => {
  it("judges a moved batch exactly as the same judge in this thread does", async () => {
    // A threshold between the events' scores, so that some are selected and some dropped.
    const scores = buildJudge(model(0))
      .judgeBatch(packed(events).bytes, packed(events).ends)
      .selected.map((s) => s.event.anomaly.score ?? 0)
      .sort();
    const threshold = scores[scores.length >> 1] ?? 0;
    const expected = buildJudge(model(threshold)).judgeBatch(packed(events).bytes, packed(events).ends);
    const thread = await start(model(threshold));
    const { bytes, ends } = packed(events);
    const judged = await thread.call(
      "judgeBatch",
      [bytes, ends],
      [bytes.buffer as ArrayBuffer, ends.buffer as ArrayBuffer],
    );
    // Moved, not copied: the buffers are gone from this thread.
    expect(bytes.byteLength).toBe(0);
    const strip = (j: typeof judged) => ({
      ...j,
      selected: j.selected.map(({ index, event }) => ({
        index,
        id: event.event_id,
        score: event.anomaly.score,
      })),
    });
    expect(strip(judged)).toEqual(strip(expected));
    expect(judged.selected.length).toBeGreaterThan(0);
    expect(judged.dropped).toBeGreaterThan(0);
  });

  it("follows a threshold it is told, answers related events, and gives drift once it has seen events", async () => {
    const thread = await start(model(1));
    expect(await thread.call("psi", [])).toBeNull();
    const first = packed(events.slice(0, 20));
    const strict = await thread.call("judgeBatch", [first.bytes, first.ends]);
    expect(strict.selected).toEqual([]);
    expect(await thread.call("configure", [thresholdOnly(0)])).toEqual({
      threshold: 0,
      source: "bundle threshold",
    });
    const rest = packed(events.slice(20));
    const loose = await thread.call("judgeBatch", [rest.bytes, rest.ends]);
    expect(loose.selected).toHaveLength(20);
    expect(loose.selected[0]?.event.anomaly.threshold).toBe(0);

    const psi = await thread.call("psi", []);
    expect(psi).toHaveLength(17);
    const related = await thread.call("related", [
      { namespace: "shop", pod: "web-1", image: null, exclude_trace_id: "" },
    ]);
    expect(related.same_pod.length).toBeGreaterThan(0);
    expect(related.same_pod.every((e) => e.pod === "web-1")).toBe(true);
  });

  it("remembers forwarded events it is told of, and judges afresh those whose forwarding failed", async () => {
    const thread = await start({ scorer: { kind: "priority", minimum: "Warning" } });
    const [one, two] = [events[1], events[2]];
    for (const event of [one, two]) expect((await thread.call("judge", [event])).kind).toBe("selected");
    thread.tell("settled", ["event-1", true]);
    thread.tell("settled", ["event-2", false]);
    expect((await thread.call("judge", [one])).kind).toBe("duplicate");
    expect((await thread.call("judge", [two])).kind).toBe("selected");
  });

  it("refuses to start without its model, with the reason, and leaves no thread behind", async () => {
    await expect(
      Thread.start<Judge>(JUDGE_WORKER ?? "", {
        scorer: { kind: "model", modelPath: "", forwarding: thresholdOnly(0.5) },
      }),
    ).rejects.toMatchObject({ code: "model_missing" });
  });

  it("fails the call of a method that throws, with its code and message, and keeps serving", async () => {
    const thread = await start({ scorer: { kind: "priority", minimum: "Warning" } });
    await expect(thread.call("configure", [thresholdOnly(0.5)])).rejects.toMatchObject({
      code: "no_threshold",
      message: expect.stringContaining("priority") as unknown,
    });
    expect((await thread.call("judge", [{ not: "an event" }])).kind).toBe("rejected");
  });

  it("ends when a method told (not called) throws, and then fails every call", async () => {
    const ended: SocError[] = [];
    const thread = await start({ scorer: { kind: "priority", minimum: "Warning" } }, (e) => ended.push(e));
    // The priority baseline has no score threshold: nobody would hear of the error but the thread.
    thread.tell("configure", [thresholdOnly(0.5)]);
    await expect(thread.call("judge", [events[0]])).rejects.toMatchObject({ code: "thread_failed" });
    expect(ended.map((e) => e.code)).toEqual(["thread_failed"]);
    await expect(thread.call("psi", [])).rejects.toMatchObject({ code: "thread_failed" });
  });

  it("fails the calls pending when it is stopped and those made after", async () => {
    const ended: SocError[] = [];
    const thread = await start(model(0.5), (e) => ended.push(e));
    const { bytes, ends } = packed(events);
    const pending = expect(thread.call("judgeBatch", [bytes, ends])).rejects.toMatchObject({
      code: "thread_stopped",
    });
    await thread.stop();
    await pending;
    await expect(thread.call("psi", [])).rejects.toMatchObject({ code: "thread_stopped" });
    // Stopped, not ended: nobody is told the thread failed.
    expect(ended).toEqual([]);
  });
});
