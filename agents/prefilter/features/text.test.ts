import { describe, expect, it } from "vitest";
import { tactics } from "../../analyst/techniques.js";
import { KILL_CHAIN, furthestStage, tacticMask } from "./tactics.js";
import {
  DEFAULT_API_SERVERS,
  SENSITIVE_TARGETS,
  isShellOrInterpreter,
  isWritablePath,
  sensitivePattern,
  shannonEntropy,
} from "./text.js";

describe("shannonEntropy", () => {
  it("is log2 of the alphabet for a uniform string and 0 for one symbol", () => {
    expect(shannonEntropy("")).toBe(0);
    expect(shannonEntropy("aaaa")).toBe(0);
    expect(shannonEntropy("abcd")).toBe(2);
    expect(shannonEntropy("abcdefghabcdefgh")).toBe(3);
    expect(shannonEntropy("aab")).toBeCloseTo(0.9182958340544896, 15);
  });

  it("counts code units beyond Latin-1 and leaves no state behind for the next call", () => {
    expect(shannonEntropy("漢字漢字")).toBe(1);
    expect(shannonEntropy("😀")).toBe(1); // a surrogate pair: two code units
    expect(shannonEntropy("ab")).toBe(1);
    expect(shannonEntropy("ab")).toBe(1);
  });
});

describe("isShellOrInterpreter", () => {
  it("knows shells, busybox and versioned interpreters, not look-alikes", () => {
    const yes = [
      "ash",
      "dash",
      "zsh",
      "ksh",
      "busybox",
      "python",
      "python3",
      "perl5.36",
      "ruby3.2",
      "lua5.4",
    ];
    for (const name of [...yes, "php", "php8.2", "php-fpm", "node", "nodejs"]) {
      expect(isShellOrInterpreter(name), name).toBe(true);
    }
    for (const name of ["shx", "bashful", "nodejs-server", "node_exporter", "perldoc", "", "SH"]) {
      expect(isShellOrInterpreter(name), name).toBe(false);
    }
  });
});

describe("isWritablePath", () => {
  it("flags writable and fileless locations only at the start of the path or as memfd", () => {
    const yes = ["/tmp/x", "/var/tmp/x", "/dev/shm/x", "/proc/self/fd/3", "/proc/1234/fd/5", "memfd:x"];
    for (const path of [...yes, "/var/lib/docker/overlay2/ab12/diff/bin/x"]) {
      expect(isWritablePath(path), path).toBe(true);
    }
    for (const path of ["/usr/bin/tmp", "/opt/tmp/x", "/tmp", "/bin/sh", "/proc/self/exe"]) {
      expect(isWritablePath(path), path).toBe(false);
    }
  });
});

describe("sensitivePattern", () => {
  const pattern = sensitivePattern(DEFAULT_API_SERVERS);

  it("matches every listed target anywhere in a string", () => {
    for (const target of SENSITIVE_TARGETS) expect(pattern.test(`x ${target} y`), target).toBe(true);
    expect(pattern.test("cat /etc/hostname")).toBe(false);
  });

  it("matches the API server's Service address and port 6443 but not a longer port", () => {
    expect(pattern.test("10.42.0.9:51000->10.43.0.1:443")).toBe(true);
    expect(pattern.test("curl https://10.0.0.5:6443/api")).toBe(true);
    expect(pattern.test("10.42.0.9:51000->10.43.0.1:4433")).toBe(false);
    expect(pattern.test("10.42.0.9:64431->10.42.0.7:80")).toBe(false);
    expect(sensitivePattern(["10.0.0.1:443"]).test("10x0x0x1:443")).toBe(false); // dots are literal
  });
});

describe("kill chain", () => {
  it("lists all fourteen tactics once, from Reconnaissance to Impact", () => {
    expect(new Set(KILL_CHAIN).size).toBe(14);
    expect(new Set(KILL_CHAIN)).toEqual(new Set(Object.keys(tactics)));
    expect(KILL_CHAIN[0]).toBe("TA0043");
    expect(KILL_CHAIN[13]).toBe("TA0040");
  });

  it("reads mitre_ tags and tactic ids in any case, and ignores technique ids", () => {
    expect(tacticMask(["mitre_execution"])).toBe(1 << 4);
    expect(tacticMask(["TA0003", "T1059"])).toBe(1 << 5);
    expect(tacticMask(["ta0040", "Mitre_Discovery"])).toBe((1 << 14) | (1 << 9));
    expect(tacticMask(["k8s", "T1611", "container"])).toBe(0);
    expect(furthestStage(tacticMask(["mitre_exfiltration", "mitre_initial_access"]))).toBe(13);
    expect(furthestStage(0)).toBe(0);
  });
});
