import { z } from "zod";
import { llmProviders } from "./config.js";
import { mcpServerNames } from "./skills.js";

/**
 * An agent's configuration as a Kubernetes custom resource (kind AgentConfig), synced by Argo CD
 * in a cluster and read from `agents/<name>/agent-config.yaml` locally: its system prompt, the
 * MCP tools it may call, which of those need a human's approval, and the language model it uses.
 */
export const AgentConfig = z
  .object({
    apiVersion: z.literal("soc.fleet/v1alpha1"),
    kind: z.literal("AgentConfig"),
    metadata: z.object({
      name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "a Kubernetes name"),
      namespace: z.string().optional(),
      labels: z.record(z.string(), z.string()).optional(),
    }),
    spec: z.object({
      /**
       * The system prompt of the agent's language model, for the agents that use one (analyst,
       * reviewer); refused on the others.
       */
      prompt: z.string().max(16_384).default(""),
      /** MCP tools the agent may call, as `<server>/<tool>`. */
      tools: z.array(z.string().regex(/^[a-z-]+\/[a-z_]+$/, "tools are named <server>/<tool>")).default([]),
      /** Tools whose every call needs a human's approval first: a subset of `tools`. */
      requireApproval: z.array(z.string()).default([]),
      /** The agent's language model; unset fields are the process's (SOC_LLM, SOC_LLM_MODEL, OPENAI_BASE_URL). */
      llm: z
        .object({
          provider: z.enum(llmProviders).optional(),
          /** A model server's model name, or the embedded model's GGUF file. */
          model: z.string().optional(),
          /** An OpenAI-compatible server's base URL (…/v1); its key stays in a Secret (OPENAI_API_KEY). */
          baseURL: z.url().optional(),
          maxTokens: z.number().int().positive().max(32_768).default(512),
        })
        .default({ maxTokens: 512 }),
    }),
  })
  .superRefine((config, ctx) => {
    // The CRD's pattern admits any server name; only the fleet's MCP servers serve tools.
    config.spec.tools.forEach((tool, index) => {
      const server = tool.split("/")[0] ?? "";
      if (!(mcpServerNames as readonly string[]).includes(server)) {
        ctx.addIssue({
          code: "custom",
          path: ["spec", "tools", index],
          message: `${tool}: ${server} is not an MCP server of the fleet (${mcpServerNames.join(", ")})`,
        });
      }
    });
    for (const tool of config.spec.requireApproval) {
      if (!config.spec.tools.includes(tool)) {
        ctx.addIssue({
          code: "custom",
          path: ["spec", "requireApproval"],
          message: `${tool} needs approval but is not in spec.tools`,
        });
      }
    }
  });
export type AgentConfig = z.output<typeof AgentConfig>;
