import { describe, expect, it } from "vitest";
import {
  tacticFromTags,
  tacticName,
  tactics,
  techniqueFromTags,
  techniqueName,
  techniques,
} from "./techniques.js";

/** Ids in the stable rules of falcosecurity/rules (docs/REFERENCE.md, "Falco"). */
const stableRuleIds = [
  "T1059",
  "T1059.004",
  "T1555",
  "T1552",
  "T1552.001",
  "T1070",
  "T1485",
  "T1557.002",
  "T1611",
  "T1055.008",
  "T1620",
  "T1565",
  "T1622",
];
const containerIds = [
  "T1609",
  "T1610",
  "T1613",
  "T1046",
  "T1105",
  "T1068",
  "T1078",
  "T1003",
  "T1098",
  "T1136",
  "T1190",
  "T1210",
  "T1496",
  "T1562.001",
  "T1548",
  "T1014",
  "T1547.006",
  "T1021.004",
  "T1071",
  "T1083",
  "T1082",
  "T1057",
  "T1049",
  "T1033",
];

describe("catalogue", () => {
  it("names every id the Falco rules and container attacks use", () => {
    for (const id of [...stableRuleIds, ...containerIds]) expect(techniqueName(id), id).not.toBeNull();
  });

  it("has all 14 Enterprise tactics with Falco's tag spelling", () => {
    expect(Object.keys(tactics).sort()).toEqual(
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 40, 42, 43].map((n) => `TA${String(n).padStart(4, "0")}`),
    );
    expect(tactics.TA0011).toEqual({ name: "Command and Control", tag: "mitre_command_and_control" });
    expect(tactics.TA0042.tag).toBe("mitre_resource_development");
    const tags = Object.values(tactics).map((t) => t.tag);
    expect(new Set(tags).size).toBe(14);
    for (const tag of tags) expect(tag).toMatch(/^mitre_[a-z_]+$/);
  });

  it("gives every sub-technique a parent in the catalogue", () => {
    for (const id of Object.keys(techniques)) {
      expect(id).toMatch(/^T\d{4}(\.\d{3})?$/);
      if (id.includes(".")) expect(Object.keys(techniques)).toContain(id.split(".")[0]);
    }
  });
});

describe("techniqueName", () => {
  it("names techniques and sub-techniques the way ATT&CK displays them", () => {
    expect(techniqueName("T1059")).toBe("Command and Scripting Interpreter");
    expect(techniqueName("T1059.004")).toBe("Command and Scripting Interpreter: Unix Shell");
    expect(techniqueName("T1552.001")).toBe("Unsecured Credentials: Credentials In Files");
    expect(techniqueName("T1055.008")).toBe("Process Injection: Ptrace System Calls");
    expect(techniqueName("t1611")).toBe("Escape to Host");
  });

  it("returns null for tactics, malformed and unknown ids", () => {
    for (const id of [
      "TA0003",
      "",
      "T59",
      "T1059.4",
      "T1059.004.1",
      "toString",
      "__proto__",
      "T9999",
      "T1059.999",
    ]) {
      expect(techniqueName(id), id).toBeNull();
    }
  });

  it("names tactics separately", () => {
    expect(tacticName("TA0003")).toBe("Persistence");
    expect(tacticName("T1059")).toBeNull();
  });
});

describe("from Falco tags", () => {
  const terminalShell = ["T1059", "container", "maturity_stable", "mitre_execution", "shell"];
  const dropAndExecute = [
    "PCI_DSS_11.5.1",
    "TA0003",
    "container",
    "maturity_stable",
    "mitre_persistence",
    "process",
  ];

  it("reads the tactic from the mitre_ tag", () => {
    expect(tacticFromTags(terminalShell)).toEqual({ id: "TA0002", name: "Execution" });
    expect(tacticFromTags(["mitre_command_and_control"])).toEqual({
      id: "TA0011",
      name: "Command and Control",
    });
    expect(tacticFromTags(dropAndExecute)).toEqual({ id: "TA0003", name: "Persistence" });
  });

  it("falls back to a bare tactic id, and gives null without either", () => {
    expect(tacticFromTags(["TA0010", "container"])).toEqual({ id: "TA0010", name: "Exfiltration" });
    expect(tacticFromTags(["k8s"])).toBeNull();
    expect(tacticFromTags([])).toBeNull();
    expect(tacticFromTags(["mitre_unknown", "TA9999"])).toBeNull();
  });

  it("prefers the most specific technique", () => {
    expect(techniqueFromTags(terminalShell)).toEqual({
      id: "T1059",
      name: "Command and Scripting Interpreter",
    });
    expect(techniqueFromTags(["T1059", "T1059.004", "shell"])).toEqual({
      id: "T1059.004",
      name: "Command and Scripting Interpreter: Unix Shell",
    });
  });

  it("falls back from an unknown sub-technique to its known parent", () => {
    expect(techniqueFromTags(["T1059.999"])).toEqual({
      id: "T1059",
      name: "Command and Scripting Interpreter",
    });
    expect(techniqueFromTags(["T1059.999", "T1611"])).toEqual({ id: "T1611", name: "Escape to Host" });
  });

  it("does not take a tactic id, a compliance tag or an unknown id for a technique", () => {
    expect(techniqueFromTags(dropAndExecute)).toBeNull();
    expect(techniqueFromTags(["k8s"])).toBeNull();
    expect(techniqueFromTags(["T9999"])).toBeNull();
  });
});
