import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FalcoEvent, field, priorities, priorityRank, workloadOf, type Priority } from "./falco.js";

/** The bundled sample: what Falco's json_output and falcosidekick really post. */
const sample = readFileSync(new URL("../fleet/sample/falco-events.jsonl", import.meta.url), "utf8")
  .split("\n")
  .filter((line) => line.trim() !== "");

function rawLine(predicate: (raw: Record<string, unknown>) => boolean): Record<string, unknown> {
  for (const line of sample) {
    const raw = JSON.parse(line) as Record<string, unknown>;
    if (predicate(raw)) return raw;
  }
  throw new Error("no sample line matches");
}

const plain = rawLine((raw) => raw.uuid === undefined && raw.source === "syscall");
const relayed = rawLine((raw) => typeof raw.uuid === "string" && raw.source === "syscall");
const audit = rawLine((raw) => raw.source === "k8s_audit");

function issuesOf(input: unknown): { path: PropertyKey[]; message: string }[] {
  const parsed = FalcoEvent.safeParse(input);
  expect(parsed.success).toBe(false);
  return parsed.error?.issues ?? [];
}

describe("FalcoEvent", () => {
  it("accepts every line of the bundled sample", () => {
    expect(sample.length).toBeGreaterThan(100);
    for (const line of sample) {
      const parsed = FalcoEvent.safeParse(JSON.parse(line));
      expect(parsed.success, line.slice(0, 120)).toBe(true);
    }
  });

  it("keeps Falco's json_output form as it is", () => {
    const event = FalcoEvent.parse(plain);
    expect(event.uuid).toBeUndefined();
    expect(event.rule).toBe(plain.rule);
    expect(event.priority).toBe(plain.priority);
    expect(event.time).toBe(plain.time);
    expect(event.hostname).toBe(plain.hostname);
    expect(event.tags).toEqual(plain.tags);
    expect(event.output).toBe(plain.output);
    expect(event.output_fields).toEqual(plain.output_fields);
    expect(event.source).toBe("syscall");
  });

  it("accepts falcosidekick's form and keeps its uuid", () => {
    const event = FalcoEvent.parse(relayed);
    expect(event.uuid).toBe(relayed.uuid);
    expect(event.uuid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("accepts a k8s_audit event", () => {
    const event = FalcoEvent.parse(audit);
    expect(event.source).toBe("k8s_audit");
    expect(event.output_fields["k8s.ns.name"]).toBeNull();
  });

  it("normalises lower- and mixed-case priorities to Falco's spelling", () => {
    expect(FalcoEvent.parse({ ...plain, priority: "warning" }).priority).toBe("Warning");
    expect(FalcoEvent.parse({ ...plain, priority: "CRITICAL" }).priority).toBe("Critical");
    expect(FalcoEvent.parse({ ...plain, priority: "informational" }).priority).toBe("Informational");
    for (const priority of priorities) {
      expect(FalcoEvent.parse({ ...plain, priority: priority.toLowerCase() }).priority).toBe(priority);
    }
  });

  it("fills defaults for the optional fields of a minimal event", () => {
    const event = FalcoEvent.parse({ time: "2026-11-24T09:00:00Z", rule: "Some rule", priority: "Notice" });
    expect(event).toEqual({
      time: "2026-11-24T09:00:00Z",
      rule: "Some rule",
      priority: "Notice",
      source: "syscall",
      tags: [],
      hostname: "",
      output: "",
      output_fields: {},
    });
  });

  it("accepts times with up to nine fraction digits and a UTC offset", () => {
    for (const time of [
      "2026-11-24T09:00:00Z",
      "2026-11-24T09:00:00.1Z",
      "2026-11-24T09:00:00.123456789Z",
      "2026-11-24T10:00:00.5+01:00",
    ]) {
      expect(FalcoEvent.safeParse({ ...plain, time }).success, time).toBe(true);
    }
  });

  it("rejects a missing or empty rule, with the rule in the issue path", () => {
    const withoutRule = Object.fromEntries(Object.entries(plain).filter(([key]) => key !== "rule"));
    expect(issuesOf(withoutRule).map((issue) => issue.path)).toEqual([["rule"]]);
    expect(issuesOf({ ...plain, rule: "" }).map((issue) => issue.path)).toEqual([["rule"]]);
  });

  it("rejects a time that is not ISO-8601, with the time in the issue path", () => {
    for (const time of [
      "2026-11-24 09:00:00Z",
      "2026-11-24T09:00:00",
      "2026-11-24T09:00:00.1234567890Z",
      "1795510804479164759",
      "yesterday",
    ]) {
      const issues = issuesOf({ ...plain, time });
      expect(issues.map((issue) => issue.path)).toEqual([["time"]]);
      expect(issues[0]?.message).toContain("ISO-8601");
    }
    expect(issuesOf({ ...plain, time: 1795510804 }).map((issue) => issue.path)).toEqual([["time"]]);
  });

  it("rejects an unknown priority, naming it, with the priority in the issue path", () => {
    const issues = issuesOf({ ...plain, priority: "Severe" });
    expect(issues.map((issue) => issue.path)).toEqual([["priority"]]);
    expect(issues[0]?.message).toBe('unknown priority "Severe"');
    expect(issuesOf({ ...plain, priority: 4 }).map((issue) => issue.path)).toEqual([["priority"]]);
  });

  it("reports every bad field at once", () => {
    const paths = issuesOf({ ...plain, rule: "", time: "now", priority: "nope" }).map((issue) =>
      issue.path.join("."),
    );
    expect(paths.sort()).toEqual(["priority", "rule", "time"]);
  });

  it("rejects nested values in output_fields and over-long attacker text", () => {
    const nested = issuesOf({ ...plain, output_fields: { "proc.cmdline": { a: 1 } } });
    expect(nested[0]?.path).toEqual(["output_fields", "proc.cmdline"]);
    expect(issuesOf({ ...plain, output: "x".repeat(16_385) })[0]?.path).toEqual(["output"]);
    expect(issuesOf({ ...plain, rule: "r".repeat(513) })[0]?.path).toEqual(["rule"]);
    expect(issuesOf({ ...plain, uuid: "u".repeat(65) })[0]?.path).toEqual(["uuid"]);
    expect(issuesOf({ ...plain, tags: Array.from({ length: 65 }, (_, i) => `t${i}`) })[0]?.path).toEqual([
      "tags",
    ]);
  });
});

describe("priorityRank", () => {
  it("ranks Emergency highest at 7 and Debug lowest at 0", () => {
    expect(priorityRank("Emergency")).toBe(7);
    expect(priorityRank("Debug")).toBe(0);
  });

  it("orders every priority from most to least severe", () => {
    const ranks = priorities.map((p: Priority) => priorityRank(p));
    expect(ranks).toEqual([7, 6, 5, 4, 3, 2, 1, 0]);
    expect(priorityRank("Warning")).toBeGreaterThan(priorityRank("Notice"));
    expect(priorityRank("Critical")).toBeGreaterThan(priorityRank("Error"));
  });
});

describe("field and workloadOf", () => {
  it("reads the workload of a syscall event", () => {
    const event = FalcoEvent.parse(plain);
    const fields = plain.output_fields as Record<string, unknown>;
    expect(workloadOf(event)).toEqual({
      namespace: fields["k8s.ns.name"],
      pod: fields["k8s.pod.name"],
      image: fields["container.image.repository"],
      container: fields["container.name"],
      node: plain.hostname,
    });
  });

  it("gives null for fields Falco left null or did not send", () => {
    const event = FalcoEvent.parse(audit);
    expect(workloadOf(event)).toEqual({
      namespace: null,
      pod: null,
      image: null,
      container: null,
      node: audit.hostname,
    });
  });

  it("gives an empty node for an event without a hostname", () => {
    const event = FalcoEvent.parse({ time: "2026-11-24T09:00:00Z", rule: "r", priority: "Notice" });
    expect(workloadOf(event)).toEqual({ namespace: null, pod: null, image: null, container: null, node: "" });
  });

  it("turns numbers and booleans into strings", () => {
    const event = FalcoEvent.parse({
      ...plain,
      output_fields: { "user.uid": 0, "proc.is_exe_upper_layer": false, "fd.name": null },
    });
    expect(field(event, "user.uid")).toBe("0");
    expect(field(event, "proc.is_exe_upper_layer")).toBe("false");
    expect(field(event, "fd.name")).toBeNull();
    expect(field(event, "not.there")).toBeNull();
  });
});
