import { z } from "zod";

/** One Kubernetes API request, exactly as it is (or would be) sent. */
export const KubeRequest = z.object({
  method: z.enum(["GET", "POST", "PATCH", "PUT", "DELETE"]),
  path: z.string(),
  contentType: z.string().optional(),
  body: z.unknown().optional(),
});
export type KubeRequest = z.infer<typeof KubeRequest>;
