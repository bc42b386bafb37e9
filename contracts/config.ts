import { hostname } from "node:os";
import { resolve, join } from "node:path";
import { z } from "zod";
import { Priority } from "./falco.js";
import type { AgentName, Identity, McpServerName } from "./skills.js";

const millis = z.coerce.number().int().positive();

/** How every Kafka client of the fleet connects: the same names in the chart and the training job. */
const kafkaFields = {
  /** Kafka bootstrap servers, comma-separated; unset means HTTP ingest only. */
  KAFKA_BROKERS: z
    .string()
    .regex(/^[\w.-]+:\d+(,[\w.-]+:\d+)*$/, "KAFKA_BROKERS is host:port[,host:port…]")
    .optional(),
  /** TLS to the brokers (Strimzi's `tls` listener): true or false. */
  KAFKA_TLS: z.stringbool().default(false),
  /** The CA certificates (PEM) the brokers' certificates chain to; unset: the system's. */
  KAFKA_CA_FILE: z.string().min(1).optional(),
  /** SASL/SCRAM (Strimzi's `scram-sha-512` authentication), with the user's name and password. */
  KAFKA_SASL_MECHANISM: z.enum(["scram-sha-256", "scram-sha-512"]).optional(),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
  /**
   * How long a group's consumer may go silent (a replica killed) before its partitions go to the
   * others; no less than the broker's group.min.session.timeout.ms (6 s by default).
   */
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(10_000),
};
type KafkaEnv = z.output<z.ZodObject<typeof kafkaFields>>;

function checkKafka(env: KafkaEnv, ctx: z.RefinementCtx): void {
  if (env.KAFKA_CA_FILE && !env.KAFKA_TLS)
    ctx.addIssue({ code: "custom", path: ["KAFKA_TLS"], message: "KAFKA_CA_FILE needs KAFKA_TLS=true" });
  if (!env.KAFKA_SASL_MECHANISM) return;
  for (const name of ["KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"] as const)
    if (!env[name])
      ctx.addIssue({
        code: "custom",
        path: [name],
        message: `${name} is required with KAFKA_SASL_MECHANISM`,
      });
}

function kafkaOf(env: KafkaEnv) {
  return {
    brokers: env.KAFKA_BROKERS?.split(",") ?? [],
    sessionTimeoutMs: env.KAFKA_SESSION_TIMEOUT_MS,
    ...(env.KAFKA_TLS && { tls: { caFile: env.KAFKA_CA_FILE } }),
    ...(env.KAFKA_SASL_MECHANISM && {
      sasl: {
        mechanism: env.KAFKA_SASL_MECHANISM,
        username: env.KAFKA_SASL_USERNAME ?? "",
        password: env.KAFKA_SASL_PASSWORD ?? "",
      },
    }),
  };
}

/** Only the Kafka settings, for a process that reads nothing else (the training export). */
export const KafkaConfig = z.object(kafkaFields).superRefine(checkKafka).transform(kafkaOf);
export type KafkaConfig = z.output<typeof KafkaConfig>;

/** Where an agent's language model runs (runtime/llm): nowhere, a model server, or in-process. */
export const llmProviders = ["none", "openai", "embedded"] as const;

/**
 * The fleet's configuration, read from the environment (the same names in the chart's values).
 * Every process parses it once at start with `loadConfig(FleetConfig)`.
 */
export const FleetConfig = z
  .object({
    SOC_HOME: z.string().default("./.soc"),
    /** Where every process listens (0.0.0.0 in a pod). */
    SOC_HOST: z.string().default("127.0.0.1"),
    /**
     * How a process reaches a peer: a host name in which `{name}` stands for the peer's component
     * (`soc-{name}` for the chart's Services); default SOC_HOST, all on one machine.
     */
    SOC_PEER_HOST: z
      .string()
      .regex(/^[\w.{}-]+$/, "SOC_PEER_HOST is a host name, with {name} for the peer's component")
      .optional(),
    // The fleet uses base+1 … base+33.
    SOC_PORT_BASE: z.coerce.number().int().min(1024).max(65_502).default(2800),
    /**
     * The ports this process listens on, laid out as SOC_PORT_BASE's; default SOC_PORT_BASE. Replicas
     * of one component on one machine each have their own, behind the component's address.
     */
    SOC_LISTEN_PORT_BASE: z.coerce.number().int().min(1024).max(65_502).optional(),
    /**
     * This process among its component's replicas, unique while it lives (the pod's name in a
     * cluster); default the host name and process id. Names the leases it holds in the database.
     */
    SOC_REPLICA: z
      .string()
      .regex(/^[\w.-]{1,100}$/, "SOC_REPLICA is a name: letters, digits, '.', '_', '-'")
      .optional(),
    /**
     * How long a replica's hold on a case or on the bot's outbox lasts without renewal: after its
     * holder dies, another replica takes over within this.
     */
    SOC_LEASE_MS: z.coerce.number().int().min(300).default(10_000),
    SOC_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).default("info"),
    /** How the prefilter picks events: the anomaly model, or every event at or above SOC_MIN_PRIORITY. */
    SOC_PREFILTER: z.enum(["model", "priority"]).default("model"),
    SOC_MIN_PRIORITY: Priority.default("Warning"),
    SOC_THRESHOLD_REFRESH_MS: millis.default(5_000),
    SOC_AGENT_TIMEOUT_MS: millis.default(10_000),
    SOC_OPA_TIMEOUT_MS: millis.default(2_000),
    /**
     * dry-run: every action is sent to the API server with dryRun=All (validated by the server, RBAC
     * and admission, stored nowhere); enforce: carried out and verified. Enforce needs a cluster.
     */
    SOC_REMEDIATE_MODE: z.enum(["dry-run", "enforce"]).default("dry-run"),
    /**
     * Where each agent reads its AgentConfig: its file (agents/<name>/agent-config.yaml), or the
     * cluster's resource of its name, followed as it changes (the chart's choice; the file is the
     * configuration until the resource is read).
     */
    SOC_AGENT_CONFIG: z.enum(["file", "cluster"]).default("file"),
    /**
     * The cluster cluster-actions acts on: a kubeconfig file; unset, the pod's ServiceAccount in a
     * cluster, else ~/.kube/config if there is one, else no cluster (dry-run only).
     */
    KUBECONFIG: z.string().optional(),
    SOC_OPA_URL: z.url().optional(),
    /** How the policy engine evaluates the Rego: OPA's REST API beside it, or compiled to Wasm in-process. */
    SOC_POLICY_EVALUATOR: z.enum(["opa", "wasm"]).default("opa"),
    SOC_OPA_BIN: z.string().optional(),
    /**
     * How the Falco ingest listens: mtls (HTTPS, only the client certificates of ingestCallers:
     * Falco's http_output and falcosidekick), or plain HTTP, which any process that reaches it
     * could use, and so is accepted only on a loopback SOC_HOST (`npm start` on one machine).
     */
    SOC_INGEST_TLS: z.enum(["mtls", "plain"]).default("mtls"),
    ...kafkaFields,
    /**
     * The language model of the agents that use one (analyst, reviewer): none (deterministic, the
     * default), an OpenAI-compatible server, or a GGUF model run in-process. An AgentConfig's
     * spec.llm overrides these per agent.
     */
    SOC_LLM: z.enum(llmProviders).default("none"),
    /** openai: the model's name on the server; embedded: the GGUF file (`npm start` fetches SmolLM2 when unset). */
    SOC_LLM_MODEL: z.string().min(1).optional(),
    OPENAI_BASE_URL: z.url().optional(),
    OPENAI_API_KEY: z.string().min(1).optional(),
    SOC_LLM_TIMEOUT_MS: millis.default(30_000),
    SOC_LLM_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
    SOC_LLM_CONCURRENCY: z.coerce.number().int().positive().max(64).default(4),
    /** CPU threads of the embedded model: llama.cpp's own default oversubscribes a small node. */
    SOC_LLM_THREADS: z.coerce.number().int().positive().max(64).default(1),
    /**
     * Prices per million tokens, in and out, by model, for the cost counters and logs:
     * `gpt-4o-mini=0.15/0.60,qwen2.5-7b-instruct=0/0`.
     */
    SOC_LLM_PRICES: z
      .string()
      .regex(
        /^([^=,\s]+=\d+(\.\d+)?\/\d+(\.\d+)?(,[^=,\s]+=\d+(\.\d+)?\/\d+(\.\d+)?)*)?$/,
        "SOC_LLM_PRICES is model=in/out[,model=in/out…] per million tokens",
      )
      .default(""),
    /** Tokens each agent may spend in any hour; past it, cases go on without the model and say so. 0: no limit. */
    SOC_LLM_TOKENS_PER_HOUR: z.coerce.number().int().min(0).default(0),
    /**
     * Where the coordinator keeps cases and its graphs' checkpoints, and the Mattermost bot its
     * outbox, claims and audit: a PostgreSQL URL
     * (`postgres://user:password@host:5432/soc?sslmode=verify-full`). Unset: SQLite files in
     * SOC_HOME/data.
     */
    SOC_DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, "SOC_DATABASE_URL is a postgres:// URL")
      .optional(),
    /** Extra Node options for every component process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`. */
    SOC_NODE_ARGS: z.string().default(""),
    /** Mattermost as the front end; unset means the terminal. */
    MATTERMOST_URL: z.url().optional(),
    MATTERMOST_BOT_TOKEN: z.string().min(1).optional(),
    MATTERMOST_TEAM: z.string().min(1).optional(),
    MATTERMOST_CHANNEL: z.string().min(1).optional(),
    /** Where Mattermost calls the bot back; default its own listen address. */
    SOC_BOT_PUBLIC_URL: z.url().optional(),
    /**
     * Who may decide cases, with their roles in the approvals policy: Mattermost usernames or user
     * ids, `alice:incident-commander,bob:responder+platform-oncall`; a name alone is a responder.
     * The bot resolves each to its user id at start; the coordinator holds the roles.
     */
    SOC_APPROVERS: z.string().default(""),
    /**
     * Whom the terminal's `operator` certificate decides as: one of SOC_APPROVERS. Unset with
     * approvers configured, `npx soc` may not decide; with none, it decides as `operator`.
     */
    SOC_OPERATOR_APPROVER: z.string().min(1).optional(),
    /** Signs button contexts and dialog states; default a random secret kept in SOC_HOME. */
    SOC_BOT_SECRET: z.string().min(32, "SOC_BOT_SECRET needs at least 32 characters").optional(),
    /** How long an escalation's buttons stay valid. */
    SOC_BOT_BUTTON_TTL_MS: millis.default(7 * 24 * 3_600_000),
    /**
     * Who `/soc trace`, `cases` and `status` answer: `channel`, anyone in the configured channel and
     * approvers anywhere; `team`, anyone the slash command reaches.
     */
    SOC_BOT_READERS: z.enum(["channel", "team"]).default("channel"),
    /** Escalations of the same rule, workload and technique within this window share a thread. */
    SOC_BOT_GROUP_WINDOW_MS: millis.default(3_600_000),
    /**
     * How long the bot waits for Mattermost to answer a call before giving it up and trying again;
     * a bot replica taking the outbox over waits this long after another's last try.
     */
    SOC_BOT_REQUEST_TIMEOUT_MS: millis.default(10_000),
    /**
     * The Git repository the rules agent proposes Falco rule changes to, as its clone URL (https);
     * unset, drafts are kept in their case and shown, nothing is pushed.
     */
    SOC_RULES_REPO: z.url().optional(),
    /** The custom rules file in it that Falco loads (synced by Argo CD or the like). */
    SOC_RULES_FILE: z
      .string()
      .regex(/^[\w-][\w.-]*(\/[\w-][\w.-]*)*\.ya?ml$/, "SOC_RULES_FILE is a relative path to a .yaml file")
      .default("rules/soc_rules.yaml"),
    /** The branch pull requests go to; the fleet never pushes to it. */
    SOC_RULES_BASE: z
      .string()
      .regex(/^[\w./-]+$/)
      .default("main"),
    /** The forge's API token (from a Secret): pushes branches and opens pull requests. */
    SOC_FORGE_TOKEN: z.string().min(1).optional(),
    /**
     * Which forge's API: default github for github.com, gitlab for gitlab.com, else gitea (Forgejo
     * speaks Gitea's).
     */
    SOC_FORGE: z.enum(["gitea", "github", "gitlab"]).optional(),
    /** The Falco rules files drafts build on and are validated with (comma-separated); default the official ruleset. */
    SOC_FALCO_RULES: z.string().optional(),
    /** The Falco project's rules validator (falco-lsp's `falco-lang`); default `falco-lang` on PATH. */
    SOC_FALCO_LANG_BIN: z.string().min(1).default("falco-lang"),
    /** Where Falco's rules JSON schema and falco-lsp's field catalogues are; default beside the code. */
    SOC_FALCO_DATA: z.string().optional(),
  })
  .superRefine((env, ctx) => {
    checkKafka(env, ctx);
    if (env.SOC_INGEST_TLS === "plain" && !isLoopback(env.SOC_HOST))
      ctx.addIssue({
        code: "custom",
        path: ["SOC_INGEST_TLS"],
        message: `plain HTTP ingest listens only on loopback, not on ${env.SOC_HOST}: anyone who reaches it could forge events (use mtls)`,
      });
    if (
      env.SOC_OPERATOR_APPROVER &&
      !Object.hasOwn(approversOf(env.SOC_APPROVERS), env.SOC_OPERATOR_APPROVER)
    )
      ctx.addIssue({
        code: "custom",
        path: ["SOC_OPERATOR_APPROVER"],
        message: `SOC_OPERATOR_APPROVER ${env.SOC_OPERATOR_APPROVER} is not one of SOC_APPROVERS`,
      });
    if (env.SOC_LLM === "openai" && !env.SOC_LLM_MODEL)
      ctx.addIssue({
        code: "custom",
        path: ["SOC_LLM_MODEL"],
        message: "SOC_LLM_MODEL names the model with SOC_LLM=openai",
      });
    if (env.SOC_RULES_REPO && !env.SOC_FORGE_TOKEN)
      ctx.addIssue({
        code: "custom",
        path: ["SOC_FORGE_TOKEN"],
        message: "SOC_FORGE_TOKEN is required with SOC_RULES_REPO",
      });
    if (!env.MATTERMOST_URL) return;
    for (const name of ["MATTERMOST_BOT_TOKEN", "MATTERMOST_TEAM", "MATTERMOST_CHANNEL"] as const) {
      if (!env[name])
        ctx.addIssue({ code: "custom", path: [name], message: `${name} is required with MATTERMOST_URL` });
    }
  })
  .transform((env) => {
    const home = resolve(env.SOC_HOME);
    const base = env.SOC_PORT_BASE;
    const listenBase = env.SOC_LISTEN_PORT_BASE ?? base;
    const peerHost = (name: Identity) => (env.SOC_PEER_HOST ?? env.SOC_HOST).replaceAll("{name}", name);
    const url = (name: Identity) => `https://${peerHost(name)}:${base + ports[name]}`;
    return {
      home,
      host: env.SOC_HOST,
      certDir: join(home, "certs"),
      dataDir: join(home, "data"),
      logLevel: env.SOC_LOG_LEVEL,
      prefilter: env.SOC_PREFILTER,
      minPriority: env.SOC_MIN_PRIORITY,
      thresholdRefreshMs: env.SOC_THRESHOLD_REFRESH_MS,
      agentTimeoutMs: env.SOC_AGENT_TIMEOUT_MS,
      opaTimeoutMs: env.SOC_OPA_TIMEOUT_MS,
      remediateMode: env.SOC_REMEDIATE_MODE,
      agentConfig: env.SOC_AGENT_CONFIG,
      kubeconfig: env.KUBECONFIG || undefined,
      opaUrl: env.SOC_OPA_URL ?? `http://${env.SOC_HOST}:${base + 11}`,
      opaBin: env.SOC_OPA_BIN,
      policyEvaluator: env.SOC_POLICY_EVALUATOR,
      kafka: kafkaOf(env),
      databaseUrl: env.SOC_DATABASE_URL ?? null,
      replica: env.SOC_REPLICA ?? `${hostname()}-${String(process.pid)}`,
      leaseMs: env.SOC_LEASE_MS,
      /** Who may decide cases, with their roles; checked by the coordinator whatever the front end. */
      approvers: approversOf(env.SOC_APPROVERS),
      operatorApprover: env.SOC_OPERATOR_APPROVER ?? null,
      llm: {
        provider: env.SOC_LLM,
        model: env.SOC_LLM_MODEL ?? "",
        baseUrl: env.OPENAI_BASE_URL,
        apiKey: env.OPENAI_API_KEY,
        timeoutMs: env.SOC_LLM_TIMEOUT_MS,
        maxRetries: env.SOC_LLM_RETRIES,
        concurrency: env.SOC_LLM_CONCURRENCY,
        threads: env.SOC_LLM_THREADS,
        tokensPerHour: env.SOC_LLM_TOKENS_PER_HOUR,
        prices: pricesOf(env.SOC_LLM_PRICES),
      },
      nodeArgs: env.SOC_NODE_ARGS.split(/\s+/).filter(Boolean),
      ingestTls: env.SOC_INGEST_TLS,
      /** Where Falco reaches the ingest: the prefilter's address as its peers reach it. */
      ingestUrl: `${env.SOC_INGEST_TLS === "mtls" ? "https" : "http"}://${peerHost("prefilter")}:${base + 1}/falco`,
      ingestPort: base + 1,
      port: (name: AgentName | McpServerName) => base + ports[name],
      opsPort: (name: AgentName | McpServerName) => base + 20 + ports[name],
      /** Where this process listens as `name`: its A2A or MCP port and its ops port. */
      listen: (name: AgentName | McpServerName) => ({
        port: listenBase + ports[name],
        opsPort: listenBase + 20 + ports[name],
      }),
      /** A peer's plain-HTTP ops address (/healthz, /readyz, /metrics). */
      opsUrl: (name: AgentName | McpServerName) => `http://${peerHost(name)}:${base + 20 + ports[name]}`,
      url,
      rules: {
        /** Where proposals go; null keeps them in their case. */
        target: env.SOC_RULES_REPO
          ? {
              repo: env.SOC_RULES_REPO,
              file: env.SOC_RULES_FILE,
              base: env.SOC_RULES_BASE,
              token: env.SOC_FORGE_TOKEN ?? "",
              forge: env.SOC_FORGE ?? null,
            }
          : null,
        falcoLang: env.SOC_FALCO_LANG_BIN,
        falcoData: env.SOC_FALCO_DATA ?? null,
        rulesFiles: (env.SOC_FALCO_RULES ?? "falco_rules.yaml").split(",").map((f) => f.trim()),
      },
      mattermost: env.MATTERMOST_URL
        ? {
            url: env.MATTERMOST_URL.replace(/\/+$/, ""),
            token: env.MATTERMOST_BOT_TOKEN ?? "",
            team: env.MATTERMOST_TEAM ?? "",
            channel: env.MATTERMOST_CHANNEL ?? "",
            publicUrl: (env.SOC_BOT_PUBLIC_URL ?? `http://${env.SOC_HOST}:${base + 12}`).replace(/\/+$/, ""),
            port: base + 12,
            listenPort: listenBase + 12,
            approvers: approversOf(env.SOC_APPROVERS),
            secret: env.SOC_BOT_SECRET,
            buttonTtlMs: env.SOC_BOT_BUTTON_TTL_MS,
            groupWindowMs: env.SOC_BOT_GROUP_WINDOW_MS,
            requestTimeoutMs: env.SOC_BOT_REQUEST_TIMEOUT_MS,
            readers: env.SOC_BOT_READERS,
          }
        : null,
    };
  });
export type FleetConfig = z.output<typeof FleetConfig>;

/**
 * Port offsets from SOC_PORT_BASE; the Falco ingest is base+1, OPA base+11, the Mattermost bot's
 * callbacks base+12, ops ports base+20+offset (up to base+33).
 */
const ports: Record<Identity, number> = {
  operator: 0,
  prefilter: 2,
  coordinator: 3,
  detect: 4,
  analyst: 5,
  reviewer: 6,
  "policy-engine": 7,
  remediate: 8,
  "cluster-actions": 9,
  notify: 10,
  rules: 13,
};

/** An address only this machine reaches: plain HTTP is accepted nowhere else. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** `alice:incident-commander,bob:responder+platform-oncall,carol` → each approver's roles. */
export function approversOf(list: string): Record<string, string[]> {
  const approvers: Record<string, string[]> = {};
  for (const entry of list
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [name = "", roles = ""] = entry.split(":");
    const found = roles
      .split("+")
      .map((r) => r.trim())
      .filter(Boolean);
    approvers[name.trim().replace(/^@/, "")] = found.length > 0 ? found : ["responder"];
  }
  return approvers;
}

/** Every A2A agent's base URL, for `Peers`. */
export function agentUrls(config: FleetConfig): Record<string, string> {
  return Object.fromEntries(Object.keys(ports).map((name) => [name, config.url(name as Identity)]));
}

/**
 * How a process calls its peers: where each is, and how long a call may take (with the language
 * model's budget on top for a skill that may ask one, directly or through its callees).
 */
export function peerOptions(config: FleetConfig) {
  return { urls: agentUrls(config), timeoutMs: config.agentTimeoutMs, modelTimeoutMs: config.llm.timeoutMs };
}

/** `model=in/out,…` (per million tokens) as a table. */
function pricesOf(text: string): Record<string, { in: number; out: number }> {
  return Object.fromEntries(
    text
      .split(",")
      .filter(Boolean)
      .map((entry) => {
        const [model = "", price = ""] = entry.split("=");
        const [tokensIn = "0", tokensOut = "0"] = price.split("/");
        return [model, { in: Number(tokensIn), out: Number(tokensOut) }];
      }),
  );
}
