import { describe, expect, it } from "vitest";
import { falcoEvent, featureSeries, type Spec } from "./fixture.js";
import { FEATURE_COUNT, FEATURE_NAMES, FeatureExtractor, UNKNOWN } from "./index.js";

/** One feature test per feature, through the extractor as the scorer and the export use it. */

const one = (name: string, spec: Spec = {}) => featureSeries(name, [spec])[0];

describe("FEATURE_NAMES", () => {
  it("names 17 distinct snake_case features", () => {
    expect(FEATURE_NAMES).toHaveLength(FEATURE_COUNT);
    expect(new Set(FEATURE_NAMES).size).toBe(17);
    for (const name of FEATURE_NAMES) expect(name).toMatch(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
  });

  it("refuses an output array too short to hold them", () => {
    expect(() => new FeatureExtractor().extract(falcoEvent({}), new Float64Array(16))).toThrow(RangeError);
  });
});

describe("priority", () => {
  it("is Falco's rank, Debug 0 to Emergency 7, whatever the case of the priority", () => {
    expect(one("priority", { priority: "Debug" })).toBe(0);
    expect(one("priority", { priority: "warning" })).toBe(3);
    expect(one("priority", { priority: "CRITICAL" })).toBe(5);
    expect(one("priority", { priority: "Emergency" })).toBe(7);
  });
});

describe("rule_rarity", () => {
  it("is ln 2 for the first event and falls for a common rule while a new rule is rare", () => {
    const common = Array.from({ length: 50 }, (_, i) => ({ at: i, rule: "Common" }));
    const values = featureSeries("rule_rarity", [...common, { at: 51, rule: "Fresh" }]);
    expect(values[0]).toBeCloseTo(Math.LN2, 12);
    // The 50th event of "Common" has seen 49 of 49: -ln(50/51).
    expect(values[49]).toBeCloseTo(-Math.log(50 / 51), 5);
    expect(values[50]).toBeCloseTo(Math.log(52), 5);
  });

  it("is within the image: the same rule on another pod of it is not new, in another image it is", () => {
    const values = featureSeries("rule_rarity", [
      { rule: "R", fields: { "k8s.pod.name": "a" } },
      { rule: "S", fields: { "k8s.pod.name": "b" } },
      { rule: "R", fields: { "k8s.pod.name": "c" } },
      { rule: "R", fields: { "k8s.pod.name": "d", "container.image.repository": "other/image" } },
    ]);
    expect(values[2]).toBeCloseTo(-Math.log(2 / 4), 12); // one R among two events of the image
    expect(values[3]).toBeCloseTo(Math.LN2, 12); // the first event of its image
  });

  it("forgets a rule unseen for days, so it is rare again", () => {
    const values = featureSeries("rule_rarity", [
      { at: 0, rule: "Old" },
      ...Array.from({ length: 20 }, (_, i) => ({ at: 1000 + i, rule: "Other" })),
      { at: 3 * 86_400_000, rule: "Other" },
      { at: 3 * 86_400_000 + 1, rule: "Old" },
    ]);
    expect(values[22]).toBeCloseTo(Math.log(2 + 1), 1);
  });
});

describe("kill_chain_stage", () => {
  it("orders tactics along the matrix and takes the furthest one", () => {
    expect(one("kill_chain_stage", { tags: ["mitre_execution"] })).toBe(4);
    expect(one("kill_chain_stage", { tags: ["TA0003"] })).toBe(5);
    expect(one("kill_chain_stage", { tags: ["mitre_discovery", "mitre_impact"] })).toBe(14);
    expect(one("kill_chain_stage", { tags: ["MITRE_Credential_Access"] })).toBe(8);
  });

  it("is 0 for rules without a MITRE tactic, such as k8s_audit's", () => {
    expect(one("kill_chain_stage", { tags: ["k8s"] })).toBe(0);
  });
});

describe("is_container", () => {
  it("is 1 in a container, 0 on the host, -1 when Falco names no container", () => {
    expect(one("is_container")).toBe(1);
    expect(one("is_container", { fields: { "container.id": "host" } })).toBe(0);
    expect(one("is_container", { fields: { "container.id": null } })).toBe(UNKNOWN);
  });
});

describe("cmdline_length and cmdline_entropy", () => {
  it("measure the command line, -1 without one", () => {
    expect(one("cmdline_length", { fields: { "proc.cmdline": "sh -c id" } })).toBe(8);
    expect(one("cmdline_entropy", { fields: { "proc.cmdline": "abab" } })).toBe(1);
    expect(one("cmdline_length", { fields: { "proc.cmdline": null } })).toBe(UNKNOWN);
    expect(one("cmdline_entropy", { fields: { "proc.cmdline": null } })).toBe(UNKNOWN);
  });

  it("ranks a base64 payload above an ordinary command", () => {
    const payload = "echo aGVsbG8gd29ybGQgdGhpcyBpcyBhIHBheWxvYWQgWm1GclpRbz0K | base64 -d | sh";
    expect(one("cmdline_entropy", { fields: { "proc.cmdline": payload } })).toBeGreaterThan(
      one("cmdline_entropy", { fields: { "proc.cmdline": "sh -c cp pg_wal/0001 /archive/0001" } }) ?? 9,
    );
  });
});

describe("is_shell_or_interpreter", () => {
  it("is 1 for shells and interpreters, 0 for other processes, -1 without a process", () => {
    for (const name of ["sh", "bash", "busybox", "python3.12", "perl", "node", "php-fpm8.2"]) {
      expect(one("is_shell_or_interpreter", { fields: { "proc.name": name } }), name).toBe(1);
    }
    for (const name of ["nginx", "node-agent", "shred", "java"]) {
      expect(one("is_shell_or_interpreter", { fields: { "proc.name": name } }), name).toBe(0);
    }
    expect(one("is_shell_or_interpreter", { fields: { "proc.name": null } })).toBe(UNKNOWN);
  });
});

describe("is_root", () => {
  it("reads uid 0, falls back to the user name, -1 when Falco had neither", () => {
    expect(one("is_root", { fields: { "user.uid": 0 } })).toBe(1);
    expect(one("is_root", { fields: { "user.uid": 1000, "user.name": "root" } })).toBe(0);
    expect(one("is_root", { fields: { "user.uid": null, "user.name": "root" } })).toBe(1);
    expect(one("is_root", { fields: { "user.uid": null, "user.name": null } })).toBe(UNKNOWN);
  });
});

describe("has_tty", () => {
  it("is 1 for a terminal (kubectl exec -it), 0 without, -1 when unknown", () => {
    expect(one("has_tty", { fields: { "proc.tty": 34816 } })).toBe(1);
    expect(one("has_tty", { fields: { "proc.tty": 0 } })).toBe(0);
    expect(one("has_tty", { fields: { "proc.tty": null } })).toBe(UNKNOWN);
  });
});

describe("exe_in_writable_path", () => {
  it("flags /tmp, /dev/shm, memfd and Falco's upper-layer verdict", () => {
    for (const path of ["/tmp/.x/kworkerd", "/dev/shm/a", "/memfd:kworker (deleted)", "/proc/self/fd/3"]) {
      expect(one("exe_in_writable_path", { fields: { "proc.exepath": path } }), path).toBe(1);
    }
    const upper = { "proc.exepath": "/usr/local/bin/app", "proc.is_exe_upper_layer": true };
    expect(one("exe_in_writable_path", { fields: upper })).toBe(1);
    expect(one("exe_in_writable_path", { fields: { "proc.exepath": "/usr/bin/tmp/x" } })).toBe(0);
    expect(one("exe_in_writable_path", { fields: { "proc.exepath": null } })).toBe(UNKNOWN);
  });
});

describe("sensitive_target", () => {
  it("flags credentials, tokens, the API server and cloud metadata in fd.name or the cmdline", () => {
    const hits: Record<string, string | null>[] = [
      { "fd.name": "/etc/shadow" },
      { "proc.cmdline": "cat /var/run/secrets/kubernetes.io/serviceaccount/token" },
      { "fd.name": "10.42.0.9:51234->10.96.0.1:443" },
      { "fd.name": "10.42.0.9:51234->192.168.1.10:6443" },
      { "proc.cmdline": "curl http://169.254.169.254/latest/meta-data/iam/" },
      { "proc.cmdline": "cat /root/.ssh/id_rsa" },
    ];
    for (const fields of hits) expect(one("sensitive_target", { fields }), JSON.stringify(fields)).toBe(1);
    expect(one("sensitive_target", { fields: { "fd.name": "10.42.0.9:64431->10.42.3.3:80" } })).toBe(0);
    expect(one("sensitive_target", { fields: { "fd.name": null, "proc.cmdline": null } })).toBe(UNKNOWN);
  });

  it("takes the installation's own API server address", () => {
    const extractor = new FeatureExtractor({ apiServers: ["10.0.0.1:443"] });
    const spec = { fields: { "fd.name": "10.42.0.9:40000->10.0.0.1:443" } };
    expect(featureSeries("sensitive_target", [spec], extractor)).toEqual([1]);
    expect(one("sensitive_target", spec)).toBe(0);
  });
});
