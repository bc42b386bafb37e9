import { describe, expect, it } from "vitest";
import type { Anomaly } from "../../contracts/anomaly.js";
import type { Peers } from "../../runtime/a2a/client.js";
import { clientComponentForTests } from "../../test/fakes.js";
import { inThisThread } from "../../runtime/thread.js";
import { Judge } from "./judge.js";
import { Pipeline } from "./pipeline.js";
import { DEFAULT_MODEL, loadModelScorer } from "./model-scorer.js";
import { PriorityScorer, thresholdOnly } from "./scorer.js";
import { RecentEvents } from "./window.js";

const alert = (overrides: Record<string, unknown> = {}) => ({
  uuid: "8d3c7a2e-4f1b-4c2a-9e6d-0a1b2c3d4e5f",
  time: "2026-11-24T09:00:00.123456789Z",
  rule: "Read sensitive file untrusted",
  priority: "Warning",
  source: "syscall",
  tags: ["T1555", "container", "mitre_credential_access"],
  hostname: "worker-1",
  output: "Sensitive file opened",
  output_fields: { "k8s.ns.name": "shop", "k8s.pod.name": "web-1", "container.image.repository": "nginx" },
  ...overrides,
});

/** A coordinator that opens cases, or fails while `down` is set. */
class FakeCoordinator {
  down = false;
  opened: Anomaly[] = [];
  call: Peers["call"] = (_spec, input) => {
    if (this.down) return Promise.reject(new Error("coordinator unavailable"));
    this.opened.push(input as Anomaly);
    return Promise.resolve({
      output: { case_id: `C-2222${String(this.opened.length + 1)}`, trace_id: "", duplicate: false },
      usage: { mcp_calls: [], tokens: { in: 0, out: 0, cost: 0 } },
    }) as never;
  };
}

const judgeAt = (minimum: "Warning" | "Critical", remember?: number) =>
  new Judge(new RecentEvents(), new PriorityScorer(minimum), { remember });

/** The pipeline with its judge in this thread, and the judge itself. */
function pipeline(coordinator: FakeCoordinator, sunk: string[] = [], judge = judgeAt("Warning")) {
  return new Pipeline(clientComponentForTests("prefilter"), inThisThread(judge), coordinator, [
    (anomaly, key) => {
      sunk.push(`${key} ${anomaly.event.rule}`);
      return Promise.resolve();
    },
  ]);
}

describe("the prefilter pipeline", () => {
  it("forwards what the scorer selects to the coordinator and every sink, keyed by namespace/pod", async () => {
    const coordinator = new FakeCoordinator();
    const sunk: string[] = [];
    const outcome = await pipeline(coordinator, sunk).process(alert());
    expect(outcome).toMatchObject({ kind: "forwarded", case_id: "C-22222" });
    expect(coordinator.opened[0]).toMatchObject({
      model_version: "priority-baseline",
      threshold: "Warning",
      score: null,
    });
    expect(sunk).toEqual(["shop/web-1 Read sensitive file untrusted"]);
  });

  it("remembers the last `remember` event ids and forgets the oldest", () => {
    const small = judgeAt("Critical", 3);
    const judge = (n: number) => small.judge(alert({ uuid: `event-${n}`, priority: "Notice" })).kind;
    expect([1, 2, 3, 4].map(judge)).toEqual(["dropped", "dropped", "dropped", "dropped"]);
    // 1 was forgotten when 4 came; taking it again forgets 2, the oldest then.
    expect([3, 4, 1, 2, 1].map(judge)).toEqual(["duplicate", "duplicate", "dropped", "dropped", "duplicate"]);
  });

  it("forwards what the floor covers whatever its score, names the clause, and counts it apart", async () => {
    const coordinator = new FakeCoordinator();
    const floor = {
      min_priority: "Critical" as const,
      maturities: ["maturity_stable"],
      rules: [],
      tactics: [],
    };
    // Nothing scores 1: what is forwarded, the floor forwarded.
    const { scorer } = loadModelScorer(DEFAULT_MODEL, { ...thresholdOnly(1), floor });
    const component = clientComponentForTests("prefilter");
    const flow = new Pipeline(component, inThisThread(new Judge(new RecentEvents(), scorer)), coordinator);
    const critical = alert({ uuid: "critical-stable", priority: "Critical", tags: ["maturity_stable"] });
    expect((await flow.process(critical)).kind).toBe("forwarded");
    expect((await flow.process(alert({ uuid: "warning-stable", tags: ["maturity_stable"] }))).kind).toBe(
      "dropped",
    );
    expect(coordinator.opened).toHaveLength(1);
    expect(coordinator.opened[0]).toMatchObject({
      threshold: 1,
      threshold_source: "bundle threshold",
      floor: "floor: Critical or above from a maturity_stable rule",
    });
    const metrics = await component.metrics.registry.metrics();
    expect(metrics).toMatch(/^soc_prefilter_floor_forwarded_total{component="prefilter"} 1$/m);
    expect(metrics).toMatch(/^soc_prefilter_events_total{result="forwarded",component="prefilter"} 1$/m);
  });

  it("drops what is below the threshold and forwards nothing", async () => {
    const coordinator = new FakeCoordinator();
    expect((await pipeline(coordinator).process(alert({ priority: "Notice" }))).kind).toBe("dropped");
    expect(coordinator.opened).toEqual([]);
  });

  it("refuses a body nested deeper than any event before it crosses to the judge's thread", async () => {
    const coordinator = new FakeCoordinator();
    const deep = JSON.parse(`${"[".repeat(20_000)}${"]".repeat(20_000)}`) as unknown;
    // What a thread boundary would do with it: the structured clone runs out of stack.
    expect(() => structuredClone(deep)).toThrow(RangeError);
    const outcome = await pipeline(coordinator).process(deep);
    expect(outcome).toEqual({
      kind: "rejected",
      reason: "event: nested deeper than 8 levels, no Falco event is",
    });
    // Real events, nested as deep as they get, still go through.
    expect((await pipeline(coordinator).process(alert())).kind).toBe("forwarded");
  });

  it("rejects invalid input with every reason", async () => {
    const outcome = await pipeline(new FakeCoordinator()).process(alert({ priority: "Loud", rule: "" }));
    expect(outcome.kind).toBe("rejected");
    expect(outcome.kind === "rejected" && outcome.reason).toMatch(/rule[\s\S]*priority|priority[\s\S]*rule/);
  });

  it("suppresses a duplicate event id, but only once the first copy was forwarded", async () => {
    const coordinator = new FakeCoordinator();
    const p = pipeline(coordinator);
    coordinator.down = true;
    await expect(p.process(alert())).rejects.toThrow(/unavailable/);
    coordinator.down = false;
    expect((await p.process(alert())).kind).toBe("forwarded");
    expect((await p.process(alert())).kind).toBe("duplicate");
    expect(coordinator.opened).toHaveLength(1);
  });

  it("tells Falco's own alerts apart without a uuid: same time, rule and fields are one event", async () => {
    const coordinator = new FakeCoordinator();
    const p = pipeline(coordinator);
    const falco: Record<string, unknown> = alert();
    delete falco.uuid;
    expect((await p.process(falco)).kind).toBe("forwarded");
    expect((await p.process(falco)).kind).toBe("duplicate");
    expect((await p.process({ ...falco, time: "2026-11-24T09:00:01Z" })).kind).toBe("forwarded");
  });

  it("counts a second copy arriving while the first is being forwarded as a duplicate", async () => {
    const coordinator = new FakeCoordinator();
    const judge = judgeAt("Warning");
    const p = pipeline(coordinator, [], judge);
    const first = judge.judge(alert());
    expect(first.kind).toBe("selected");
    expect(judge.judge(alert()).kind).toBe("duplicate");
    if (first.kind === "selected") await p.forward(first);
    expect(judge.judge(alert()).kind).toBe("duplicate");
    expect(coordinator.opened).toHaveLength(1);
  });

  it("lets an event whose forwarding failed be judged again, and forwards it then", async () => {
    const coordinator = new FakeCoordinator();
    const judge = judgeAt("Warning");
    const p = pipeline(coordinator, [], judge);
    coordinator.down = true;
    const first = judge.judge(alert());
    if (first.kind !== "selected") throw new Error(`expected selected, got ${first.kind}`);
    await expect(p.forward(first)).rejects.toThrow(/unavailable/);
    coordinator.down = false;
    const again = judge.judge(alert());
    expect(again.kind).toBe("selected");
    if (again.kind === "selected") expect((await p.forward(again)).kind).toBe("forwarded");
    expect(coordinator.opened).toHaveLength(1);
  });

  it("judges a batch of message bytes: JSON or not, valid or not, each by its index", async () => {
    const p = pipeline(new FakeCoordinator());
    const values = [
      alert({ uuid: "a" }),
      "{not json",
      null,
      alert({ uuid: "b", priority: "Notice" }),
      alert({ uuid: "c", rule: "" }),
      alert({ uuid: "a" }),
      alert({ uuid: "d", output: "naïve ünïcode ✓" }),
    ].map((v) => (v === null ? null : Buffer.from(typeof v === "string" ? v : JSON.stringify(v))));
    const judged = await p.judgeBatch(values);
    expect(judged.selected.map((s) => [s.index, s.event.event_id])).toEqual([
      [0, "a"],
      [6, "d"],
    ]);
    expect(judged.selected[1]?.event.anomaly.event.output).toBe("naïve ünïcode ✓");
    expect(judged.rejected.map((r) => r.index)).toEqual([1, 2, 4]);
    expect(judged.rejected[0]?.reason).toMatch(/^not JSON: /);
    expect(judged.rejected[2]?.reason).toMatch(/rule/);
    expect(judged).toMatchObject({ duplicates: 1, dropped: 1 });
  });

  it("makes a copy judged while the first is being forwarded wait for that forward, and judges it afresh once it failed", async () => {
    let fail: (error: Error) => void = () => undefined;
    const slow: Peers["call"] = () =>
      new Promise((_resolve, reject) => {
        fail = reject;
      });
    const p = new Pipeline(clientComponentForTests("prefilter"), inThisThread(judgeAt("Warning")), {
      call: slow,
    });
    const [first] = (await p.judgeBatch([Buffer.from(JSON.stringify(alert()))])).selected;
    if (!first) throw new Error("expected the event selected");
    const forwarded = p.forward(first.event);
    const copy = await p.judgeBatch([Buffer.from(JSON.stringify(alert()))]);
    expect(copy).toMatchObject({
      selected: [],
      duplicates: 1,
      waiting: [{ index: 0, event_id: first.event.event_id }],
    });
    const waited = p.forwarding(first.event.event_id);
    expect(waited).toBe(forwarded);

    fail(new Error("coordinator unavailable"));
    await expect(waited).rejects.toThrow(/unavailable/);
    // Once the judge has heard, the copy fetched again is judged afresh, and nothing waits any more.
    await new Promise((resolve) => setImmediate(resolve));
    expect(p.forwarding(first.event.event_id)).toBeUndefined();
    const again = await p.judgeBatch([Buffer.from(JSON.stringify(alert()))]);
    expect(again.selected).toHaveLength(1);
  });

  it("opens at most 16 cases at a time, whichever way the events came (HTTP posts one by one too)", async () => {
    let open = 0;
    let most = 0;
    const release: (() => void)[] = [];
    const coordinator: Pick<Peers, "call"> = {
      call: async () => {
        most = Math.max(most, ++open);
        await new Promise<void>((resolve) => release.push(resolve));
        open--;
        return {
          output: { case_id: `C-${String(release.length)}`, trace_id: "", duplicate: false },
          usage: { mcp_calls: [], tokens: { in: 0, out: 0, cost: 0 } },
        } as never;
      },
    };
    const p = new Pipeline(
      clientComponentForTests("prefilter"),
      inThisThread(judgeAt("Warning")),
      coordinator,
    );
    const outcomes = Promise.all(
      Array.from({ length: 40 }, (_, i) => p.process(alert({ uuid: `flood-${String(i)}` }))),
    );
    for (let released = 0; released < 40;) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(open).toBeLessThanOrEqual(16);
      const waiting = release.splice(0);
      waiting.forEach((resolve) => resolve());
      released += waiting.length;
    }
    expect(most).toBe(16);
    expect((await outcomes).every((outcome) => outcome.kind === "forwarded")).toBe(true);
  });
});
