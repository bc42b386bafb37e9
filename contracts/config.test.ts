import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../runtime/config.js";
import { SocError } from "../runtime/errors.js";
import { approversOf, FleetConfig, agentUrls } from "./config.js";

function failure(env: NodeJS.ProcessEnv): SocError {
  try {
    loadConfig(FleetConfig, env);
  } catch (error) {
    if (error instanceof SocError) return error;
    throw error;
  }
  throw new Error("expected loadConfig to throw");
}

describe("FleetConfig's language model", () => {
  it("is none by default, and reads a price table per million tokens", () => {
    expect(loadConfig(FleetConfig, {}).llm).toMatchObject({
      provider: "none",
      model: "",
      tokensPerHour: 0,
      prices: {},
    });
    const config = loadConfig(FleetConfig, {
      SOC_LLM: "openai",
      SOC_LLM_MODEL: "gpt-4o-mini",
      SOC_LLM_PRICES: "gpt-4o-mini=0.15/0.60,local=0/0",
    });
    expect(config.llm.prices).toEqual({ "gpt-4o-mini": { in: 0.15, out: 0.6 }, local: { in: 0, out: 0 } });
  });

  it("refuses openai without a model name, and a price table it cannot read", () => {
    expect(failure({ SOC_LLM: "openai" }).message).toMatch(/SOC_LLM_MODEL: SOC_LLM_MODEL names the model/);
    expect(failure({ SOC_LLM_PRICES: "gpt=cheap" }).message).toMatch(/SOC_LLM_PRICES is model=in\/out/);
  });
});

describe("FleetConfig defaults", () => {
  const config = loadConfig(FleetConfig, {});

  it("uses the documented defaults", () => {
    expect(config.home).toBe(resolve("./.soc"));
    expect(config.host).toBe("127.0.0.1");
    expect(config.certDir).toBe(join(resolve("./.soc"), "certs"));
    expect(config.dataDir).toBe(join(resolve("./.soc"), "data"));
    expect(config.logLevel).toBe("info");
    expect(config.minPriority).toBe("Warning");
    expect(config.agentTimeoutMs).toBe(10_000);
    expect(config.opaTimeoutMs).toBe(2_000);
    expect(config.remediateMode).toBe("dry-run");
    expect(config.opaBin).toBeUndefined();
  });

  it("puts ingest on base+1 and OPA on base+11", () => {
    expect(config.ingestPort).toBe(2801);
    expect(config.ingestUrl).toBe("https://127.0.0.1:2801/falco");
    expect(config.opaUrl).toBe("http://127.0.0.1:2811");
  });

  it("puts agents on base+2…10 and their ops ports 20 above", () => {
    expect(config.port("prefilter")).toBe(2802);
    expect(config.port("coordinator")).toBe(2803);
    expect(config.port("detect")).toBe(2804);
    expect(config.port("analyst")).toBe(2805);
    expect(config.port("reviewer")).toBe(2806);
    expect(config.port("policy-engine")).toBe(2807);
    expect(config.port("remediate")).toBe(2808);
    expect(config.port("cluster-actions")).toBe(2809);
    expect(config.port("notify")).toBe(2810);
    expect(config.opsPort("prefilter")).toBe(2822);
    expect(config.opsPort("notify")).toBe(2830);
  });

  it("gives every component a distinct port, none clashing with ingest, OPA or an ops port", () => {
    const names = [
      "prefilter",
      "coordinator",
      "detect",
      "analyst",
      "reviewer",
      "policy-engine",
      "remediate",
      "cluster-actions",
      "notify",
    ] as const;
    const all = [
      config.ingestPort,
      2811,
      ...names.map((name) => config.port(name)),
      ...names.map((name) => config.opsPort(name)),
    ];
    expect(new Set(all).size).toBe(all.length);
  });

  it("builds https agent URLs on the host", () => {
    expect(config.url("coordinator")).toBe("https://127.0.0.1:2803");
    expect(config.url("operator")).toBe("https://127.0.0.1:2800");
  });
});

describe("FleetConfig from the environment", () => {
  it("derives every port and URL from SOC_PORT_BASE and SOC_HOST", () => {
    const config = loadConfig(FleetConfig, { SOC_PORT_BASE: "5000", SOC_HOST: "10.0.0.7" });
    expect(config.ingestPort).toBe(5001);
    expect(config.ingestUrl).toBe("https://10.0.0.7:5001/falco");
    expect(config.port("reviewer")).toBe(5006);
    expect(config.opsPort("reviewer")).toBe(5026);
    expect(config.url("analyst")).toBe("https://10.0.0.7:5005");
    expect(config.opaUrl).toBe("http://10.0.0.7:5011");
  });

  it("takes Falco's events over mTLS, and over plain HTTP only on a loopback address", () => {
    const local = loadConfig(FleetConfig, { SOC_INGEST_TLS: "plain", SOC_HOST: "127.0.0.1" });
    expect([local.ingestTls, local.ingestUrl]).toEqual(["plain", "http://127.0.0.1:2801/falco"]);
    expect(loadConfig(FleetConfig, { SOC_INGEST_TLS: "plain", SOC_HOST: "::1" }).ingestTls).toBe("plain");
    for (const host of ["0.0.0.0", "10.0.0.7", "soc-prefilter"])
      expect(() => loadConfig(FleetConfig, { SOC_INGEST_TLS: "plain", SOC_HOST: host })).toThrow(
        `SOC_INGEST_TLS: plain HTTP ingest listens only on loopback, not on ${host}`,
      );
  });

  it("reaches each peer at SOC_PEER_HOST with {name} as its component, and listens on SOC_HOST", () => {
    const config = loadConfig(FleetConfig, { SOC_HOST: "0.0.0.0", SOC_PEER_HOST: "soc-{name}.fleet.svc" });
    expect(config.host).toBe("0.0.0.0");
    expect(config.url("coordinator")).toBe("https://soc-coordinator.fleet.svc:2803");
    expect(config.url("policy-engine")).toBe("https://soc-policy-engine.fleet.svc:2807");
    expect(config.opsUrl("detect")).toBe("http://soc-detect.fleet.svc:2824");
    expect(() => loadConfig(FleetConfig, { SOC_PEER_HOST: "soc-{name}/x" })).toThrow(/SOC_PEER_HOST/);
  });

  it("reads approvers with their roles; a name alone is a responder", () => {
    expect(approversOf("alice:incident-commander, @bob:responder+platform-oncall,carol")).toEqual({
      alice: ["incident-commander"],
      bob: ["responder", "platform-oncall"],
      carol: ["responder"],
    });
  });

  it("wants the bot's token, team and channel with MATTERMOST_URL, all named at once", () => {
    expect(() => loadConfig(FleetConfig, { MATTERMOST_URL: "http://chat.example.com" })).toThrow(
      /MATTERMOST_BOT_TOKEN[\s\S]*MATTERMOST_TEAM[\s\S]*MATTERMOST_CHANNEL/,
    );
  });

  it("uses SOC_OPA_URL and SOC_OPA_BIN when given", () => {
    const config = loadConfig(FleetConfig, {
      SOC_OPA_URL: "http://opa.internal:8181",
      SOC_OPA_BIN: "/usr/local/bin/opa",
    });
    expect(config.opaUrl).toBe("http://opa.internal:8181");
    expect(config.opaBin).toBe("/usr/local/bin/opa");
  });

  it("resolves SOC_HOME and puts certificates and data below it", () => {
    const config = loadConfig(FleetConfig, { SOC_HOME: "/var/lib/soc" });
    expect(config.home).toBe("/var/lib/soc");
    expect(config.certDir).toBe("/var/lib/soc/certs");
    expect(config.dataDir).toBe("/var/lib/soc/data");
  });

  it("coerces numbers and takes the other settings", () => {
    const config = loadConfig(FleetConfig, {
      SOC_AGENT_TIMEOUT_MS: "2500",
      SOC_OPA_TIMEOUT_MS: "750",
      SOC_MIN_PRIORITY: "Critical",
      SOC_LOG_LEVEL: "debug",
      SOC_REMEDIATE_MODE: "dry-run",
    });
    expect(config.agentTimeoutMs).toBe(2500);
    expect(config.opaTimeoutMs).toBe(750);
    expect(config.minPriority).toBe("Critical");
    expect(config.logLevel).toBe("debug");
  });

  it("lists the URL of every agent, keyed by name", () => {
    const urls = agentUrls(loadConfig(FleetConfig, { SOC_PORT_BASE: "3000" }));
    expect(urls.coordinator).toBe("https://127.0.0.1:3003");
    expect(urls.notify).toBe("https://127.0.0.1:3010");
    expect(urls.rules).toBe("https://127.0.0.1:3013");
    expect(Object.keys(urls)).toHaveLength(11);
  });
});

describe("FleetConfig problems", () => {
  it("reports a bad port base, a bad priority and an unknown remediation mode in one message", () => {
    const error = failure({
      SOC_PORT_BASE: "not-a-port",
      SOC_MIN_PRIORITY: "Loud",
      SOC_REMEDIATE_MODE: "yolo",
    });
    expect(error.code).toBe("config_invalid");
    const lines = error.message.split("\n");
    expect(lines[0]).toBe("invalid configuration:");
    expect(lines.some((line) => line.startsWith("  SOC_PORT_BASE: "))).toBe(true);
    expect(lines.some((line) => line.startsWith("  SOC_MIN_PRIORITY: "))).toBe(true);
    expect(lines.some((line) => line.startsWith("  SOC_REMEDIATE_MODE: "))).toBe(true);
    expect(lines).toHaveLength(4);
  });

  it("rejects port bases outside 1…65535 and fractional ones", () => {
    for (const base of ["0", "-1", "65536", "2800.5"]) {
      expect(failure({ SOC_PORT_BASE: base }).message, base).toContain("SOC_PORT_BASE: ");
    }
  });

  it("rejects non-positive timeouts, unknown log levels, unknown modes and bad OPA URLs", () => {
    expect(failure({ SOC_AGENT_TIMEOUT_MS: "0" }).message).toContain("SOC_AGENT_TIMEOUT_MS: ");
    expect(failure({ SOC_OPA_TIMEOUT_MS: "-5" }).message).toContain("SOC_OPA_TIMEOUT_MS: ");
    expect(failure({ SOC_LOG_LEVEL: "verbose" }).message).toContain("SOC_LOG_LEVEL: ");
    expect(failure({ SOC_REMEDIATE_MODE: "yolo" }).message).toContain("SOC_REMEDIATE_MODE: ");
    expect(failure({ SOC_OPA_URL: "not a url" }).message).toContain("SOC_OPA_URL: ");
  });
});
