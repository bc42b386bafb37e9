import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../helm.js";
import type { KubeObject } from "./client.js";

type Schema = { [keyword: string]: unknown };
const isSchema = (value: unknown): value is Schema => typeof value === "object" && value !== null;

/**
 * A JSON Schema made strict for kubeconform, turned back into the structural schema a CRD carries.
 * The API server refuses `additionalProperties` beside `properties` ("mutual exclusive"), which the
 * strict flavour adds to every object: dropped, as the server prunes unknown fields itself. It also
 * refuses `$schema` and drops `$id`, should a catalog file carry them. Only keywords are rewritten:
 * a property that happens to be named `type` or `items` is left alone.
 */
function structural(schema: Schema): Schema {
  const result: Schema = {};
  for (const [keyword, value] of Object.entries(schema)) {
    if (keyword === "$schema" || keyword === "$id") continue;
    if (keyword === "additionalProperties" && value === false) continue;
    if (keyword === "properties" && isSchema(value))
      result[keyword] = Object.fromEntries(
        Object.entries(value).map(([name, property]) => [
          name,
          isSchema(property) ? structural(property) : property,
        ]),
      );
    else if (["items", "additionalProperties", "not"].includes(keyword) && isSchema(value))
      result[keyword] = structural(value);
    else if (["anyOf", "oneOf", "allOf"].includes(keyword) && Array.isArray(value))
      result[keyword] = (value as unknown[]).map((branch) =>
        isSchema(branch) ? structural(branch) : branch,
      );
    else result[keyword] = value;
  }
  return result;
}

/** The shared CRD schemas (datreeio/CRDs-catalog): `{group}/{kind}_{version}.json`, kinds in lower case. */
export const crdCatalog = join(repoRoot, "..", "shared", "schemas", "crds");

/** A kind's plural resource name, as the projects of the catalog name theirs. */
const plural = (kind: string) => {
  const lower = kind.toLowerCase();
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return /(s|x|ch|sh)$/.test(lower) ? `${lower}es` : `${lower}s`;
};

/**
 * The CRD of `kind` in `group`/`version`, with the schema of the shared catalog (the one kubeconform
 * checks the chart with). Kinds named Cluster… (ClusterIssuer, ClusterPolicy,
 * CiliumClusterwideNetworkPolicy) are cluster-scoped, as in their projects.
 */
export function catalogCrd(group: string, kind: string, version: string): KubeObject {
  const file = join(crdCatalog, group, `${kind.toLowerCase()}_${version}.json`);
  const schema = JSON.parse(readFileSync(file, "utf8")) as Schema;
  const resource = plural(kind);
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${resource}.${group}` },
    spec: {
      group,
      scope: /^Cluster|Clusterwide/.test(kind) ? "Cluster" : "Namespaced",
      names: { kind, listKind: `${kind}List`, plural: resource, singular: kind.toLowerCase() },
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: { openAPIV3Schema: structural(schema) },
        },
      ],
    },
  };
}

/** Cilium's CiliumNetworkPolicy CRD (cilium.io/v2), with the schema kubeconform checks the chart with. */
export function ciliumNetworkPolicyCrd(): KubeObject {
  return catalogCrd("cilium.io", "CiliumNetworkPolicy", "v2");
}
