import type { FalcoAlert } from "./alert.js";
import type { Rng } from "./prng.js";
import { syscallAlert, type Container, type Proc, type SyscallRule } from "./rules.js";

/** The cast and the bookkeeping shared by the benign and the attack parts of the sample. */

export const WINDOW_S = 20 * 60;
export const API_SERVER = "10.43.0.1:443";
/** The alphabet Kubernetes uses for generated name suffixes (no vowels, no look-alike digits). */
export const K8S_SUFFIX = "bcdfghjklmnpqrstvwxz2456789";

export const episodes = {
  "shop-credential-theft": {
    namespace: "shop",
    pod: "storefront-7d9c8b6f5-x2x9q",
    summary: "interactive shell in the storefront, /etc/shadow read, private-key sweep",
  },
  "k8s-privileged-pod": {
    namespace: "shop",
    pod: "node-debug-x7k2p",
    summary: "the storefront's service-account token used to create a privileged pod",
  },
  "identity-dropper": {
    namespace: "identity",
    pod: "keycloak-0",
    summary: "binaries dropped into keycloak and run, netcat reverse shell",
  },
  "batch-memfd": {
    namespace: "batch",
    pod: "report-28374650-abcde",
    summary: "report job runs a payload from memory, then sweeps for AWS keys",
  },
} as const;
export type EpisodeId = keyof typeof episodes;
export type Label = "benign" | EpisodeId;

export interface Planned<L extends string = Label> {
  ns: bigint;
  label: L;
  build: (uuid: string | undefined) => FalcoAlert;
}

/**
 * Collects events at offsets from the start; every event gets random sub-millisecond digits. The
 * label type is the sample's episodes by default; the corpus labels its numbered episodes.
 */
export class Plan<L extends string = Label> {
  readonly items: Planned<L>[] = [];

  constructor(
    readonly rng: Rng,
    private readonly startNs: bigint,
  ) {}

  at(seconds: number): bigint {
    return this.startNs + BigInt(Math.round(seconds * 1000)) * 1_000_000n + this.rng.nanosWithin(0.001);
  }

  syscall(label: L, seconds: number, rule: SyscallRule, on: Container, p: Proc, evt: string, fd?: string) {
    const ns = this.at(seconds);
    const event = { rule, ns, container: on, proc: p, evtType: evt, ...(fd === undefined ? {} : { fd }) };
    this.items.push({ ns, label, build: (uuid) => syscallAlert(event, uuid) });
  }
}

export type User = readonly [name: string, uid: number];
export const ROOT: User = ["root", 0];
export const APP: User = ["app", 10001];
export const KEYCLOAK: User = ["keycloak", 1000];

export function proc(name: string, cmdline: string, pname: string, exepath: string, [user, uid]: User): Proc {
  return { name, cmdline, pname, exepath, tty: 0, user, uid };
}

/** A process on the terminal `kubectl exec -it` opens (/dev/pts/0). */
export function tty(name: string, cmdline: string, pname: string, exepath: string): Proc {
  return { ...proc(name, cmdline, pname, exepath, ROOT), tty: 34816 };
}

export const loginShell = tty("bash", "bash", "containerd-shim", "/bin/bash");

type Where = readonly [
  namespace: string,
  pod: string,
  name: string,
  image: string,
  tag: string,
  node: string,
];

export function container(rng: Rng, [namespace, pod, name, image, tag, node]: Where): Container {
  return { id: rng.hex(12), name, image, tag, namespace, pod, node };
}

const nginx = ["docker.io/library/nginx", "1.27.3"] as const;

/** Long-lived workloads, created in this order so their container ids are stable per seed. */
const workloads = {
  victimWeb: ["shop", episodes["shop-credential-theft"].pod, "nginx", ...nginx, "worker-a1"],
  otherWeb: ["shop", "storefront-7d9c8b6f5-k8j2m", "nginx", ...nginx, "worker-a2"],
  checkout: ["shop", "checkout-5f6d7c8b9-q4w7e", "checkout", "ghcr.io/acme/checkout", "3.12.0", "worker-a2"],
  postgres: ["data", "postgres-0", "postgres", "docker.io/library/postgres", "16.6", "worker-a1"],
  operator: [
    "platform",
    "config-operator-6b8f9d7c4-zt5rp",
    "manager",
    "ghcr.io/acme/config-operator",
    "1.8.2",
    "worker-a2",
  ],
  keycloak: ["identity", "keycloak-0", "keycloak", "quay.io/keycloak/keycloak", "26.0.7", "worker-b1"],
} as const satisfies Record<string, Where>;
export type Cast = Record<keyof typeof workloads, Container>;

export function castOf(rng: Rng): Cast {
  return {
    victimWeb: container(rng, workloads.victimWeb),
    otherWeb: container(rng, workloads.otherWeb),
    checkout: container(rng, workloads.checkout),
    postgres: container(rng, workloads.postgres),
    operator: container(rng, workloads.operator),
    keycloak: container(rng, workloads.keycloak),
  };
}
