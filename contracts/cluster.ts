import { z } from "zod";

/** One Kubernetes API request, exactly as it is (or would be) sent. */
export const KubeRequest = z.object({
  method: z.enum(["GET", "POST", "PATCH", "PUT", "DELETE"]),
  path: z.string(),
  contentType: z.string().optional(),
  body: z.unknown().optional(),
});
export type KubeRequest = z.infer<typeof KubeRequest>;

/** What the server answered to one request: enough to show in the reasoning chain. */
export const KubeAnswer = z.object({
  method: z.string(),
  path: z.string(),
  status: z.number().int(),
  /** The server's reason and message for a refusal; for a success, the object's kind and name. */
  detail: z.string(),
});
export type KubeAnswer = z.infer<typeof KubeAnswer>;

/** Whether an action's effect was found in the cluster afterwards, and what was read. */
export const Verification = z.object({ ok: z.boolean(), detail: z.string() });
export type Verification = z.infer<typeof Verification>;

/** What carrying out one response action did: the mode, the requests, the answers, the verification. */
export const AppliedAction = z.object({
  mode: z.enum(["dry-run", "enforce"]),
  action: z.string(),
  /** The API server acted on, or null when none is configured (requests prepared, not validated). */
  server: z.string().nullable(),
  requests: z.array(KubeRequest),
  answers: z.array(KubeAnswer),
  verification: Verification.nullable(),
  /** True when the action had been carried out before and nothing was sent again. */
  replayed: z.boolean(),
});
export type AppliedAction = z.infer<typeof AppliedAction>;
