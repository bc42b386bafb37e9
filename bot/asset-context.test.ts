import { describe, expect, it } from "vitest";
import { emptyContext, type AssetContext } from "../contracts/cluster.js";
import { escalatedCase, storefrontContext } from "../test/fixtures.js";
import { contextLines, type Medium } from "./asset-context.js";

/** Marks every value read from outside, and records the limit it was given. */
const limits: number[] = [];
const marked: Medium = {
  value: (raw, max) => {
    limits.push(max);
    return `‹${raw}›`;
  },
  name: (name) => `${name}:`,
};

const lines = (context: AssetContext) => contextLines(context, escalatedCase, marked);

describe("contextLines", () => {
  it("shows a found pod: status, owners top first down to the pod, placement, images, labels, annotations", () => {
    expect(lines(storefrontContext)).toEqual([
      "cluster: ‹found› · the pod exists and runs the image the event names · ‹pod shop/storefront-7d9c8b6f5-x2x9q of ReplicaSet storefront-7d9c8b6f5 of Deployment storefront›",
      "owners: ‹Deployment shop/storefront ← ReplicaSet storefront-7d9c8b6f5 ← Pod storefront-7d9c8b6f5-x2x9q› · 3 replicas",
      "node: ‹worker-2› · service account: ‹storefront›",
      "images: ‹app=ghcr.io/acme/storefront:1.4.2 sha256:3f2a9c1b7d4e›, ‹envoy=envoyproxy/envoy:v1.29 digest unknown›",
      "labels: ‹app=storefront›, ‹pod-template-hash=7d9c8b6f5›, ‹team=web›",
      "annotations: ‹kubectl.kubernetes.io/restartedAt=2026-11-20T08:00:00Z›",
      "namespace labels: ‹pod-security.kubernetes.io/enforce=baseline›",
    ]);
  });

  it("says why for every status that is not found, with the detail", () => {
    const why = (status: AssetContext["status"]) => lines(emptyContext(status, "d"))[0];
    expect(why("not_found")).toBe(
      "cluster: ‹not_found› · the pod named by the event does not exist in the cluster · ‹d›",
    );
    expect(why("image_mismatch")).toBe(
      "cluster: ‹image_mismatch› · the pod runs another image than the event names · ‹d›",
    );
    expect(why("unavailable")).toBe("cluster: ‹unavailable› · the API server could not be read · ‹d›");
    expect(why("no_cluster")).toBe(
      "cluster: ‹no_cluster› · no cluster is configured, nothing was checked · ‹d›",
    );
    expect(why("not_a_pod")).toBe("cluster: ‹not_a_pod› · the event names no pod, nothing to look up · ‹d›");
  });

  it("shows only the status of a pod that was not read, and what else was (its namespace's labels)", () => {
    expect(lines(emptyContext("unavailable", "the API server could not be read: timeout"))).toHaveLength(1);
    const missing = { ...emptyContext("not_found", "gone"), namespace_labels: { team: "web" } };
    expect(lines(missing)).toEqual([
      "cluster: ‹not_found› · the pod named by the event does not exist in the cluster · ‹gone›",
      "namespace labels: ‹team=web›",
    ]);
  });

  it("keeps the owners of a pod that runs another image, and names a pod without owners bare", () => {
    const mismatch = { ...storefrontContext, status: "image_mismatch" as const };
    expect(lines(mismatch)[1]).toMatch(/^owners: ‹Deployment shop\/storefront ← /);
    const bare = { ...storefrontContext, owners: [], replicas: null };
    expect(lines(bare)[1]).toBe("owners: ‹Pod shop/storefront-7d9c8b6f5-x2x9q› · no owner: a bare pod");
    expect(lines({ ...storefrontContext, replicas: 1 })[1]).toMatch(/ · 1 replica$/);
  });

  it("shows a digest it cannot shorten as read", () => {
    const odd = { ...storefrontContext, images: [{ container: "c", image: "i", image_id: "docker://abc" }] };
    expect(lines(odd)[3]).toBe("images: ‹c=i docker://abc›");
  });

  it("shows at most 8 labels, sorted, and counts the rest; each value bounded", () => {
    const labels = Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [`k${String(i).padStart(2, "0")}`, "v"]),
    );
    limits.length = 0;
    const shown = lines({ ...emptyContext("found", "d"), labels }).find((l) => l.startsWith("labels:"));
    expect(shown).toBe(`labels: ${Array.from({ length: 8 }, (_, i) => `‹k0${i}=v›`).join(", ")} (+12 more)`);
    expect(limits.slice(-8)).toEqual(Array(8).fill(100));
  });

  it("bounds every other list too, and leaves out the spec's copy and the namespace's own name", () => {
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v"]));
    const images = Array.from({ length: 9 }, (_, i) => ({ container: `c${i}`, image: "i", image_id: null }));
    const context = {
      ...storefrontContext,
      images,
      annotations: { ...many(7), "kubectl.kubernetes.io/last-applied-configuration": "{}" },
      namespace_labels: { ...many(8), "kubernetes.io/metadata.name": "shop" },
    };
    const text = lines(context).join("\n");
    expect(text).toMatch(/^images: (‹c\d=i digest unknown›, ){5}‹c\d=i digest unknown› \(\+3 more\)$/m);
    expect(text).toMatch(/^annotations: (‹k\d=v›, ){4}‹k\d=v› \(\+2 more\)$/m);
    expect(text).toMatch(/^namespace labels: (‹k\d=v›, ){5}‹k\d=v› \(\+2 more\)$/m);
    expect(text).not.toContain("last-applied-configuration");
    expect(text).not.toContain("metadata.name");
  });

  it("passes everything read from outside through the medium, and nothing of it around it", () => {
    const evil = "EVIL";
    const hostile: AssetContext = {
      status: "image_mismatch",
      detail: evil,
      labels: { [evil]: evil },
      annotations: { [evil]: evil },
      namespace_labels: { [evil]: evil },
      service_account: evil,
      node: evil,
      images: [{ container: evil, image: evil, image_id: evil }],
      owners: [{ kind: evil, name: evil }],
      replicas: 2,
    };
    const text = contextLines(hostile, { namespace: evil, pod: evil }, marked).join("\n");
    expect(text.match(/EVIL/g)?.length).toBe(16);
    expect(text.replace(/‹[^›]*›/g, "")).not.toContain(evil);
  });
});
