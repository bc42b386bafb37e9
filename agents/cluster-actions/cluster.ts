import type { ClusterView } from "./actions/action.js";

/**
 * The cluster as seen without one (no kubeconfig, no in-cluster credentials): nothing can be read,
 * so an action records that it found nothing and prepares the requests it would send to a cluster
 * with the chart's defaults (Cilium installed).
 */
export const offlineCluster: ClusterView = {
  get: () => Promise.resolve(null),
  list: () => Promise.resolve([]),
  serves: () => Promise.resolve(true),
};
