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

/** Cilium's CiliumNetworkPolicy CRD (cilium.io/v2), with the schema kubeconform checks the chart with. */
export function ciliumNetworkPolicyCrd(): KubeObject {
  const file = join(repoRoot, "..", "shared", "schemas", "crds", "cilium.io", "ciliumnetworkpolicy_v2.json");
  const schema = JSON.parse(readFileSync(file, "utf8")) as Schema;
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "ciliumnetworkpolicies.cilium.io" },
    spec: {
      group: "cilium.io",
      scope: "Namespaced",
      names: {
        kind: "CiliumNetworkPolicy",
        listKind: "CiliumNetworkPolicyList",
        plural: "ciliumnetworkpolicies",
        singular: "ciliumnetworkpolicy",
        shortNames: ["cnp", "ciliumnp"],
      },
      versions: [
        {
          name: "v2",
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: { openAPIV3Schema: structural(schema) },
        },
      ],
    },
  };
}
