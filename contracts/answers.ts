import { z } from "zod";
import { ActionType } from "./analysis.js";

/**
 * What the agents ask their language model for, by purpose: who asks, and the schema the answer
 * must match. An AgentConfig's spec.output may restate a schema in the operator's words (field
 * descriptions the model reads) with tighter bounds, never with other fields or types: the code
 * reads what this schema says.
 */
export const modelAnswers = {
  narrative: {
    agent: "analyst",
    schema: z.object({
      narrative: z.string().min(1).max(800),
      hypothesis: z.string().min(1).max(300),
      alternative_action: ActionType.nullable(),
    }),
  },
  questions: {
    agent: "analyst",
    schema: z.object({
      questions: z
        .array(z.object({ question: z.string().min(1).max(200), evidence: z.string().min(1).max(200) }))
        .min(1)
        .max(5),
    }),
  },
  explanation: {
    agent: "reviewer",
    schema: z.object({ explanation: z.string().min(1).max(800) }),
  },
  description: {
    agent: "rules",
    schema: z.object({ description: z.string().min(1).max(300) }),
  },
} as const satisfies Record<string, { agent: string; schema: z.ZodType }>;
export type AnswerPurpose = keyof typeof modelAnswers;

/** A JSON Schema as a document holds it (an AgentConfig's spec.output entry). */
export type JsonSchema = Record<string, unknown>;

/** The answer's schema as the model is shown it: JSON Schema draft 7. */
export function answerJsonSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { target: "draft-7" });
}

/** Keywords that must say the same in a restated schema as in the code's. */
const same = ["type", "enum", "const"] as const;
/** Bounds a restated schema must state, as tight as the code's or tighter. */
const upper = ["maxLength", "maxItems", "maximum"] as const;
const lower = ["minLength", "minItems", "minimum"] as const;
/** Words for the model and patterns (which only tighten); nothing else may appear. */
const free = new Set(["description", "title", "examples", "pattern", "$schema", "additionalProperties"]);
const known = new Set<string>([
  ...same,
  ...upper,
  ...lower,
  ...free,
  "properties",
  "required",
  "items",
  "anyOf",
]);

/**
 * Why `declared` (an AgentConfig's restatement) cannot stand for the code's answer schema: a field
 * missing or added, another type or enum, a bound looser than the code's, a keyword it does not
 * support. Empty when every answer it admits, the code admits too.
 */
export function restatementProblems(code: z.ZodType, declared: JsonSchema): string[] {
  return compare(answerJsonSchema(code), declared, "");
}

function compare(code: JsonSchema, declared: JsonSchema, at: string): string[] {
  const where = at || "(answer)";
  const problems = Object.keys(declared)
    .filter((key) => !known.has(key))
    .map((key) => `${where}: ${key} is not a keyword an answer schema may use`);
  for (const key of same) {
    if (JSON.stringify(code[key]) !== JSON.stringify(declared[key]))
      problems.push(`${where}: ${key} must be ${JSON.stringify(code[key]) ?? "unset"}`);
  }
  for (const key of upper) {
    const bound = code[key];
    if (typeof bound === "number" && !(typeof declared[key] === "number" && declared[key] <= bound))
      problems.push(`${where}: ${key} must be at most ${String(bound)}`);
  }
  for (const key of lower) {
    const bound = code[key];
    if (typeof bound === "number" && !(typeof declared[key] === "number" && declared[key] >= bound))
      problems.push(`${where}: ${key} must be at least ${String(bound)}`);
  }
  const required = (node: JsonSchema) =>
    JSON.stringify([...((node.required as string[] | undefined) ?? [])].sort());
  if (required(code) !== required(declared)) problems.push(`${where}: required must be ${required(code)}`);
  const children = (node: JsonSchema) => (node.properties ?? {}) as Record<string, JsonSchema>;
  const names = new Set([...Object.keys(children(code)), ...Object.keys(children(declared))]);
  for (const name of names) {
    const path = at ? `${at}.${name}` : name;
    const [c, d] = [children(code)[name], children(declared)[name]];
    if (!c) problems.push(`${path}: is not a field of the answer`);
    else if (!d) problems.push(`${path}: is missing`);
    else problems.push(...compare(c, d, path));
  }
  if (code.items ?? declared.items)
    problems.push(...compare(node(code.items), node(declared.items), `${at}[]`));
  const [codeAny, declaredAny] = [code.anyOf, declared.anyOf] as (JsonSchema[] | undefined)[];
  if (codeAny ?? declaredAny) {
    if (codeAny?.length !== declaredAny?.length)
      problems.push(`${where}: anyOf must have ${String(codeAny?.length ?? 0)} choices`);
    else
      codeAny?.forEach((choice, i) =>
        problems.push(...compare(choice, node(declaredAny?.[i]), `${where}|${String(i)}`)),
      );
  }
  return problems;
}

const node = (value: unknown): JsonSchema =>
  value !== null && typeof value === "object" && !Array.isArray(value) ? (value as JsonSchema) : {};
