import { FleetConfig } from "../contracts/config.js";
import type { KubeObject } from "../fleet/kube-apiserver/index.js";
import { callsKubernetes, type ComponentName, type FleetCalls } from "./fleet-calls.js";

/**
 * One connection a policy allows, as text: `in 2802/TCP from detect`, `out 53/UDP to {…peer…}`,
 * `out 9092/TCP to any`. A peer that selects one component's pods (in the release's namespace) is
 * that component's name; any other peer is its JSON.
 */
export type Flow = string;

type Peer = Record<string, unknown>;
type Port = { port?: number | string; protocol?: string };

/** The component a peer selects, if it selects exactly one component's pods and nothing else. */
function componentOf(peer: Peer): string | null {
  // A NetworkPolicy peer holds a podSelector; a Cilium endpoint selector is one itself.
  const selector = (Object.keys(peer).length === 1 ? (peer.podSelector ?? peer) : {}) as {
    matchLabels?: Record<string, string>;
    matchExpressions?: unknown;
  };
  const labels = selector.matchLabels ?? {};
  const fleet = labels["app.kubernetes.io/name"] === "soc-fleet" && Object.keys(labels).length === 2;
  return fleet && !selector.matchExpressions ? (labels["app.kubernetes.io/component"] ?? null) : null;
}

const peerName = (peer: Peer) => componentOf(peer) ?? JSON.stringify(peer);

/** The flows of a Kubernetes NetworkPolicy; named ports as numbers, by the selected pods' `ports`. */
export function networkPolicyFlows(policy: KubeObject, named: Record<string, number>): Flow[] {
  const spec = policy.spec as {
    ingress?: { ports?: Port[]; from?: Peer[] }[];
    egress?: { ports?: Port[]; to?: Peer[] }[];
  };
  const port = ({ port = "any", protocol = "TCP" }: Port) =>
    `${typeof port === "string" && port in named ? String(named[port]) : String(port)}/${protocol}`;
  const flows = (direction: "in" | "out", word: string, rules: { ports?: Port[]; peers?: Peer[] }[]) =>
    rules.flatMap(({ ports = [{}], peers }) =>
      ports.flatMap((p) =>
        (peers?.length ? peers.map(peerName) : ["any"]).map(
          (peer) => `${direction} ${port(p)} ${word} ${peer}`,
        ),
      ),
    );
  return [
    ...flows(
      "in",
      "from",
      (spec.ingress ?? []).map((r) => ({ ...r, peers: r.from })),
    ),
    ...flows(
      "out",
      "to",
      (spec.egress ?? []).map((r) => ({ ...r, peers: r.to })),
    ),
  ].sort();
}

/** The flows of a CiliumNetworkPolicy: endpoints by component, entities as `entity:<name>`. */
export function ciliumPolicyFlows(policy: KubeObject): Flow[] {
  type Rule = {
    fromEndpoints?: Peer[];
    toEndpoints?: Peer[];
    toEntities?: string[];
    toPorts?: { ports?: Port[] }[];
  };
  const spec = policy.spec as { ingress?: Rule[]; egress?: Rule[] };
  const flows = (direction: "in" | "out", word: string, rules: Rule[]) =>
    rules.flatMap((rule) => {
      const peers = [
        ...(rule.fromEndpoints ?? rule.toEndpoints ?? []).map(peerName),
        ...(rule.toEntities ?? []).map((entity) => `entity:${entity}`),
      ];
      const ports = rule.toPorts?.flatMap((p) => p.ports ?? []) ?? [{}];
      return ports.flatMap(({ port = "any", protocol = "TCP" }) =>
        (peers.length ? peers : ["any"]).map(
          (peer) => `${direction} ${String(port)}/${protocol} ${word} ${peer}`,
        ),
      );
    });
  return [...flows("in", "from", spec.ingress ?? []), ...flows("out", "to", spec.egress ?? [])].sort();
}

export interface NetworkValues {
  config: Record<string, unknown>;
  falcoNamespace: string;
  database: { urlSecret: { name: string }; port: number };
  networkPolicy: {
    opsFrom: Peer[];
    ingestFrom: Peer[];
    callbacksFrom: Peer[];
    egress: {
      enabled: boolean;
      dnsTo: Peer[];
      kafkaTo: Peer[];
      databaseTo: Peer[];
      llmTo: Peer[];
      mattermostTo: Peer[];
      opaTo: Peer[];
      kubernetesApiTo: Peer[];
      kubernetesApiPorts: number[];
      extra: unknown[];
    };
  };
}

/**
 * The flows a component's policies must allow, from who calls whom in the code and the values: the
 * calls between components (the Cilium policy holds only these and the API server), then what the
 * NetworkPolicy adds: scrapes, the ingest, the callbacks, DNS and the services outside the fleet.
 */
export function expectedFlows(
  name: ComponentName,
  calls: FleetCalls,
  values: NetworkValues,
): { cilium: Flow[]; networkPolicy: Flow[] } {
  const mattermost = typeof values.config.MATTERMOST_URL === "string" ? values.config.MATTERMOST_URL : "";
  const opa = typeof values.config.SOC_OPA_URL === "string" ? values.config.SOC_OPA_URL : "";
  const config = FleetConfig.parse({
    SOC_PORT_BASE: String(values.config.SOC_PORT_BASE),
    ...(mattermost && {
      MATTERMOST_URL: mattermost,
      MATTERMOST_BOT_TOKEN: "token",
      MATTERMOST_TEAM: "team",
      MATTERMOST_CHANNEL: "channel",
    }),
  });
  const { egress } = values.networkPolicy;
  const to = (peers: Peer[]) => (peers.length ? peers.map(peerName) : ["any"]);
  const internal: Flow[] = [
    ...calls.callers[name].map((caller) => `in ${config.port(name)}/TCP from ${caller}`),
    ...calls.opsReaders[name].map((reader) => `in ${config.opsPort(name)}/TCP from ${reader}`),
  ];
  const outside: Flow[] = [
    ...values.networkPolicy.opsFrom.map((peer) => `in ${config.opsPort(name)}/TCP from ${peerName(peer)}`),
  ];
  if (name === "prefilter")
    outside.push(
      ...[
        { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": values.falcoNamespace } } },
        ...values.networkPolicy.ingestFrom,
      ].map((p) => `in ${config.ingestPort}/TCP from ${peerName(p)}`),
    );
  if (name === "notify" && config.mattermost)
    outside.push(
      ...values.networkPolicy.callbacksFrom.map(
        (p) => `in ${config.mattermost?.port}/TCP from ${peerName(p)}`,
      ),
    );
  const api = callsKubernetes(calls, name, values.config);
  if (egress.enabled) {
    for (const callee of calls.names.filter((n) => calls.callers[n].includes(name)))
      internal.push(`out ${config.port(callee)}/TCP to ${callee}`);
    for (const peer of calls.names.filter((n) => calls.opsReaders[n].includes(name)))
      internal.push(`out ${config.opsPort(peer)}/TCP to ${peer}`);
    outside.push(
      ...["UDP", "TCP"].flatMap((protocol) => to(egress.dnsTo).map((p) => `out 53/${protocol} to ${p}`)),
    );
    const brokers = typeof values.config.KAFKA_BROKERS === "string" ? values.config.KAFKA_BROKERS : "";
    if (calls.uses[name].includes("kafka") && brokers)
      for (const port of new Set(brokers.split(",").map((broker) => broker.split(":").at(-1))))
        outside.push(...to(egress.kafkaTo).map((p) => `out ${port ?? ""}/TCP to ${p}`));
    if (calls.uses[name].includes("postgres") && values.database.urlSecret.name)
      outside.push(...to(egress.databaseTo).map((p) => `out ${String(values.database.port)}/TCP to ${p}`));
    const portOf = (url: URL) => url.port || (url.protocol === "https:" ? "443" : "80");
    if (calls.uses[name].includes("mattermost") && mattermost)
      outside.push(...to(egress.mattermostTo).map((p) => `out ${portOf(new URL(mattermost))}/TCP to ${p}`));
    const baseUrl = values.config.OPENAI_BASE_URL;
    const llm =
      values.config.SOC_LLM !== "openai"
        ? ""
        : typeof baseUrl === "string" && baseUrl
          ? baseUrl
          : "https://api.openai.com/v1";
    if (calls.uses[name].includes("llm") && llm)
      outside.push(...to(egress.llmTo).map((p) => `out ${portOf(new URL(llm))}/TCP to ${p}`));
    // An OPA of its own; the sidecar on loopback is no network call.
    const loopback = /^(127\.|localhost$|\[::1\]$)/;
    if (calls.uses[name].includes("opa") && opa && !loopback.test(new URL(opa).hostname))
      outside.push(...to(egress.opaTo).map((p) => `out ${portOf(new URL(opa))}/TCP to ${p}`));
    if (api)
      for (const port of egress.kubernetesApiPorts)
        outside.push(...to(egress.kubernetesApiTo).map((p) => `out ${port}/TCP to ${p}`));
  }
  const cilium = [...internal, ...(api && egress.enabled ? ["out any/TCP to entity:kube-apiserver"] : [])];
  return { cilium: cilium.sort(), networkPolicy: [...internal, ...outside].sort() };
}
