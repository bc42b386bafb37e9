import type { Rng } from "./prng.js";
import type { Container, Proc } from "./rules.js";
import { K8S_SUFFIX, ROOT, container, proc, type User } from "./scenario.js";

/**
 * The cluster of the labelled corpus: a mid-sized shop on six nodes. Long-lived workloads are made
 * once per seed; what comes and goes (CronJob runs, CI jobs, DaemonSet restarts) gets new pods from
 * the profiles that start them.
 */

export const APP_NODES = ["worker-a1", "worker-a2", "worker-a3"] as const;
export const BATCH_NODES = ["worker-b1", "worker-b2", "worker-b3"] as const;
export const NODES = [...APP_NODES, ...BATCH_NODES] as const;

/** A workload and the process that serves it: the parent of whatever an exploit makes it run. */
export interface Workload {
  on: Container;
  main: Proc;
  /** The pod IP, for connection strings. */
  ip: string;
}

/** `name-<replicaset hash>-<suffix>`, as a Deployment names its pods. */
export function deploymentPod(rng: Rng, name: string): string {
  return `${name}-${rng.chars(rng.int(9, 10), K8S_SUFFIX)}-${rng.chars(5, K8S_SUFFIX)}`;
}

export function podIp(rng: Rng, node: string): string {
  return `10.42.${NODES.indexOf(node as (typeof NODES)[number]) + 1}.${rng.int(2, 250)}`;
}

function workload(
  rng: Rng,
  where: [namespace: string, pod: string, name: string, image: string, tag: string, node: string],
  main: [name: string, cmdline: string, exepath: string, user: User],
): Workload {
  const [name, cmdline, exepath, user] = main;
  return {
    on: container(rng, where),
    main: proc(name, cmdline, "containerd-shim", exepath, user),
    ip: podIp(rng, where[5]),
  };
}

const NGINX: User = ["nginx", 101];
const WWW: User = ["www-data", 33];
const APP: User = ["app", 10001];
const POSTGRES: User = ["postgres", 999];
const NOBODY: User = ["nobody", 65534];

export interface Cluster {
  web: Workload[];
  blog: Workload[];
  checkout: Workload[];
  postgres: Workload[];
  keycloak: Workload[];
  configOperator: Workload;
  argocd: Workload;
  certManager: Workload;
  prometheus: Workload;
  /** Every long-lived workload: where engineers debug and attackers land. */
  all: Workload[];
}

export function clusterOf(rng: Rng): Cluster {
  const nginx = ["nginx", "nginx: master process nginx -g daemon off;", "/usr/sbin/nginx", NGINX] as const;
  const web = [0, 1, 2, 3].map((i) =>
    workload(
      rng,
      [
        "shop",
        deploymentPod(rng, "storefront"),
        "nginx",
        "docker.io/library/nginx",
        "1.27.3",
        APP_NODES[i % 3] ?? "worker-a1",
      ],
      [...nginx],
    ),
  );
  const blog = [0, 1].map((i) =>
    workload(
      rng,
      [
        "blog",
        deploymentPod(rng, "wordpress"),
        "wordpress",
        "docker.io/library/wordpress",
        "6.7-php8.3-fpm",
        APP_NODES[i + 1] ?? "worker-a2",
      ],
      ["php-fpm", "php-fpm: pool www", "/usr/local/sbin/php-fpm", WWW],
    ),
  );
  const java = "/opt/java/openjdk/bin/java";
  const checkout = [0, 1].map((i) =>
    workload(
      rng,
      [
        "shop",
        deploymentPod(rng, "checkout"),
        "checkout",
        "ghcr.io/acme/checkout",
        "3.12.0",
        APP_NODES[i] ?? "worker-a1",
      ],
      ["java", "java -XX:MaxRAMPercentage=75 -jar /app/checkout.jar", java, APP],
    ),
  );
  const postgres = [0, 1, 2].map((i) =>
    workload(
      rng,
      [
        "data",
        `postgres-${i}`,
        "postgres",
        "docker.io/library/postgres",
        "16.6",
        APP_NODES[i] ?? "worker-a1",
      ],
      [
        "postgres",
        "postgres -c config_file=/etc/postgresql/postgresql.conf",
        "/usr/lib/postgresql/16/bin/postgres",
        POSTGRES,
      ],
    ),
  );
  const kcCmd =
    "java -Djgroups.config=kube-ping.xml -jar /opt/keycloak/lib/quarkus-run.jar start --optimized";
  const keycloak = [0, 1].map((i) =>
    workload(
      rng,
      [
        "identity",
        `keycloak-${i}`,
        "keycloak",
        "quay.io/keycloak/keycloak",
        "26.0.7",
        BATCH_NODES[i] ?? "worker-b1",
      ],
      ["java", kcCmd, "/usr/lib/jvm/jre-21/bin/java", ["keycloak", 1000]],
    ),
  );
  const configOperator = workload(
    rng,
    [
      "platform",
      deploymentPod(rng, "config-operator"),
      "manager",
      "ghcr.io/acme/config-operator",
      "1.8.2",
      "worker-a2",
    ],
    ["manager", "/manager --leader-elect", "/manager", ["nonroot", 65532]],
  );
  const argocd = workload(
    rng,
    [
      "argocd",
      "argocd-application-controller-0",
      "application-controller",
      "quay.io/argoproj/argocd",
      "v2.13.2",
      "worker-a3",
    ],
    [
      "argocd-applicat",
      "argocd-application-controller --status-processors 20",
      "/usr/local/bin/argocd",
      ["argocd", 999],
    ],
  );
  const certManager = workload(
    rng,
    [
      "cert-manager",
      deploymentPod(rng, "cert-manager"),
      "cert-manager-controller",
      "quay.io/jetstack/cert-manager-controller",
      "v1.16.2",
      "worker-a1",
    ],
    [
      "controller",
      "/app/cmd/controller/controller --v=2 --leader-election-namespace=kube-system",
      "/app/cmd/controller/controller",
      ["cert-manager", 1000],
    ],
  );
  const prometheus = workload(
    rng,
    ["monitoring", "prometheus-k8s-0", "prometheus", "quay.io/prometheus/prometheus", "v3.0.1", "worker-b3"],
    [
      "prometheus",
      "/bin/prometheus --config.file=/etc/prometheus/config_out/prometheus.env.yaml",
      "/bin/prometheus",
      NOBODY,
    ],
  );
  const all = [
    ...web,
    ...blog,
    ...checkout,
    ...postgres,
    ...keycloak,
    configOperator,
    argocd,
    certManager,
    prometheus,
  ];
  return { web, blog, checkout, postgres, keycloak, configOperator, argocd, certManager, prometheus, all };
}

/** A node's own processes, outside any container: Falco reports container id and name "host". */
export function hostOf(node: string): Container {
  return { id: "host", name: "host", image: null, tag: null, namespace: null, pod: null, node };
}

/** A privileged cilium agent pod on `node`; a new one after every DaemonSet restart. */
export function ciliumOn(rng: Rng, node: string): Workload {
  return workload(
    rng,
    [
      "kube-system",
      `cilium-${rng.chars(5, K8S_SUFFIX)}`,
      "cilium-agent",
      "quay.io/cilium/cilium",
      "v1.16.5",
      node,
    ],
    ["cilium-agent", "cilium-agent --config-dir=/tmp/cilium/config-map", "/usr/bin/cilium-agent", ROOT],
  );
}
