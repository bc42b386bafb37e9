export { KubeApiServer, type KubeApiServerOptions } from "./server.js";
export type { KubeObject, KubeReply, KubeRequestOptions } from "./client.js";
export { catalogCrd, ciliumNetworkPolicyCrd, crdCatalog } from "./crds.js";
export { AdmissionGate, type AdmissionRequest, type AdmissionRule, type HeldRequest } from "./admission.js";
export { ConnectionRelay } from "./relay.js";
