import type { RbacRule } from "../agents/cluster-actions/actions/action.js";
import { responseActions } from "../agents/cluster-actions/actions/index.js";
import { contextRbac } from "../agents/cluster-actions/context.js";
import type { KubeRequest } from "../contracts/cluster.js";
import type { KubeObject } from "../fleet/kube-apiserver/index.js";
import { LiveAgentConfig } from "../fleet/agent-config.js";
import { followAgentConfig } from "../fleet/agent-config-watch.js";
import type { KubeApi } from "../runtime/kube.js";
import { createLogger } from "../runtime/log.js";
import { callsKubernetes, type ComponentName, type FleetCalls } from "./fleet-calls.js";

/** One SubjectAccessReview to send and the answer the code's needs call for. */
export interface AccessCheck {
  serviceAccount: string;
  attributes:
    | { resourceAttributes: Record<string, string> }
    | { nonResourceAttributes: { path: string; verb: string } };
  allowed: boolean;
  what: string;
}

/** One request kind: verb on group/resource[/subresource], optionally of one object by name. */
export interface Access {
  verb: string;
  group: string;
  resource: string;
  name?: string;
}

const accessesOf = (rules: readonly RbacRule[]): Access[] =>
  rules.flatMap((rule) =>
    rule.apiGroups.flatMap((group) =>
      rule.resources.flatMap((resource) => rule.verbs.map((verb) => ({ verb, group, resource }))),
    ),
  );
const key = ({ verb, group, resource, name }: Access) =>
  `${verb} ${group || "core"}/${resource}${name ? ` ${name}` : ""}`;

/** The access a request needs, as RBAC sees it: verb, group, resource[/subresource], object name. */
function accessOf(method: string, path: string, name?: string): Access {
  const [, group = "", , , , resource = "", object, subresource] =
    /^\/apis\/([^/]+)\/([^/]+)\/(namespaces\/([^/]+)\/)?([^/?]+)(?:\/([^/?]+))?(?:\/([^/?]+))?/.exec(path) ??
    [];
  const verbs: Record<string, string> = { POST: "create", PUT: "update", PATCH: "patch", DELETE: "delete" };
  const verb =
    method === "WATCH" ? "watch" : method === "GET" ? (object ? "get" : "list") : (verbs[method] ?? method);
  const target = object ?? name;
  return {
    verb,
    group,
    resource: subresource ? `${resource}/${subresource}` : resource,
    ...(target && { name: target }),
  };
}

/**
 * What an agent sends to the API server to follow its AgentConfig resource
 * (fleet/agent-config-watch.ts), recorded from that code against a fake API: it reads the
 * resource, reports on it in its status, then watches it.
 */
export async function agentConfigAccess(name: string, namespace: string): Promise<Access[]> {
  const accesses: Access[] = [];
  const live = new LiveAgentConfig(null, "test");
  let stop: () => void = () => undefined;
  await new Promise<void>((watching) => {
    const api = {
      namespace,
      send(request: KubeRequest) {
        accesses.push(accessOf(request.method, request.path));
        const body =
          request.method === "GET" ? { metadata: { name, generation: 1, resourceVersion: "1" } } : {};
        return Promise.resolve({ status: 200, body });
      },
      watch(path: string, query: { fieldSelector?: string }, _onEvent: unknown, signal: AbortSignal) {
        accesses.push(accessOf("WATCH", path, query.fieldSelector?.replace(/^metadata\.name=/, "")));
        watching();
        return new Promise<void>((ended) => signal.addEventListener("abort", () => ended(), { once: true }));
      },
    };
    stop = followAgentConfig(api as unknown as KubeApi, name, live, createLogger("test", "silent"));
  });
  stop();
  return accesses;
}

/** What no component may do: read secrets, run code in pods, widen its own rights, disarm the fences. */
const forbidden: Access[] = [
  ...["get", "list", "watch"].map((verb) => ({ verb, group: "", resource: "secrets" })),
  { verb: "delete", group: "", resource: "pods" },
  { verb: "create", group: "", resource: "pods/exec" },
  { verb: "create", group: "", resource: "serviceaccounts/token" },
  { verb: "delete", group: "", resource: "namespaces" },
  { verb: "delete", group: "", resource: "nodes" },
  { verb: "delete", group: "apps", resource: "deployments" },
  { verb: "update", group: "", resource: "configmaps" },
  ...["clusterroles", "clusterrolebindings", "roles", "rolebindings"].flatMap((resource) =>
    ["create", "patch", "escalate", "bind"].map((verb) => ({
      verb,
      group: "rbac.authorization.k8s.io",
      resource,
    })),
  ),
  ...["users", "groups", "serviceaccounts"].map((resource) => ({ verb: "impersonate", group: "", resource })),
  { verb: "create", group: "apiextensions.k8s.io", resource: "customresourcedefinitions" },
  { verb: "delete", group: "admissionregistration.k8s.io", resource: "validatingwebhookconfigurations" },
  { verb: "delete", group: "kyverno.io", resource: "clusterpolicies" },
  { verb: "create", group: "cert-manager.io", resource: "certificates" },
  // The AgentConfig spec is Git's, synced by Argo CD: an agent may report, never rewrite it.
  ...["list", "update", "patch", "delete"].map((verb) => ({
    verb,
    group: "soc.fleet",
    resource: "agentconfigs",
  })),
  { verb: "update", group: "soc.fleet", resource: "agentconfigs/status" },
];

/**
 * The SubjectAccessReviews that show each component's ServiceAccount can do exactly what its code
 * needs: every access its code declares (cluster-actions: the workload context and the response
 * actions the values enable; agents: their own AgentConfig), allowed; every other access any
 * component's code declares, and a sample of what none may do, denied.
 */
export function accessChecks(
  objects: readonly KubeObject[],
  values: Record<string, unknown>,
  calls: FleetCalls,
  namespace: string,
  agentConfig: Record<string, readonly Access[]>,
): AccessCheck[] {
  const rbac = values.rbac as { create: boolean; remediation: { actions: (keyof typeof responseActions)[] } };
  const config = values.config as Record<string, unknown>;
  const needs = (name: ComponentName): readonly Access[] => {
    if (name === "cluster-actions")
      return rbac.create
        ? accessesOf([
            ...contextRbac,
            ...rbac.remediation.actions.flatMap((action) => responseActions[action].rbac),
          ])
        : [];
    return callsKubernetes(calls, name, config) ? (agentConfig[name] ?? []) : [];
  };
  // Everything any component's code may ever need, to check each account holds no one else's.
  const declared = new Map(
    [
      ...accessesOf([...contextRbac, ...Object.values(responseActions).flatMap((action) => action.rbac)]),
      ...Object.values(agentConfig).flat(),
      ...forbidden,
    ].map((access) => [key(access), access]),
  );
  const checks: AccessCheck[] = [];
  for (const name of calls.names) {
    const deployment = objects.find((o) => o.kind === "Deployment" && o.metadata?.name === `soc-${name}`);
    const serviceAccount = (deployment?.spec as { template: { spec: { serviceAccountName: string } } })
      .template.spec.serviceAccountName;
    const own = needs(name);
    const granted = new Set(own.map(key));
    // Workload access is checked cluster-wide and in a workload namespace; AgentConfigs in the release's.
    const where = (access: Access) => (access.group === "soc.fleet" ? [namespace] : ["", "shop"]);
    const review = (access: Access, allowed: boolean) => {
      const [resource = "", subresource = ""] = access.resource.split("/");
      for (const ns of where(access))
        checks.push({
          serviceAccount,
          attributes: {
            resourceAttributes: {
              verb: access.verb,
              group: access.group,
              resource,
              ...(subresource && { subresource }),
              ...(ns && { namespace: ns }),
              ...(access.name && { name: access.name }),
            },
          },
          allowed,
          what: `${name} (${serviceAccount}) ${key(access)}${ns ? ` in ${ns}` : " cluster-wide"}`,
        });
    };
    for (const access of own) review(access, true);
    for (const [access, what] of declared) if (!granted.has(access)) review(what, false);
    if (name === "cluster-actions") {
      // Discovery: isolate_pod asks whether Cilium's policies are served (KubeApi.serves).
      checks.push({
        serviceAccount,
        attributes: { nonResourceAttributes: { path: "/apis/cilium.io/v2", verb: "get" } },
        allowed: true,
        what: `${name} (${serviceAccount}) discovery GET /apis/cilium.io/v2`,
      });
    }
  }
  return checks;
}
