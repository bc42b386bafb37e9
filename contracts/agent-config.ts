import { z } from "zod";
import { modelAnswers, restatementProblems } from "./answers.js";
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
      /**
       * The schemas of the model's answers, by purpose (narrative, questions, explanation), as JSON
       * Schema: the code's fields and types in the operator's words (descriptions the model reads),
       * bounds as tight or tighter. Unset: the code's own schema.
       */
      output: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
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
    for (const [purpose, schema] of Object.entries(config.spec.output)) {
      const path = ["spec", "output", purpose];
      const answer = modelAnswers[purpose as keyof typeof modelAnswers] as
        (typeof modelAnswers)[keyof typeof modelAnswers] | undefined;
      if (!answer) {
        const purposes = Object.keys(modelAnswers).join(", ");
        ctx.addIssue({
          code: "custom",
          path,
          message: `no agent asks its model for ${purpose} (${purposes})`,
        });
        continue;
      }
      for (const message of restatementProblems(answer.schema, schema))
        ctx.addIssue({ code: "custom", path, message });
      try {
        z.fromJSONSchema(schema);
      } catch (error) {
        ctx.addIssue({ code: "custom", path, message: `not a usable JSON Schema: ${String(error)}` });
      }
    }
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
