import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import { parse } from "yaml";
import type { Exception } from "./exceptions.js";

/** What a draft is checked with: the Falco project's own tooling and data. */
export interface Validators {
  /** The `falco-lang` binary (falco-lsp). */
  falcoLang: string;
  /** The rules files the draft builds on (the official rulesets), loaded before it. */
  rulesFiles: readonly string[];
  /** Falco's rules-file JSON schema (`falco --rule-schema`). */
  schemaFile: string;
  /** falco-lsp's field catalogues (`internal/fields/data/*.json`). */
  fieldFiles: readonly string[];
}

export interface Validation {
  ok: boolean;
  /** Every error and warning, each prefixed by what found it. */
  messages: string[];
}

interface Diagnostic {
  severity: "error" | "warning" | "information" | "hint";
  message: string;
  line: number;
  column: number;
}

/**
 * Checks a drafted rules file before anyone sees it, as Falco would load it after `rulesFiles` and
 * appended to `base` (the custom rules file it goes into, when there is one):
 * `falco-lang validate --strict` (syntax, fields, macros, lists), Falco's rules JSON schema (which
 * knows the priorities falco-lang does not check), and the field catalogue for the fields an
 * exception names (falco-lang reads them as strings). Errors and warnings both refuse it.
 */
export async function validateDraft(
  draftYaml: string,
  validators: Validators,
  base: string | null = null,
): Promise<Validation> {
  const messages = [
    ...(await falcoLangFindings(draftYaml, validators, base)),
    ...schemaFindings(draftYaml, validators.schemaFile),
    ...exceptionFieldFindings(draftYaml, validators.fieldFiles),
  ];
  return { ok: messages.length === 0, messages };
}

/**
 * falco-lang's findings on the draft as it will be committed: appended to `base` (the custom rules
 * file as the base branch has it), whose own lines are not the draft's to answer for.
 */
async function falcoLangFindings(
  draftYaml: string,
  { falcoLang, rulesFiles }: Validators,
  base: string | null,
): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "soc-rule-draft-"));
  try {
    // falco-lang validates only files named like rules files (`*_rules.yaml`).
    const files = rulesFiles.map((file) => {
      const copy = join(dir, basename(file));
      copyFileSync(file, copy);
      return copy;
    });
    const draft = join(dir, "soc_draft_rules.yaml");
    const before = base?.trimEnd() ? `${base.trimEnd()}\n\n` : "";
    const offset = before ? before.split("\n").length - 1 : 0;
    writeFileSync(draft, `${before}${draftYaml}`);
    const run = await reportOf(falcoLang, ["validate", "--strict", "--format", "json", ...files, draft]);
    const reports = JSON.parse(run.stdout) as { file: string; diagnostics?: Diagnostic[] }[];
    const own = reports.find((r) => basename(r.file) === basename(draft));
    if (!own)
      throw new Error(`falco-lang said nothing of the draft: ${run.stdout.slice(0, 200)} ${run.stderr}`);
    return (own.diagnostics ?? [])
      .filter((d) => (d.severity === "error" || d.severity === "warning") && d.line > offset)
      .map((d) => `falco-lang ${d.severity} at ${String(d.line - offset)}:${String(d.column)}: ${d.message}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A tool's report, without holding the process up while it runs: falco-lang exits non-zero when it
 * finds something, and its report is what counts; only a tool that could not run is an error.
 */
function reportOf(command: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { maxBuffer: 64 << 20, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number")
        reject(new Error(`${command} could not run: ${error.message}`, { cause: error }));
      else resolve({ stdout, stderr });
    });
  });
}

const schemas = new Map<string, ValidateFunction>();
const catalogues = new Map<string, Set<string>>();

/** Every field name the catalogues list, read once. */
function knownFields(fieldFiles: readonly string[]): Set<string> {
  const key = fieldFiles.join("\n");
  let known = catalogues.get(key);
  if (!known) {
    known = new Set<string>();
    for (const file of fieldFiles) {
      const data = JSON.parse(readFileSync(file, "utf8")) as
        { name: string }[] | Record<string, { name: string }[]>;
      for (const field of Array.isArray(data) ? data : Object.values(data).flat()) known.add(field.name);
    }
    catalogues.set(key, known);
  }
  return known;
}

function schemaFindings(draftYaml: string, schemaFile: string): string[] {
  let validate = schemas.get(schemaFile);
  if (!validate) {
    // Falco's schema is draft-06, which Ajv 8 reads once given its meta-schema.
    const ajv = new Ajv({ allErrors: true, strict: false });
    ajv.addMetaSchema(createRequire(import.meta.url)("ajv/dist/refs/json-schema-draft-06.json") as object);
    validate = ajv.compile(JSON.parse(readFileSync(schemaFile, "utf8")) as object);
    schemas.set(schemaFile, validate);
  }
  if (validate(parse(draftYaml))) return [];
  return (validate.errors ?? []).map(
    (e) => `rules schema: ${e.instancePath || "/"} ${e.message ?? "is invalid"}${paramsOf(e.params)}`,
  );
}

function paramsOf(params: Record<string, unknown>): string {
  const allowed = params.allowedValues;
  return Array.isArray(allowed) ? ` (${allowed.map(String).join(", ")})` : "";
}

function exceptionFieldFindings(draftYaml: string, fieldFiles: readonly string[]): string[] {
  const known = knownFields(fieldFiles);
  const items = (parse(draftYaml) as { exceptions?: Exception[] }[] | null) ?? [];
  return items.flatMap((item) =>
    (item.exceptions ?? []).flatMap((exception) =>
      [exception.fields]
        .flat()
        .filter((field) => !known.has(field.replace(/\[.*\]$/, "")))
        .map((field) => `field catalogue: exception ${exception.name} names an unknown field ${field}`),
    ),
  );
}
