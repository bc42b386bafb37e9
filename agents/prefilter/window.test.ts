import { describe, expect, it } from "vitest";
import { FalcoEvent } from "../../contracts/falco.js";
import { RecentEvents } from "./window.js";

/** A clock the test moves by hand. */
class Clock {
  ms = 1_000_000;
  readonly now = (): number => this.ms;
}

function falco(rule: string, namespace: string | null, pod: string | null, image: string | null): FalcoEvent {
  return FalcoEvent.parse({
    time: "2026-11-24T09:00:00.000000000Z",
    rule,
    priority: "Warning",
    tags: ["container"],
    hostname: "worker-a1",
    output_fields: {
      "k8s.ns.name": namespace,
      "k8s.pod.name": pod,
      "container.image.repository": image,
    },
  });
}

const trace = (n: number) => n.toString(16).padStart(32, "0");
const storefront = "ghcr.io/acme/storefront";

function query(
  pod: string | null,
  image: string | null,
  exclude = trace(999),
  namespace: string | null = "shop",
) {
  return { namespace, pod, image, exclude_trace_id: exclude };
}

describe("RecentEvents.related", () => {
  it("counts a same-named pod of another namespace as the same image, not the same pod", () => {
    const recent = new RecentEvents();
    recent.add(falco("Terminal shell in container", "staging", "web-1", storefront), trace(1));
    const related = recent.related(query("web-1", storefront));
    expect(related.same_pod).toEqual([]);
    expect(related.same_image.map((e) => e.trace_id)).toEqual([trace(1)]);
  });

  it("is empty before anything was seen", () => {
    expect(new RecentEvents().related(query("web-1", storefront))).toEqual({ same_pod: [], same_image: [] });
  });

  it("finds events of the same pod, newest first, with the public fields only", () => {
    const clock = new Clock();
    const window = new RecentEvents(60_000, 100, clock.now);
    window.add(falco("Rule A", "shop", "web-1", storefront), trace(1));
    clock.ms += 1;
    window.add(falco("Rule B", "shop", "web-1", storefront), trace(2));
    window.add(falco("Rule C", "shop", "web-9", "docker.io/library/redis"), trace(3));
    const { same_pod } = window.related(query("web-1", null));
    expect(same_pod).toEqual([
      {
        time: "2026-11-24T09:00:00.000000000Z",
        rule: "Rule B",
        priority: "Warning",
        pod: "web-1",
        image: storefront,
        trace_id: trace(2),
      },
      {
        time: "2026-11-24T09:00:00.000000000Z",
        rule: "Rule A",
        priority: "Warning",
        pod: "web-1",
        image: storefront,
        trace_id: trace(1),
      },
    ]);
  });

  it("matches a pod only within its namespace", () => {
    const window = new RecentEvents();
    window.add(falco("Rule A", "shop", "web-1", storefront), trace(1));
    window.add(falco("Rule B", "staging", "web-1", storefront), trace(2));
    const related = window.related(query("web-1", null, trace(999), "staging"));
    expect(related.same_pod.map((e) => e.trace_id)).toEqual([trace(2)]);
  });

  it("finds other pods of the same image, but not the asked pod in same_image", () => {
    const window = new RecentEvents();
    window.add(falco("Rule A", "shop", "web-1", storefront), trace(1));
    window.add(falco("Rule B", "shop", "web-2", storefront), trace(2));
    window.add(falco("Rule C", "shop", "web-3", storefront), trace(3));
    window.add(falco("Rule D", "shop", "cache-1", "docker.io/library/redis"), trace(4));
    const related = window.related(query("web-1", storefront));
    expect(related.same_pod.map((e) => e.trace_id)).toEqual([trace(1)]);
    expect(related.same_image.map((e) => e.trace_id)).toEqual([trace(3), trace(2)]);
  });

  it("excludes the event being asked about", () => {
    const window = new RecentEvents();
    window.add(falco("Rule A", "shop", "web-1", storefront), trace(1));
    window.add(falco("Rule B", "shop", "web-2", storefront), trace(2));
    const related = window.related(query("web-1", storefront, trace(1)));
    expect(related.same_pod).toEqual([]);
    expect(related.same_image.map((e) => e.trace_id)).toEqual([trace(2)]);
    const other = window.related(query("web-2", storefront, trace(2)));
    expect(other.same_image.map((e) => e.trace_id)).toEqual([trace(1)]);
  });

  it("matches nothing by pod or image when the query has none", () => {
    const window = new RecentEvents();
    window.add(falco("Host rule", null, null, null), trace(1));
    window.add(falco("Rule A", "shop", "web-1", storefront), trace(2));
    expect(window.related(query(null, null, trace(999), null))).toEqual({ same_pod: [], same_image: [] });
  });

  it("returns at most limit events of each kind, the newest", () => {
    const window = new RecentEvents();
    for (let i = 1; i <= 10; i++) window.add(falco(`Rule ${i}`, "shop", "web-1", storefront), trace(i));
    for (let i = 11; i <= 20; i++) window.add(falco(`Rule ${i}`, "shop", "web-2", storefront), trace(i));
    const related = window.related(query("web-1", storefront), 3);
    expect(related.same_pod.map((e) => e.rule)).toEqual(["Rule 10", "Rule 9", "Rule 8"]);
    expect(related.same_image.map((e) => e.rule)).toEqual(["Rule 20", "Rule 19", "Rule 18"]);
  });
});

describe("RecentEvents expiry", () => {
  it("forgets events older than the window on the next query", () => {
    const clock = new Clock();
    const window = new RecentEvents(60_000, 100, clock.now);
    window.add(falco("Old", "shop", "web-1", storefront), trace(1));
    clock.ms += 30_000;
    window.add(falco("Newer", "shop", "web-1", storefront), trace(2));
    clock.ms += 30_000;
    expect(window.related(query("web-1", null)).same_pod.map((e) => e.rule)).toEqual(["Newer", "Old"]);
    clock.ms += 1;
    expect(window.related(query("web-1", null)).same_pod.map((e) => e.rule)).toEqual(["Newer"]);
    clock.ms += 30_000;
    expect(window.related(query("web-1", null)).same_pod).toEqual([]);
  });

  it("keeps an event seen exactly windowMs ago", () => {
    const clock = new Clock();
    const window = new RecentEvents(1_000, 100, clock.now);
    window.add(falco("Edge", "shop", "web-1", storefront), trace(1));
    clock.ms += 1_000;
    expect(window.related(query("web-1", null)).same_pod).toHaveLength(1);
  });

  it("expires on add too, so a later query sees only fresh events", () => {
    const clock = new Clock();
    const window = new RecentEvents(1_000, 100, clock.now);
    window.add(falco("Old", "shop", "web-1", storefront), trace(1));
    clock.ms += 5_000;
    window.add(falco("Fresh", "shop", "web-1", storefront), trace(2));
    expect(window.related(query("web-1", null)).same_pod.map((e) => e.rule)).toEqual(["Fresh"]);
  });
});

describe("RecentEvents capacity", () => {
  it("holds at most capacity events, dropping the oldest", () => {
    const window = new RecentEvents(60_000, 3);
    for (let i = 1; i <= 5; i++) window.add(falco(`Rule ${i}`, "shop", "web-1", storefront), trace(i));
    expect(window.related(query("web-1", null)).same_pod.map((e) => e.rule)).toEqual([
      "Rule 5",
      "Rule 4",
      "Rule 3",
    ]);
  });

  it("stays bounded under a flood of events", () => {
    const window = new RecentEvents(60_000, 50);
    for (let i = 1; i <= 5_000; i++) window.add(falco("Flood", "shop", "web-1", storefront), trace(i));
    const related = window.related(query("web-1", null), 10_000);
    expect(related.same_pod).toHaveLength(50);
    expect(related.same_pod[0]?.trace_id).toBe(trace(5_000));
    expect(related.same_pod[49]?.trace_id).toBe(trace(4_951));
  });

  it("still tells pods apart after more distinct names than it shares", () => {
    const window = new RecentEvents(60_000, 10_000);
    for (let i = 0; i < 6_000; i++) window.add(falco("Churn", "shop", `web-${i}`, storefront), trace(i));
    for (const i of [0, 4_095, 4_096, 5_999]) {
      const { same_pod } = window.related(query(`web-${i}`, null));
      expect(same_pod.map((e) => e.trace_id)).toEqual([trace(i)]);
    }
  });
});
