import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { AgentConfig } from "../contracts/agent-config.js";
import { FleetConfig } from "../contracts/config.js";
import { responseActions } from "../agents/cluster-actions/actions/index.js";
import { contextRbac } from "../agents/cluster-actions/context.js";
import { CONSUMER_GROUP, REKEY_GROUP } from "../agents/prefilter/kafka.js";
import { topics } from "../contracts/topics.js";
import { modelAgents } from "../fleet/agent-config.js";
import { components } from "../fleet/components.js";
import { chartCopies, chartDir, copiedFolders } from "../fleet/helm.js";
import { helmBinary } from "../fleet/tools/kubernetes.js";
import { dashboardFile, ruleFiles } from "./alert-rules.js";
import { allOptionsValues, helmTemplate, kedaValues, manifestObjects } from "./chart.js";
import { kubeconform } from "./kubeconform.js";

const log = (line: string) => process.stdout.write(`${line}\n`);

/** Everything optional switched on, as an installation with every integration would set it. */
const everythingFile = allOptionsValues;

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    fieldRef?: { fieldPath: string };
  };
}
interface Probe {
  httpGet: { path: string; port: string };
}
interface Container {
  name: string;
  env?: EnvVar[];
  ports?: { name: string; containerPort: number }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string }[];
  resources?: { limits?: { memory?: string } };
}
interface PodSpec {
  serviceAccountName: string;
  automountServiceAccountToken: boolean;
  securityContext: Record<string, unknown>;
  containers: Container[];
  volumes: { name: string; secret?: { secretName: string; items: { key: string; path: string }[] } }[];
}

let helm = "";
let work = "";

beforeAll(() => {
  helm = helmBinary(log);
  work = mkdtempSync(join(tmpdir(), "soc-helm-test-"));
  // kubeconform checks the AgentConfig resources against the chart's own CRD, as a JSON schema.
  mkdirSync(join(work, "soc.fleet"));
  writeFileSync(join(work, "soc.fleet", "agentconfig_v1alpha1.json"), JSON.stringify(crdJsonSchema()));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function helmRun(args: string[]) {
  return spawnSync(helm, args, { encoding: "utf8", maxBuffer: 64 << 20 });
}

/** `helm template` → the rendered text, CRDs included; throws with helm's message if it refuses. */
const renderText = (valueFiles: string[] = [], namespace = "soc-fleet"): string =>
  helmTemplate(valueFiles, { namespace, includeCrds: true });

const render = (valueFiles: string[] = [], namespace?: string): K8sObject[] =>
  manifestObjects(renderText(valueFiles, namespace)) as K8sObject[];

/** Why `helm template` refuses these values (written as a values file); empty if it renders them. */
function refusal(values: unknown): string {
  const file = join(work, "refused.yaml");
  writeFileSync(file, JSON.stringify(values));
  try {
    renderText([file]);
    return "";
  } catch (error) {
    return String(error);
  }
}

const find = (objects: K8sObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);
const podSpec = (deployment: K8sObject) => (deployment.spec as { template: { spec: PodSpec } }).template.spec;

/** kubeconform -strict over a rendered manifest: core kinds offline, CRD kinds from ../shared and the chart's own. */
const kubeconformSummary = (manifest: string) => kubeconform(manifest, [work]);

/** The CRD's openAPIV3Schema as the JSON schema kubeconform -strict wants: closed objects, metadata typed. */
function crdJsonSchema(): Record<string, unknown> {
  const crd = parse(readFileSync(join(chartDir, "crds", "agentconfigs.soc.fleet.yaml"), "utf8")) as {
    spec: { versions: { schema: { openAPIV3Schema: Record<string, unknown> } }[] };
  };
  const close = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(close);
    if (node === null || typeof node !== "object") return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node))
      if (!key.startsWith("x-kubernetes-")) out[key] = close(value);
    if (out.type === "object" && out.properties && !("additionalProperties" in out))
      out.additionalProperties = false;
    return out;
  };
  const schema = close(crd.spec.versions[0]?.schema.openAPIV3Schema) as {
    properties: Record<string, unknown>;
  };
  schema.properties.apiVersion = { enum: ["soc.fleet/v1alpha1"] };
  schema.properties.kind = { enum: ["AgentConfig"] };
  schema.properties.metadata = { type: "object", required: ["name"] };
  return schema;
}

describe("the Helm chart helm/soc-fleet", () => {
  it("passes `helm lint --strict` with the default values and with everything enabled", () => {
    for (const values of [[], ["--values", everythingFile]]) {
      const run = helmRun(["lint", "--strict", chartDir, ...values]);
      expect(run.stdout + run.stderr, values.join(" ")).toContain("0 chart(s) failed");
      expect(run.status).toBe(0);
    }
  });

  it("renders only objects kubeconform -strict finds valid, with each set of values", () => {
    for (const values of [[], [everythingFile], [everythingFile, kedaValues]]) {
      const manifest = renderText(values);
      const count = render(values).length;
      expect(kubeconformSummary(manifest), values.join()).toEqual({
        valid: count,
        invalid: 0,
        errors: 0,
        skipped: 0,
      });
    }
    const kinds = new Set(render([everythingFile]).map((o) => `${o.apiVersion} ${o.kind}`));
    for (const kind of [
      "cert-manager.io/v1 Certificate",
      "monitoring.coreos.com/v1 ServiceMonitor",
      "monitoring.coreos.com/v1 PrometheusRule",
      "kyverno.io/v1 ClusterPolicy",
      "cilium.io/v2 CiliumNetworkPolicy",
      "soc.fleet/v1alpha1 AgentConfig",
      "batch/v1 CronJob",
      "policy/v1 PodDisruptionBudget",
      "autoscaling/v2 HorizontalPodAutoscaler",
    ])
      expect(kinds).toContain(kind);
    const withKeda = render([everythingFile, kedaValues]).map((o) => `${o.apiVersion} ${o.kind}`);
    expect(withKeda).toContain("keda.sh/v1alpha1 ScaledObject");
  });

  it("kubeconform catches a broken object of each kind of schema (the check has teeth)", () => {
    const manifest = renderText([everythingFile])
      .replace("enableServiceLinks: false", "enableServiceLinks: false\n      hostNetwrk: true")
      .replace("isCA: true", "isCA: true\n  commonNmae: typo")
      .replace(/(apiVersion: soc.fleet\/v1alpha1\nkind: AgentConfig[\s\S]*?\n {4}maxTokens: )512/, "$1lots");
    expect(kubeconformSummary(manifest)).toMatchObject({ invalid: 3, errors: 0 });
  });

  it("runs every component as a Deployment whose environment is a valid FleetConfig, probed on its ops port", () => {
    for (const objects of [render(), render([everythingFile])]) {
      const names = components.map((c) => c.name).sort();
      const deployments = objects.filter((o) => o.kind === "Deployment");
      expect(deployments.map((d) => d.metadata.name).sort()).toEqual(names.map((n) => `soc-${n}`).sort());
      for (const name of names) {
        const pod = podSpec(find(objects, "Deployment", `soc-${name}`) as K8sObject);
        const main = pod.containers.find((c) => c.name === name) as Container;
        // The process reads only these names: the config it would load, with the secrets stubbed.
        // A value from a Secret stands in as one the configuration accepts, the pod's name as a pod's.
        const fromSecret = (name: string) =>
          name === "SOC_DATABASE_URL" ? "postgres://db/soc" : "x".repeat(40);
        const env = Object.fromEntries(
          (main.env ?? []).map((e) => [
            e.name,
            e.value ??
              (e.valueFrom?.secretKeyRef
                ? fromSecret(e.name)
                : e.valueFrom?.fieldRef
                  ? `soc-${name}-7d9c8b6f5-x2x9q`
                  : ""),
          ]),
        );
        const parsed = FleetConfig.safeParse(env);
        expect(parsed.error?.issues ?? [], name).toEqual([]);
        const config = parsed.data as FleetConfig;
        const ports = Object.fromEntries((main.ports ?? []).map((p) => [p.name, p.containerPort]));
        expect(ports.ops, name).toBe(config.opsPort(name));
        expect(Object.values(ports), name).toContain(config.port(name));
        expect(main.livenessProbe?.httpGet, name).toEqual({ path: "/healthz", port: "ops" });
        expect(main.readinessProbe?.httpGet, name).toEqual({ path: "/readyz", port: "ops" });
        // V8's heap limit is two fifths of the container's memory limit: the heaps never grow into it.
        const memory = /^(\d+)(Mi|Gi)$/.exec(main.resources?.limits?.memory ?? "");
        const mebibytes = memory ? Number(memory[1]) * (memory[2] === "Gi" ? 1024 : 1) : Number.NaN;
        expect(env.NODE_OPTIONS, name).toBe(
          `--max-old-space-size=${String(Math.floor((mebibytes * 2) / 5))}`,
        );
        // Non-root, read-only, no capabilities, default seccomp: pod and every container.
        expect(pod.securityContext, name).toMatchObject({
          runAsNonRoot: true,
          seccompProfile: { type: "RuntimeDefault" },
        });
        expect(pod.securityContext.runAsUser, name).not.toBe(0);
        for (const container of pod.containers) {
          expect(container.securityContext, `${name}/${container.name}`).toMatchObject({
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
          });
        }
        // The certificate lands where runtime/tls.ts looks: <certDir>/<name>.crt, <name>.key, ca.crt.
        const certs = pod.volumes.find((v) => v.name === "certs");
        expect(certs?.secret?.secretName).toBe(`soc-${name}-tls`);
        expect(certs?.secret?.items.map((i) => i.path)).toEqual([`${name}.crt`, `${name}.key`, "ca.crt"]);
        expect(main.volumeMounts?.find((m) => m.name === "certs")?.mountPath).toBe(config.certDir);
        const certificate = find(objects, "Certificate", `soc-${name}`);
        expect(certificate?.spec).toMatchObject({ commonName: name, secretName: `soc-${name}-tls` });
        // Secrets come from a Secret, never from values, and reach the bot alone.
        for (const secret of ["MATTERMOST_BOT_TOKEN", "SOC_BOT_SECRET"])
          expect(main.env?.find((e) => e.name === secret)?.value, `${name} ${secret}`).toBeUndefined();
        if (name !== "notify")
          expect(
            Object.keys(env).filter((k) => k.startsWith("MATTERMOST_")),
            name,
          ).toEqual([]);
      }
    }
    const notify = podSpec(find(render([everythingFile]), "Deployment", "soc-notify") as K8sObject)
      .containers[0];
    expect(notify?.env?.find((e) => e.name === "MATTERMOST_BOT_TOKEN")?.valueFrom?.secretKeyRef).toEqual({
      name: "soc-fleet-bot",
      key: "MATTERMOST_BOT_TOKEN",
    });
  });

  it("reaches every name of contracts/config.ts through values (config, or secrets for the four secrets)", () => {
    const values = parse(readFileSync(join(chartDir, "values.yaml"), "utf8")) as {
      config: Record<string, unknown>;
      secrets: {
        botTokenKey: string;
        botSecretKey: string;
        llm: { apiKeyKey: string };
        forge: { tokenKey: string };
      };
    };
    const secretNames = [
      values.secrets.botTokenKey,
      values.secrets.botSecretKey,
      values.secrets.llm.apiKeyKey,
      values.secrets.forge.tokenKey,
    ];
    expect(secretNames).toEqual([
      "MATTERMOST_BOT_TOKEN",
      "SOC_BOT_SECRET",
      "OPENAI_API_KEY",
      "SOC_FORGE_TOKEN",
    ]);
    // Kafka's CA file and password come from kafka.caSecret and kafka.passwordSecret, the database's
    // URL from database.urlSecret, each pod's replica name from its own; the image says where its
    // falco-lang and the Falco project's rules and schemas are.
    secretNames.push(
      "KAFKA_CA_FILE",
      "KAFKA_SASL_PASSWORD",
      "SOC_DATABASE_URL",
      "SOC_REPLICA",
      "SOC_FALCO_LANG_BIN",
      "SOC_FALCO_DATA",
    );
    expect([...Object.keys(values.config), ...secretNames].sort()).toEqual(
      Object.keys(FleetConfig.in.shape).sort(),
    );
  });

  it("gives the coordinator and the bot their PostgreSQL URL from database.urlSecret, and then no volume", () => {
    const stateOf = (objects: K8sObject[], name: string) => {
      const pod = podSpec(find(objects, "Deployment", `soc-${name}`) as K8sObject);
      return {
        url: pod.containers[0]?.env?.find((e) => e.name === "SOC_DATABASE_URL")?.valueFrom?.secretKeyRef,
        data: pod.volumes.some((v) => v.name === "data"),
        claim: find(objects, "PersistentVolumeClaim", `soc-${name}-data`) !== undefined,
      };
    };
    const objects = render([everythingFile]);
    for (const name of ["coordinator", "notify"]) {
      expect(stateOf(render(), name), name).toEqual({ url: undefined, data: true, claim: true });
      expect(stateOf(objects, name), name).toEqual({
        url: { name: "soc-db-app", key: "uri" },
        data: false,
        claim: false,
      });
    }
    // The URL reaches those two alone.
    const holders = ["soc-coordinator", "soc-notify"];
    for (const deployment of objects.filter(
      (o) => o.kind === "Deployment" && !holders.includes(o.metadata.name),
    ))
      expect(
        podSpec(deployment).containers[0]?.env?.some((e) => e.name === "SOC_DATABASE_URL"),
        deployment.metadata.name,
      ).toBe(false);
  });

  it("runs the coordinator and the bot as replicas only on PostgreSQL, each pod holding leases by its name, a disruption budget keeping one up", () => {
    const objects = render([everythingFile]);
    for (const name of ["coordinator", "notify"]) {
      const deployment = find(objects, "Deployment", `soc-${name}`) as K8sObject;
      const spec = deployment.spec as {
        replicas: number;
        strategy: { type: string; rollingUpdate: unknown };
      };
      expect(spec.replicas, name).toBe(2);
      // 25 % of two: one more pod at a time, none less, through a rollout.
      expect(spec.strategy, name).toEqual({
        type: "RollingUpdate",
        rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" },
      });
      expect(
        podSpec(deployment).containers[0]?.env?.find((e) => e.name === "SOC_REPLICA"),
        name,
      ).toEqual({
        name: "SOC_REPLICA",
        valueFrom: { fieldRef: { fieldPath: "metadata.name" } },
      });
      expect(find(objects, "PodDisruptionBudget", `soc-${name}`)?.spec, name).toMatchObject({
        maxUnavailable: 1,
      });
    }
    expect(refusal({ components: { coordinator: { replicas: 2 } } })).toContain(
      "components.coordinator.replicas above 1 needs database.urlSecret",
    );
    expect(refusal({ components: { notify: { replicas: 3 } } })).toContain(
      "components.notify.replicas above 1 needs database.urlSecret",
    );
    expect(
      refusal({
        database: { urlSecret: { name: "soc-db-app" } },
        components: { "cluster-actions": { replicas: 2 } },
      }),
    ).toContain("components.cluster-actions.replicas: one replica");
    expect(
      refusal({
        database: { urlSecret: { name: "soc-db-app" } },
        components: { coordinator: { replicas: 3 } },
      }),
    ).toBe("");
  });

  it("mounts the embedded model's volume read-only in the pods that ask a model, and only there", () => {
    const volume = { persistentVolumeClaim: { claimName: "llm-models", readOnly: true } };
    const file = join(work, "embedded.yaml");
    writeFileSync(
      file,
      JSON.stringify({
        config: { SOC_LLM: "embedded", SOC_LLM_MODEL: "/models/SmolLM2-135M-Instruct.Q4_1.gguf" },
        llmModels: { volume },
      }),
    );
    const served = join(work, "served.yaml");
    writeFileSync(served, JSON.stringify({ config: { SOC_LLM: "openai" }, llmModels: { volume } }));
    const [embedded, withServer] = [render([file]), render([served])];
    const mounts = (name: string, objects = embedded) => {
      const pod = podSpec(find(objects, "Deployment", `soc-${name}`) as K8sObject);
      const mount = pod.containers[0]?.volumeMounts?.find((m) => m.name === "llm-models");
      return { mount, volume: pod.volumes.find((v) => v.name === "llm-models") };
    };
    for (const name of modelAgents) {
      expect(mounts(name), name).toEqual({
        mount: { name: "llm-models", mountPath: "/models", readOnly: true },
        volume: { name: "llm-models", ...volume },
      });
    }
    for (const name of ["detect", "coordinator", "notify"])
      expect(mounts(name), name).toEqual({ mount: undefined, volume: undefined });
    // With a model server, nobody mounts it.
    expect(mounts("analyst", withServer)).toEqual({ mount: undefined, volume: undefined });
  });

  it("refuses values that break values.schema.json: helm template fails", () => {
    // Each refusal names the offending value (helm prints the JSON pointer of every violation).
    const bad: [string, unknown, string][] = [
      ["negative port base", { config: { SOC_PORT_BASE: -1 } }, "/config/SOC_PORT_BASE"],
      [
        "an unknown remediation mode",
        { config: { SOC_REMEDIATE_MODE: "yolo" } },
        "/config/SOC_REMEDIATE_MODE",
      ],
      [
        "Mattermost without the bot's Secret",
        {
          config: {
            MATTERMOST_URL: "https://chat.example.com",
            MATTERMOST_TEAM: "t",
            MATTERMOST_CHANNEL: "c",
          },
        },
        "/secrets",
      ],
      ["a misspelt value", { metrics: { serviceMonitr: { enabled: true } } }, "serviceMonitr"],
      ["training without events", { training: { enabled: true } }, "/training/events/existingClaim"],
    ];
    for (const [what, values, pointer] of bad) {
      const message = refusal(values);
      expect(message, what).toContain("values don't meet the specifications of the schema");
      expect(message, what).toContain(pointer);
    }
    const ok = join(work, "ok.yaml");
    writeFileSync(ok, JSON.stringify({ config: { SOC_PORT_BASE: 4000 } }));
    const deployment = find(render([ok]), "Deployment", "soc-detect") as K8sObject;
    expect(podSpec(deployment).containers[0]?.ports?.find((p) => p.name === "ops")?.containerPort).toBe(4024);
  });

  it("carries copies of agents/*/agent-config.yaml, policies/kyverno and the Rego bundle equal to their sources", () => {
    const copies = chartCopies();
    expect(copies.filter((c) => c.copy.startsWith(join("files", "agents"))).length).toBeGreaterThanOrEqual(4);
    expect(copies.filter((c) => c.copy.startsWith(join("files", "kyverno"))).length).toBeGreaterThanOrEqual(
      5,
    );
    for (const { copy, text } of copies) {
      expect(readFileSync(join(chartDir, copy), "utf8"), `${copy}: run node dist/fleet/helm.js sync`).toBe(
        text(),
      );
    }
    // Nothing stale: the copied folders hold the copies and nothing else.
    const present = copiedFolders.flatMap((folder) =>
      readdirSync(join(chartDir, folder), { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => relative(chartDir, join(entry.parentPath, entry.name))),
    );
    expect(present.sort()).toEqual(copies.map((c) => c.copy).sort());
  });

  it("renders the alert rule files, the dashboard, the AgentConfigs and the Kyverno policies unchanged (namespace aside)", () => {
    const objects = render([everythingFile], "security");
    // One PrometheusRule per rule file, and none from the promtool tests beside them.
    const rules = objects.filter((o) => o.kind === "PrometheusRule");
    expect(rules.map((o) => o.metadata.name).sort()).toEqual(
      ruleFiles().map((file) => `soc-${basename(file, ".yaml")}`),
    );
    for (const file of ruleFiles())
      expect(find(objects, "PrometheusRule", `soc-${basename(file, ".yaml")}`)?.spec, file).toEqual(
        parse(readFileSync(file, "utf8")),
      );
    const dashboard = find(objects, "ConfigMap", "soc-fleet-dashboard") as K8sObject & {
      data: Record<string, string>;
    };
    expect(dashboard.metadata).toMatchObject({ labels: { grafana_dashboard: "1" } });
    expect(dashboard.data).toEqual({ "soc-fleet.json": readFileSync(dashboardFile, "utf8").trimEnd() });
    expect(find(render(), "ConfigMap", "soc-fleet-dashboard")).toBeUndefined();
    for (const { source, copy, text } of chartCopies()) {
      // Objects only: the remediation rules are read into the ClusterRole (checked above).
      if (!copy.endsWith(".yaml") || copy.startsWith(join("files", "remediation"))) continue;
      const original = parse(text()) as K8sObject;
      const rendered = find(objects, original.kind, original.metadata.name);
      const expected = JSON.parse(
        JSON.stringify(original).replaceAll('"namespace":"soc-fleet"', '"namespace":"security"'),
      ) as unknown;
      expect(rendered, source).toEqual(expected);
      if (original.kind === "AgentConfig") expect(AgentConfig.safeParse(rendered).success, source).toBe(true);
    }
    // The Kyverno policies bind the ServiceAccount cluster-actions runs as, in the release's namespace.
    const account = podSpec(
      find(objects, "Deployment", "soc-cluster-actions") as K8sObject,
    ).serviceAccountName;
    const subjects = objects
      .filter((o) => o.kind === "ClusterPolicy")
      .flatMap((o) => JSON.stringify(o).match(/"subjects":\[[^\]]*\]/g) ?? []);
    expect(subjects.length).toBeGreaterThan(0);
    for (const s of subjects) expect(s).toContain(`"name":"${account}","namespace":"security"`);
  });

  it("defines the AgentConfig CRD with the schema of contracts/agent-config.ts", () => {
    const crd = find(render(), "CustomResourceDefinition", "agentconfigs.soc.fleet") as K8sObject;
    expect(crd.spec).toMatchObject({ group: "soc.fleet", names: { kind: "AgentConfig" } });
    const version = (crd.spec as { versions: { name: string; schema: { openAPIV3Schema: unknown } }[] })
      .versions[0];
    expect(`${(crd.spec as { group: string }).group}/${version?.name}`).toBe(
      AgentConfig.shape.apiVersion.value,
    );
    const jsonSchema: unknown = z.toJSONSchema(AgentConfig, { io: "input" });
    const fromZod = (jsonSchema as { properties: { spec: unknown } }).properties.spec;
    const fromCrd = (version?.schema.openAPIV3Schema as { properties: { spec: unknown } }).properties.spec;
    // The keywords both can say; the CRD adds bounds for CEL, zod says "exclusiveMinimum 0" for "minimum 1".
    const essentials = (node: unknown): unknown => {
      if (node === null || typeof node !== "object" || Array.isArray(node)) return node;
      const n = node as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const key of ["type", "enum", "default", "pattern", "maximum", "required"]) {
        const value = n[key];
        if (value !== undefined) out[key] = typeof value === "string" ? value.replaceAll("\\/", "/") : value;
      }
      if (n.exclusiveMinimum === 0 || n.minimum === 1) out.minimum = 1;
      if (n.items) out.items = essentials(n.items);
      if (n.properties)
        out.properties = Object.fromEntries(Object.entries(n.properties).map(([k, v]) => [k, essentials(v)]));
      return out;
    };
    expect(essentials(fromCrd)).toEqual(essentials(fromZod));
  });

  it("grants the remediation identity just the rights remediation needs", () => {
    // Which pods get a token (those whose code calls the API) is checked against the code, and the
    // rights against a real API server, in test/chart.e2e.test.ts.
    const objects = render();
    const role = find(objects, "ClusterRole", "soc-fleet-remediation") as { rules: unknown[] } & K8sObject;
    // Isolation by default: the rules the two actions declare, and nothing else.
    expect(role.rules).toEqual([
      ...contextRbac,
      ...responseActions.isolate_pod.rbac,
      ...responseActions.label_pod.rbac,
    ]);
    const everyAction = find(render([everythingFile]), "ClusterRole", "soc-fleet-remediation") as {
      rules: unknown[];
    } & K8sObject;
    expect(everyAction.rules).toEqual([
      ...contextRbac,
      ...Object.values(responseActions).flatMap((action) => action.rbac),
    ]);
    // The values schema names exactly the registry's actions, so a typo fails at `helm install`.
    const schema = JSON.parse(readFileSync(join(chartDir, "values.schema.json"), "utf8")) as {
      properties: {
        rbac: { properties: { remediation: { properties: { actions: { items: { enum: string[] } } } } } };
      };
    };
    expect(schema.properties.rbac.properties.remediation.properties.actions.items.enum).toEqual(
      Object.keys(responseActions),
    );
    const typo = join(work, "typo.yaml");
    writeFileSync(typo, JSON.stringify({ rbac: { remediation: { actions: ["isolate_pods"] } } }));
    expect(helmRun(["template", "soc", chartDir, "--values", typo]).stderr).toMatch(
      /actions\/0.*must be one of .isolate_pod., .label_pod./,
    );
    const binding = find(objects, "ClusterRoleBinding", "soc-fleet-remediation") as {
      subjects: unknown[];
    } & K8sObject;
    expect(binding.subjects).toEqual([
      { kind: "ServiceAccount", name: "soc-remediate", namespace: "soc-fleet" },
    ]);
    expect(podSpec(find(objects, "Deployment", "soc-cluster-actions") as K8sObject).serviceAccountName).toBe(
      "soc-remediate",
    );
  });

  it("lets an MCP server's port be reached only by the callers its definition names", async () => {
    const objects = render();
    for (const entry of components) {
      const definition = await entry.load();
      if (definition.kind !== "mcp") continue;
      const policy = find(objects, "NetworkPolicy", `soc-${entry.name}`) as K8sObject;
      const ingress = (
        policy.spec as {
          ingress: {
            ports: { port: string }[];
            from: { podSelector?: { matchLabels: Record<string, string> } }[];
          }[];
        }
      ).ingress;
      const mcp = ingress.find((rule) => rule.ports.some((p) => p.port === "mcp"));
      const from = mcp?.from.map((peer) => peer.podSelector?.matchLabels["app.kubernetes.io/component"]);
      expect(from?.sort(), entry.name).toEqual([...definition.callers].sort());
    }
  });

  it("keeps the OPA bundle's layout: every file of files/policies mounted at its path", () => {
    const objects = render();
    const configMap = find(objects, "ConfigMap", "soc-fleet-policies") as {
      data: Record<string, string>;
    } & K8sObject;
    const pod = podSpec(find(objects, "Deployment", "soc-policy-engine") as K8sObject);
    const volume = pod.volumes.find((v) => v.name === "policies") as unknown as {
      configMap: { items: { key: string; path: string }[] };
    };
    const bundle = chartCopies().filter((c) => c.copy.startsWith(join("files", "policies")));
    expect(volume.configMap.items.map((i) => i.path).sort()).toEqual(
      bundle.map((c) => relative(join("files", "policies"), c.copy)).sort(),
    );
    for (const item of volume.configMap.items)
      expect(configMap.data[item.key], item.path).toBe(
        readFileSync(join(chartDir, "files", "policies", item.path), "utf8"),
      );
    expect(pod.containers.map((c) => c.name).sort()).toEqual(["opa", "policy-engine"]);
    const engineEnv = pod.containers.find((c) => c.name === "policy-engine")?.env ?? [];
    const opaArgs = (pod.containers.find((c) => c.name === "opa") as unknown as { args: string[] }).args;
    const opaUrl = new URL(engineEnv.find((e) => e.name === "SOC_OPA_URL")?.value ?? "");
    expect(opaArgs).toContain(`--addr=${opaUrl.host}`);
  });

  it("scales the prefilter by an HPA on CPU or by KEDA on its consumer group's lag, never both", () => {
    const scalers = (objects: K8sObject[]) =>
      objects
        .filter((o) => o.kind === "HorizontalPodAutoscaler" || o.kind === "ScaledObject")
        .map((o) => `${o.kind}/${o.metadata.name}`);
    const replicas = (objects: K8sObject[], name: string) =>
      (find(objects, "Deployment", `soc-${name}`)?.spec as { replicas?: number }).replicas;
    const defaults = render();
    expect(scalers(defaults)).toEqual([]);
    expect(replicas(defaults, "prefilter")).toBe(1);

    const hpa = render([everythingFile]);
    expect(scalers(hpa)).toEqual(["HorizontalPodAutoscaler/soc-prefilter"]);
    expect(find(hpa, "HorizontalPodAutoscaler", "soc-prefilter")?.spec).toEqual({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "soc-prefilter" },
      minReplicas: 2,
      maxReplicas: 6,
      metrics: [
        {
          type: "Resource",
          resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } },
        },
      ],
    });
    // The autoscaler owns the prefilter's replicas, so an upgrade or a sync does not reset them.
    expect(replicas(hpa, "prefilter")).toBeUndefined();
    expect(replicas(hpa, "detect")).toBe(1);

    // KEDA watches the group and topic the prefilter's code consumes, at the brokers it is given.
    const keda = render([everythingFile, kedaValues]);
    expect(scalers(keda)).toEqual(["ScaledObject/soc-prefilter"]);
    const env = podSpec(find(keda, "Deployment", "soc-prefilter") as K8sObject).containers[0]?.env ?? [];
    expect(find(keda, "ScaledObject", "soc-prefilter")?.spec).toEqual({
      scaleTargetRef: { name: "soc-prefilter" },
      minReplicaCount: 2,
      maxReplicaCount: 6,
      // Both stages: re-keying falco.events, and scoring the keyed topic.
      triggers: [
        [REKEY_GROUP, topics.events],
        [CONSUMER_GROUP, topics.keyedEvents],
      ].map(([consumerGroup, topic]) => ({
        type: "kafka",
        metadata: {
          bootstrapServers: env.find((e) => e.name === "KAFKA_BROKERS")?.value,
          consumerGroup,
          topic,
          lagThreshold: "500",
          // The prefilter subscribes from the beginning: a partition without a commit lags from its start.
          offsetResetPolicy: "earliest",
        },
      })),
    });
    expect(replicas(keda, "prefilter")).toBeUndefined();

    const kafka = { config: { KAFKA_BROKERS: "kafka:9092" } };
    const refused: [string, unknown, string][] = [
      [
        "both autoscalers",
        { ...kafka, components: { prefilter: { autoscaling: { enabled: true }, keda: { enabled: true } } } },
        "components.prefilter.autoscaling.enabled and components.prefilter.keda.enabled are both true",
      ],
      [
        "KEDA without Kafka",
        { components: { prefilter: { keda: { enabled: true } } } },
        "components.prefilter.keda.enabled needs config.KAFKA_BROKERS",
      ],
      [
        "a minimum above the maximum",
        { components: { prefilter: { autoscaling: { enabled: true, minReplicas: 4, maxReplicas: 2 } } } },
        "components.prefilter.autoscaling.minReplicas (4) is above maxReplicas (2)",
      ],
      // The prefilter also serves the HTTP ingest: never scaled to zero.
      [
        "KEDA down to zero",
        { ...kafka, components: { prefilter: { keda: { enabled: true, minReplicas: 0 } } } },
        "/components/prefilter/keda/minReplicas",
      ],
      // The other components keep state (cases, the journal, the outbox): no autoscaler for them.
      [
        "an autoscaler for the coordinator",
        { components: { coordinator: { autoscaling: { enabled: true } } } },
        "/components/coordinator",
      ],
    ];
    for (const [what, values, reason] of refused) expect(refusal(values), what).toContain(reason);
  });

  it("gives the rules repository, its forge token and the Falco settings to the rules agent alone, and lets it reach the forge", () => {
    const file = join(work, "rules-repository.yaml");
    writeFileSync(
      file,
      JSON.stringify({
        config: {
          SOC_RULES_REPO: "https://git.example.org:3000/security/falco-rules.git",
          SOC_FORGE: "gitea",
        },
        secrets: { forge: { existingSecret: "soc-fleet-forge" } },
        networkPolicy: { enabled: true, egress: { enabled: true } },
      }),
    );
    const objects = render([file]);
    for (const { name } of components) {
      const env = Object.fromEntries(
        (
          (podSpec(find(objects, "Deployment", `soc-${name}`) as K8sObject).containers[0] as Container).env ??
          []
        ).map((e) => [e.name, e]),
      );
      const rulesNames = Object.keys(env).filter((key) => /^(SOC_RULES_|SOC_FORGE|SOC_FALCO_)/.test(key));
      if (name !== "rules") {
        expect(rulesNames, name).toEqual([]);
        continue;
      }
      expect(env.SOC_FORGE_TOKEN?.valueFrom?.secretKeyRef).toEqual({
        name: "soc-fleet-forge",
        key: "SOC_FORGE_TOKEN",
      });
      expect(env.SOC_RULES_REPO?.value).toBe("https://git.example.org:3000/security/falco-rules.git");
    }
    const policy = find(objects, "NetworkPolicy", "soc-rules") as K8sObject;
    const egress = (policy.spec as { egress: { ports?: { port: number }[] }[] }).egress;
    expect(egress.some((rule) => rule.ports?.some((p) => p.port === 3000))).toBe(true);
    // Without the token's Secret, the render names what is missing.
    const bare = join(work, "rules-no-secret.yaml");
    writeFileSync(
      bare,
      JSON.stringify({ config: { SOC_RULES_REPO: "https://github.com/acme/falco-rules" } }),
    );
    expect(() => render([bare])).toThrow(
      /secrets.forge.existingSecret is required with config.SOC_RULES_REPO/,
    );
  });

  it("gives Kafka's TLS and SASL settings, CA and password to the Kafka clients alone, each a valid configuration", () => {
    const file = join(work, "kafka-secured.yaml");
    writeFileSync(
      file,
      JSON.stringify({
        config: {
          KAFKA_BROKERS: "kafka-kafka-bootstrap.kafka.svc:9093",
          KAFKA_TLS: "true",
          KAFKA_SASL_MECHANISM: "scram-sha-512",
          KAFKA_SASL_USERNAME: "soc-fleet",
        },
        kafka: { caSecret: { name: "kafka-cluster-ca-cert" }, passwordSecret: { name: "soc-fleet" } },
        training: { enabled: true, events: { existingClaim: "falco-events" } },
      }),
    );
    const objects = render([file]);
    const cronJob = find(objects, "CronJob", "soc-prefilter-training") as K8sObject;
    const job = (cronJob.spec as { jobTemplate: { spec: { template: { spec: PodSpec } } } }).jobTemplate.spec
      .template.spec;
    const pods: [string, PodSpec][] = [
      ...components.map((c): [string, PodSpec] => [
        c.name,
        podSpec(find(objects, "Deployment", `soc-${c.name}`) as K8sObject),
      ]),
      ["training", job],
    ];
    for (const [name, pod] of pods) {
      const main = pod.containers[0] as Container;
      const env = Object.fromEntries((main.env ?? []).map((e) => [e.name, e]));
      const kafkaNames = Object.keys(env).filter((key) => key.startsWith("KAFKA_"));
      if (!["prefilter", "coordinator", "training"].includes(name)) {
        expect(kafkaNames, name).toEqual([]);
        continue;
      }
      expect(env.KAFKA_SASL_PASSWORD?.valueFrom?.secretKeyRef, name).toEqual({
        name: "soc-fleet",
        key: "password",
      });
      const values = Object.fromEntries(
        Object.entries(env).map(([key, e]) => [key, e.value ?? (e.valueFrom ? "x".repeat(40) : "")]),
      );
      const parsed = FleetConfig.safeParse(values);
      expect(parsed.error?.issues ?? [], name).toEqual([]);
      const kafka = (parsed.data as FleetConfig).kafka;
      expect(kafka.sasl, name).toMatchObject({ mechanism: "scram-sha-512", username: "soc-fleet" });
      // The CA file is the CA Secret's key, mounted where KAFKA_CA_FILE points.
      const mount = main.volumeMounts?.find((m) => kafka.tls?.caFile?.startsWith(`${m.mountPath}/`));
      const volume = pod.volumes.find((v) => v.name === mount?.name);
      expect(volume?.secret?.secretName, name).toBe("kafka-cluster-ca-cert");
      expect(volume?.secret?.items, name).toEqual([
        { key: "ca.crt", path: kafka.tls?.caFile?.split("/").pop() },
      ]);
    }
    // Half a configuration is refused at render, not by a crashing pod.
    expect(refusal({ config: { KAFKA_SASL_MECHANISM: "scram-sha-512" } })).toContain(
      "kafka.passwordSecret.name",
    );
    expect(refusal({ kafka: { caSecret: { name: "kafka-cluster-ca-cert" } } })).toContain("config.KAFKA_TLS");
  });

  it("schedules the weekly retraining with the schedule from values", () => {
    const cronJob = find(render([everythingFile]), "CronJob", "soc-prefilter-training");
    expect(cronJob?.spec).toMatchObject({ schedule: "0 3 * * 0", concurrencyPolicy: "Forbid" });
    expect(JSON.stringify(cronJob)).toContain("dist/fleet/python.js train");
    expect(find(render(), "CronJob", "soc-prefilter-training")).toBeUndefined();
  });
});
