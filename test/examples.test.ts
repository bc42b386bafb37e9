import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { FleetConfig } from "../contracts/config.js";
import { topics } from "../contracts/topics.js";
import type { KubeObject } from "../fleet/kube-apiserver/index.js";
import { chartDir, repoRoot } from "../fleet/helm.js";
import { componentEnv, manifestObjects, renderValues, serviceHost } from "./chart.js";
import { kubeconform } from "./kubeconform.js";

const examples = join(repoRoot, "helm", "examples");
const readYaml = (path: string): unknown => parse(readFileSync(path, "utf8"));

interface Application {
  metadata: { name: string };
  spec: {
    source: {
      repoURL: string;
      targetRevision: string;
      path: string;
      helm?: { releaseName?: string; valuesObject?: Record<string, unknown> };
      directory?: { recurse?: boolean; include?: string };
    };
    destination: { server: string; namespace?: string };
    syncPolicy: { automated?: { prune?: boolean; selfHeal?: boolean }; syncOptions?: string[] };
  };
}

describe("the Argo CD Applications of helm/examples/argocd", () => {
  const files = readdirSync(join(examples, "argocd")).map((file) => join(examples, "argocd", file));
  const apps = files.map((file) => readYaml(file) as Application);
  const chartApp = apps.find((app) => app.spec.source.path === relative(repoRoot, chartDir)) as Application;
  const policyApp = apps.find((app) => app.spec.source.path === join("policies", "kyverno")) as Application;
  const namespace = chartApp.spec.destination.namespace ?? "";

  it("are valid Applications by Argo CD's CRD schema (kubeconform -strict, with teeth)", () => {
    const manifest = files.map((file) => readFileSync(file, "utf8")).join("\n---\n");
    expect(kubeconform(manifest)).toEqual({ valid: 2, invalid: 0, errors: 0, skipped: 0 });
    const broken = manifest.replace("selfHeal: true", "selfHeal: yes please");
    expect(kubeconform(broken)).toMatchObject({ invalid: 1 });
  });

  it("sync on their own, pruning and self-healing, server-side, from one repository and revision", () => {
    expect(apps.map((app) => app.metadata.name).sort()).toEqual(["soc-fleet", "soc-fleet-policies"]);
    for (const app of apps) {
      const { source, syncPolicy } = app.spec;
      expect(syncPolicy.automated, app.metadata.name).toEqual({ prune: true, selfHeal: true });
      expect(syncPolicy.syncOptions, app.metadata.name).toContain("ServerSideApply=true");
      expect(statSync(join(repoRoot, source.path)).isDirectory(), source.path).toBe(true);
      expect([source.repoURL, source.targetRevision]).toEqual([
        chartApp.spec.source.repoURL,
        chartApp.spec.source.targetRevision,
      ]);
    }
  });

  it("install the chart with values it accepts, the bot's callbacks at the notify Service, and no Kyverno policy", () => {
    const { helm } = chartApp.spec.source;
    expect(helm?.releaseName).toBe("soc");
    const objects = renderValues(helm?.valuesObject, namespace);
    expect(objects.filter((o) => o.kind === "ClusterPolicy")).toEqual([]);
    const notify = componentEnv(objects, "notify");
    expect(new URL(notify.SOC_BOT_PUBLIC_URL ?? "").host).toBe(
      serviceHost(objects, namespace, "soc-notify", "callbacks"),
    );
    // The bot's configuration as it would load it, the two secrets stubbed.
    const loaded = Object.fromEntries(
      Object.entries(notify).map(([key, value]) => [
        key,
        value.startsWith("secret:") ? "x".repeat(40) : value,
      ]),
    );
    expect(FleetConfig.safeParse(loaded).error?.issues ?? []).toEqual([]);
  });

  it("sync the Kyverno ClusterPolicies the chart would render, binding the fleet's namespace, and not their tests", () => {
    const { directory, path } = policyApp.spec.source;
    // Argo CD's plain-directory source: the top of the folder only, files matching `include`.
    expect(directory).toEqual({ recurse: false, include: "*.yaml" });
    const top = readdirSync(join(repoRoot, path), { withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith(".yaml"))
      .map((entry) => readYaml(join(repoRoot, path, entry.name)) as KubeObject);
    expect(new Set(top.map((o) => `${o.apiVersion ?? ""} ${o.kind ?? ""}`))).toEqual(
      new Set(["kyverno.io/v1 ClusterPolicy"]),
    );
    const rendered = renderValues({ kyverno: { enabled: true } }, namespace).filter(
      (o) => o.kind === "ClusterPolicy",
    );
    const byName = (objects: KubeObject[]) =>
      Object.fromEntries(objects.map((o) => [o.metadata?.name ?? "", o] as const));
    expect(byName(top)).toEqual(byName(rendered));
    // Below the top are the kubectl-kyverno suites: other kinds, which recursing would apply.
    const below = readdirSync(join(repoRoot, path), { recursive: true, encoding: "utf8" })
      .filter((file) => file.includes("/") && file.endsWith(".yaml"))
      .flatMap((file) => parseAllDocuments(readFileSync(join(repoRoot, path, file), "utf8")))
      .map((doc) => (doc.toJS() as KubeObject | null)?.kind);
    expect(below.some((kind) => kind !== "ClusterPolicy")).toBe(true);
  });
});

const prefixed = (prefix: string, keys: string) => keys.split(" ").map((key) => `${prefix}${key}`);
/**
 * The keys these examples may use, as the falcosecurity/falco chart 9.1.0 (Falco 0.44.1) documents
 * them in its values.yaml, and its dependency, the falcosidekick chart 0.14.0 (falcosidekick
 * 2.31.1), documents `config.kafka` in its values.yaml and in docs/outputs/kafka.md.
 */
const documentedKeys = new Set([
  ...prefixed(
    "falco.",
    "json_output json_include_output_property json_include_message_property " +
      "json_include_output_fields_property json_include_tags_property",
  ),
  ...prefixed(
    "falco.http_output.",
    "enabled url user_agent insecure ca_cert ca_bundle ca_path mtls client_cert client_key echo " +
      "compress_uploads keep_alive max_consecutive_timeouts",
  ),
  ...prefixed("mounts.", "volumes volumeMounts"),
  ...prefixed("falcosidekick.", "enabled fullfqdn listenPort"),
  ...prefixed(
    "falcosidekick.config.kafka.",
    "hostport topic sasl tls username password async requiredacks compression balancer " +
      "topiccreation clientid minimumpriority",
  ),
]);
/** What falcosidekick accepts as `requiredacks` (outputs/kafka.go). */
const requiredAcks = ["ALL", "ONE", "NONE"];

/** Every leaf of a values tree as a dotted path. */
function leaves(node: unknown, path = ""): string[] {
  if (typeof node !== "object" || node === null || Array.isArray(node)) return [path];
  return Object.entries(node).flatMap(([key, value]) => leaves(value, path ? `${path}.${key}` : key));
}

interface FalcoValues {
  falco: Record<string, unknown> & {
    http_output?: {
      enabled: boolean;
      url: string;
      mtls?: boolean;
      ca_cert?: string;
      client_cert?: string;
      client_key?: string;
    };
  };
  falcosidekick: { enabled: boolean; config?: { kafka: Record<string, unknown> } };
  mounts?: {
    volumes: { name: string; secret?: { secretName: string } }[];
    volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
  };
}

describe("the Falco and falcosidekick values of helm/examples/falco", () => {
  const http = readYaml(join(examples, "falco", "falco-http-output-values.yaml")) as FalcoValues;
  const kafka = readYaml(join(examples, "falco", "falcosidekick-kafka-values.yaml")) as FalcoValues;

  it("use only keys the falco and falcosidekick charts document", () => {
    for (const values of [http, kafka])
      expect(leaves(values).filter((key) => !documentedKeys.has(key))).toEqual([]);
  });

  it("make Falco write JSON with the properties the prefilter reads", () => {
    for (const values of [http, kafka])
      expect(values.falco).toMatchObject({
        json_output: true,
        json_include_output_property: true,
        json_include_tags_property: true,
        json_include_output_fields_property: true,
      });
  });

  it("post Falco's alerts to the prefilter's ingest Service and path", () => {
    const url = new URL(http.falco.http_output?.url ?? "");
    expect(http.falco.http_output?.enabled).toBe(true);
    expect(url.host).toBe(serviceHost(renderValues({}, "soc-fleet"), "soc-fleet", "soc-prefilter", "ingest"));
    expect(url.pathname).toBe(new URL(FleetConfig.parse({}).ingestUrl).pathname);
    // With falcosidekick on, the falco chart points http_output at falcosidekick.
    expect(http.falcosidekick.enabled).toBe(false);
  });

  it("post over mTLS as `falco`, with the certificate the chart issues in Falco's namespace, which alone reaches the ingest", () => {
    const output = http.falco.http_output;
    expect(new URL(output?.url ?? "").protocol).toBe("https:");
    expect(output?.mtls).toBe(true);
    // cert-manager's Secret of the chart's `falco` Certificate (a ClusterIssuer signs it in Falco's namespace).
    const objects = renderValues(
      { certificates: { createIssuer: false, issuerRef: { name: "corporate-ca", kind: "ClusterIssuer" } } },
      "soc-fleet",
    );
    const certificate = objects.find((o) => o.kind === "Certificate" && o.metadata?.name === "soc-falco") as
      (KubeObject & { spec: { secretName: string; commonName: string } }) | undefined;
    expect(certificate?.spec.commonName).toBe("falco");
    const falcoNamespace = /helm install falco \S+ -n (\S+)/.exec(
      readFileSync(join(examples, "falco", "falco-http-output-values.yaml"), "utf8"),
    )?.[1];
    expect(certificate?.metadata?.namespace).toBe(falcoNamespace);
    const volume = http.mounts?.volumes.find((v) => v.secret?.secretName === certificate?.spec.secretName);
    const mount = http.mounts?.volumeMounts.find((m) => m.name === volume?.name);
    expect(mount?.readOnly).toBe(true);
    expect([output?.ca_cert, output?.client_cert, output?.client_key]).toEqual(
      ["ca.crt", "tls.crt", "tls.key"].map((key) => `${mount?.mountPath ?? "?"}/${key}`),
    );
    // The ingest's NetworkPolicy admits that namespace.
    const policy = objects.find((o) => o.kind === "NetworkPolicy" && o.metadata?.name === "soc-prefilter") as
      (KubeObject & { spec: { ingress: { ports: { port: unknown }[]; from: unknown[] }[] } }) | undefined;
    const ingest = policy?.spec.ingress.find((rule) => rule.ports.some((p) => p.port === "ingest"));
    expect(ingest?.from).toEqual([
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": falcoNamespace } } },
    ]);
  });

  it("have falcosidekick write to the topic the prefilter consumes, acknowledged by every in-sync replica", () => {
    const output = kafka.falcosidekick.config?.kafka ?? {};
    expect(kafka.falcosidekick.enabled).toBe(true);
    expect(output.topic).toBe(topics.events);
    expect(output.requiredacks).toBe("ALL");
    expect(requiredAcks).toContain(output.requiredacks);
    expect(output).toMatchObject({ async: false, topiccreation: false });
    // The same brokers serve as the fleet's KAFKA_BROKERS.
    expect(FleetConfig.safeParse({ KAFKA_BROKERS: output.hostport }).error?.issues ?? []).toEqual([]);
  });

  it("make every topic of the fleet as a valid KafkaTopic, each on two in-sync replicas at least", () => {
    const text = readFileSync(join(examples, "falco", "kafka-topics.yaml"), "utf8");
    expect(kubeconform(text)).toEqual({ valid: 5, invalid: 0, errors: 0, skipped: 0 });
    const made = manifestObjects(text) as (KubeObject & {
      spec: { replicas: number; config: Record<string, number> };
    })[];
    expect(made.map((t) => t.metadata?.name).sort()).toEqual(Object.values(topics).sort());
    for (const topic of made) {
      const minInSync = topic.spec.config["min.insync.replicas"] ?? 1;
      expect(minInSync, topic.metadata?.name).toBeGreaterThanOrEqual(2);
      // A broker may be down and writes with acks=all still succeed.
      expect(topic.spec.replicas, topic.metadata?.name).toBeGreaterThan(minInSync);
    }
  });
});
