export { KubeApiServer, type KubeApiServerOptions } from "./server.js";
export type { KubeObject, KubeReply, KubeRequestOptions } from "./client.js";
export { ciliumNetworkPolicyCrd } from "./crds.js";
