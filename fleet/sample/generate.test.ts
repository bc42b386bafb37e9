import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FalcoEvent } from "../../contracts/falco.js";
import { nanosOf, priorities, sortTags, toJsonLine, toJsonl, type FalcoAlert } from "./alert.js";
import { SAMPLE_SEED, SAMPLE_START, episodes, generateLabelledSample, generateSample } from "./generate.js";

const sample = generateSample({ seed: SAMPLE_SEED, start: SAMPLE_START });
const labelled = generateLabelledSample({ seed: SAMPLE_SEED, start: SAMPLE_START });
const committed = readFileSync(new URL("./falco-events.jsonl", import.meta.url), "utf8");

const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;
const uuidV4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const atLeastWarning = (alert: FalcoAlert) =>
  priorities.indexOf(alert.priority) <= priorities.indexOf("Warning");
const syscallFields = [
  "container.id",
  "container.name",
  "container.image.repository",
  "container.image.tag",
  "k8s.ns.name",
  "k8s.pod.name",
  "proc.name",
  "proc.cmdline",
  "proc.pname",
  "proc.exepath",
  "proc.tty",
  "user.name",
  "user.uid",
  "fd.name",
  "evt.type",
  "evt.time",
];

describe("generateSample", () => {
  it("is deterministic for a seed and differs between seeds", () => {
    const again = generateSample({ seed: SAMPLE_SEED, start: SAMPLE_START });
    expect(toJsonl(again)).toBe(toJsonl(sample));
    expect(toJsonl(generateSample({ seed: 2, start: SAMPLE_START }))).not.toBe(toJsonl(sample));
  });

  it("covers about twenty minutes with at least 240 alerts in time order", () => {
    expect(sample.length).toBeGreaterThanOrEqual(240);
    const startNs = BigInt(SAMPLE_START.getTime()) * 1_000_000n;
    let previous = startNs;
    for (const alert of sample) {
      const ns = nanosOf(alert.time);
      expect(ns >= previous, alert.time).toBe(true);
      previous = ns;
    }
    expect(previous - startNs).toBeLessThan(20n * 60n * 1_000_000_000n);
  });

  it("writes every alert the way Falco does", () => {
    for (const alert of sample) {
      expect(priorities).toContain(alert.priority);
      expect(alert.time).toMatch(iso);
      expect(alert.tags.length).toBeGreaterThan(0);
      expect(alert.tags).toEqual(sortTags(alert.tags));
      expect(alert.output).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{9}: ${alert.priority} `));
      expect(alert.output_fields["evt.time"]).toBe(Number(nanosOf(alert.time)));
      if (alert.source === "syscall") {
        expect(Object.keys(alert.output_fields).sort()).toEqual([...syscallFields].sort());
        expect(alert.tags).toContain("container");
        expect(alert.output).toContain(`k8s_pod_name=${String(alert.output_fields["k8s.pod.name"])}`);
      }
      expect(FalcoEvent.safeParse(JSON.parse(toJsonLine(alert))).success).toBe(true);
    }
  });

  it("round-trips through JSON and keeps evt.time's exact digits in the text", () => {
    for (const alert of sample) {
      const line = toJsonLine(alert);
      expect(JSON.parse(line)).toEqual(alert);
      expect(line).toContain(`"evt.time":${nanosOf(alert.time).toString()},`);
    }
  });

  it("has one k8s_audit alert, tagged only k8s, without a namespace field", () => {
    const audit = sample.filter((alert) => alert.source === "k8s_audit");
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ rule: "Create Privileged Pod", priority: "Warning", tags: ["k8s"] });
    expect(audit[0]?.output_fields).toMatchObject({
      "k8s.ns.name": null,
      "ka.user.name": "system:serviceaccount:shop:storefront",
      "ka.target.namespace": "shop",
      "ka.target.name": episodes["k8s-privileged-pod"].pod,
      "ka.req.pod.containers.image": "docker.io/library/alpine:3.20",
    });
  });

  it("gives about half the alerts falcosidekick's form, with a v4 uuid", () => {
    const relayed = sample.filter((alert) => alert.uuid !== undefined);
    expect(relayed.length / sample.length).toBeGreaterThan(0.3);
    expect(relayed.length / sample.length).toBeLessThan(0.7);
    for (const alert of relayed) {
      expect(alert.uuid).toMatch(uuidV4);
      expect(toJsonLine(alert).startsWith('{"uuid":')).toBe(true);
    }
    for (const alert of sample.filter((a) => a.uuid === undefined)) {
      expect(toJsonLine(alert).startsWith('{"hostname":')).toBe(true);
      expect(alert.time).toMatch(/\.\d{9}Z$/);
    }
  });

  it("carries hostile attacker-controlled text for escaping tests", () => {
    const cmdlines = sample.map((alert) => String(alert.output_fields["proc.cmdline"]));
    for (const nasty of ["@channel", "[click](http://evil.example)", "`", "\n"]) {
      expect(cmdlines.some((cmdline) => cmdline.includes(nasty))).toBe(true);
    }
  });
});

describe("episodes", () => {
  it("labels at least one alert per episode, all on the episode's pod", () => {
    for (const [id, episode] of Object.entries(episodes)) {
      const alerts = labelled.filter((item) => item.label === id).map((item) => item.event);
      expect(alerts.length).toBeGreaterThanOrEqual(1);
      for (const alert of alerts) {
        const pod = alert.output_fields["k8s.pod.name"] ?? alert.output_fields["ka.target.name"];
        expect(pod).toBe(episode.pod);
      }
    }
    expect(labelled.map((item) => item.event)).toEqual(sample);
  });

  it("is Warning or above throughout, except the shell that opens the credential theft", () => {
    const attack = labelled.filter((item) => item.label !== "benign");
    const [first, ...rest] = attack.filter((item) => item.label === "shop-credential-theft");
    expect(first?.event).toMatchObject({ rule: "Terminal shell in container", priority: "Notice" });
    expect(rest.map((item) => item.event.rule)).toEqual([
      "Read sensitive file untrusted",
      "Search Private Keys or Passwords",
    ]);
    for (const item of attack.filter((a) => a !== first)) expect(atLeastWarning(item.event)).toBe(true);
  });

  it("keeps the committed file equal to the generator's output (regenerate, don't edit)", () => {
    expect(committed).toBe(toJsonl(sample));
    expect(committed.trimEnd().split("\n")).toHaveLength(sample.length);
  });
});
