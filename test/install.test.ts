import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { callbackPaths } from "../bot/mattermost/setup.js";
import { approversOf, FleetConfig } from "../contracts/config.js";
import { FalcoEvent } from "../contracts/falco.js";
import { skills } from "../contracts/skills.js";
import { topics } from "../contracts/topics.js";
import { COORDINATOR_GROUP } from "../agents/coordinator/anomalies.js";
import { TRAINING_GROUP_PREFIX } from "../agents/prefilter/features/feedback.js";
import { CONSUMER_GROUP, REKEY_GROUP } from "../agents/prefilter/kafka.js";
import type { KubeObject } from "../fleet/kube-apiserver/index.js";
import { repoRoot } from "../fleet/helm.js";
import { helmBinary } from "../fleet/tools/kubernetes.js";
import { chartValues, componentEnv, manifestObjects, serviceHost, servicePorts } from "./chart.js";

/** The lines of a Markdown text's `sh` blocks (indented ones too), continued lines joined. */
const shellLines = (markdown: string): string[] =>
  [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) =>
    (m[1] ?? "")
      .replace(/\\\n\s*/g, " ")
      .split("\n")
      .map((line) => line.trim()),
  );

/** A documented `helm install`, run by the shell as typed, as `helm template`: what it would install. */
function renderCommand(command: string): KubeObject[] {
  const run = spawnSync("bash", ["-c", command.replace(/^helm install /, '"$HELM" template ')], {
    cwd: repoRoot,
    encoding: "utf8",
    env: { ...process.env, HELM: helmBinary() },
    maxBuffer: 64 << 20,
  });
  expect(run.stderr, command).toBe("");
  return manifestObjects(run.stdout);
}

const defaults = FleetConfig.parse({});
/** The URL a line's `curl -s … <url>` fetches. */
const curlUrl = (line: string) => new URL(/curl -s .*?(https?:\/\/\S+)/.exec(line)?.[1] ?? "");
const curlPort = (line: string) => Number(curlUrl(line).port);

describe("the README's section Install on Kubernetes", () => {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const section = /## Install on Kubernetes\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? "";
  const lines = shellLines(section);
  const helmInstall = lines.find((l) => l.startsWith("helm install ")) ?? "";
  const namespace = /-n (\S+)/.exec(helmInstall)?.[1] ?? "";
  const objects = renderCommand(helmInstall);
  const portOf = (service: string, port: string) =>
    Number(serviceHost(objects, namespace, service, port).split(":")[1]);

  it("installs with one helm install the chart accepts, as helm/README.md does", () => {
    expect(lines.filter((l) => l.startsWith("helm install "))).toHaveLength(1);
    expect(objects.filter((o) => o.kind === "Deployment")).not.toEqual([]);
    const chartReadme = shellLines(readFileSync(join(repoRoot, "helm", "README.md"), "utf8"));
    const installs = chartReadme.filter((l) => l.startsWith("helm install soc "));
    expect(installs).toHaveLength(1);
    for (const command of installs) expect(renderCommand(command).length, command).toBe(objects.length);
  });

  it("gives the bot the Secret it creates, with the keys the chart reads, and every approver", () => {
    const secret = lines.find((l) => l.includes("create secret generic")) ?? "";
    expect(/-n (\S+)/.exec(secret)?.[1]).toBe(namespace);
    const keys = [...secret.matchAll(/--from-literal=(\w+)=/g)].map((m) => m[1]);
    const { secrets } = chartValues() as { secrets: { botTokenKey: string; botSecretKey: string } };
    expect(keys).toEqual([secrets.botTokenKey, secrets.botSecretKey]);
    const notify = componentEnv(objects, "notify");
    expect(notify.MATTERMOST_BOT_TOKEN).toBe(
      `secret:${/create secret generic (\S+)/.exec(secret)?.[1] ?? ""}`,
    );
    // A comma in --set separates values: unescaped, helm refuses the command.
    expect(Object.keys(approversOf(notify.SOC_APPROVERS ?? ""))).toEqual(["alice", "bob"]);
  });

  it("points Mattermost at the notify Service, on the paths the bot registers and serves", () => {
    const publicUrl = new URL(componentEnv(objects, "notify").SOC_BOT_PUBLIC_URL ?? "");
    expect(publicUrl.host).toBe(serviceHost(objects, namespace, "soc-notify", "callbacks"));
    for (const path of Object.values(callbackPaths)) expect(section).toContain(`\`${path}\``);
    // The host to allow in Mattermost's AllowedUntrustedInternalConnections.
    expect(section).toContain(`\`${publicUrl.hostname}\``);
    const ready = /The notify log says `([^`]+)`/.exec(section)?.[1] ?? "";
    expect(readFileSync(join(repoRoot, "bot", "mattermost", "front-end.ts"), "utf8")).toContain(`"${ready}"`);
  });

  it("port-forwards to ports the Services have, and posts a Falco alert the prefilter takes to its ingest", () => {
    for (const line of lines.filter((l) => l.includes(" port-forward "))) {
      const [, service = "", ports = ""] = /port-forward svc\/(\S+) ([\d ]+)/.exec(line) ?? [];
      for (const port of ports.trim().split(" "))
        expect(
          servicePorts(objects, service).map((p) => p.port),
          line,
        ).toContain(Number(port));
    }
    const post = lines.find((l) => l.startsWith("curl ") && l.includes(" -d ")) ?? "";
    expect(curlPort(post)).toBe(portOf("soc-prefilter", "ingest"));
    expect(curlUrl(post).pathname).toBe(new URL(defaults.ingestUrl).pathname);
    expect(curlUrl(post).protocol).toBe(new URL(defaults.ingestUrl).protocol);
    // As Falco: with the certificate the chart issues for `falco`, written from its Secret, and the CA.
    const falco = objects.find((o) => o.kind === "Certificate" && o.metadata?.name === "soc-falco")?.spec as {
      secretName: string;
      commonName: string;
    };
    expect(falco.commonName).toBe("falco");
    const fileOf = (secret: string, key: string) =>
      lines
        .map((l) => /get secret (\S+) .*\{\.data\.([\w\\.]+)\}.*> (\S+)$/.exec(l)?.slice(1) ?? [])
        .find(([s = "", k = ""]) => s === secret && k.replaceAll("\\", "") === key)?.[2];
    expect(/--cert (\S+)/.exec(post)?.[1]).toBe(fileOf(falco.secretName, "tls.crt"));
    expect(/--key (\S+)/.exec(post)?.[1]).toBe(fileOf(falco.secretName, "tls.key"));
    expect(/--cacert (\S+)/.exec(post)?.[1]).toBe(
      fileOf(falco.secretName, "ca.crt") ?? fileOf("soc-operator-tls", "ca.crt"),
    );
    const event = FalcoEvent.safeParse(JSON.parse(/-d '([^']+)'/.exec(post)?.[1] ?? "null"));
    expect(event.error?.issues ?? []).toEqual([]);
    // The counter comes from the prefilter's ops port and is one its code registers.
    const metrics = lines.find((l) => l.includes("/metrics")) ?? "";
    expect(curlPort(metrics)).toBe(portOf("soc-prefilter", "ops"));
    const counter = /grep (\S+)/.exec(metrics)?.[1] ?? "";
    expect(readFileSync(join(repoRoot, "agents", "prefilter", "pipeline.ts"), "utf8")).toContain(
      `"${counter}"`,
    );
  });

  it("lists the Kafka ACLs of every client: the fleet's topics and the consumer groups its code joins", () => {
    const rows = [
      ...section.matchAll(/^\| (\w+) +\| (topic|group) +\| `([^`]+)`[^|]*\| ([\w, ]+?) +\|$/gm),
    ].map(
      ([, principal = "", type = "", name = "", operations = ""]) =>
        `${principal} ${type} ${name}: ${operations}`,
    );
    const { events, keyedEvents, anomalies, deadLetter, feedback } = topics;
    expect(rows.sort()).toEqual(
      [
        `falcosidekick topic ${events}: Write, Describe`,
        `prefilter topic ${events}: Read, Describe`,
        `prefilter group ${REKEY_GROUP}: Read`,
        `prefilter topic ${keyedEvents}: Write, Read, Describe`,
        `prefilter group ${CONSUMER_GROUP}: Read`,
        `prefilter topic ${anomalies}: Write, Describe`,
        `prefilter topic ${deadLetter}: Write, Describe`,
        `coordinator topic ${anomalies}: Read, Describe`,
        `coordinator group ${COORDINATOR_GROUP}: Read`,
        `coordinator topic ${feedback}: Write, Describe`,
        `training topic ${feedback}: Read, Describe`,
        `training group ${TRAINING_GROUP_PREFIX}: Read`,
      ].sort(),
    );
  });

  it("runs `soc status` as the operator, with its certificate where the fleet reads it, at the coordinator", () => {
    // `soc` calls the coordinator's status skill at the default address.
    expect(skills.status.agent).toBe("coordinator");
    expect(skills.status.callers).toContain("operator");
    expect(section).toContain(`port-forward svc/soc-coordinator ${defaults.port("coordinator")} &`);
    // runtime/tls.ts reads <SOC_HOME>/certs/<identity>.crt, <identity>.key and ca.crt.
    const home = /SOC_HOME=(\S+) npx soc status/.exec(section)?.[1] ?? "";
    expect(FleetConfig.parse({ SOC_HOME: home }).certDir).toBe(resolve(home, "certs"));
    const operator = objects.find((o) => o.kind === "Certificate" && o.metadata?.name === "soc-operator")
      ?.spec as { secretName: string; commonName: string };
    expect(operator.commonName).toBe("operator");
    const written = lines
      .filter((l) => l.includes(" get secret "))
      .map((l) => /get secret (\S+) .*\{\.data\.([\w\\.]+)\}.*> (\S+)$/.exec(l)?.slice(1))
      .map(([secret = "", key = "", file = ""] = []) => ({ secret, key: key.replaceAll("\\", ""), file }))
      .filter(({ secret }) => secret === operator.secretName);
    expect(written).toEqual(
      [
        ["tls.crt", "operator.crt"],
        ["tls.key", "operator.key"],
        ["ca.crt", "ca.crt"],
      ].map(([key = "", file = ""]) => ({
        secret: operator.secretName,
        key,
        file: join(home, "certs", file),
      })),
    );
  });
});
