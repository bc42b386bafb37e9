import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { falcoLangBinary, falcoVendor } from "../../fleet/tools/falco-lang.js";
import { draftException, exceptionYaml } from "./exceptions.js";
import { RuleSet } from "./ruleset.js";
import { draftRule } from "./tighten.js";
import { validateDraft, type Validators } from "./validate.js";

let validators: Validators;
// Built from the falco-lsp source on a machine's first run (seconds), cached afterwards.
beforeAll(() => {
  const fields = join(falcoVendor, "falco-lsp", "internal", "fields", "data");
  validators = {
    falcoLang: falcoLangBinary((line) => process.stdout.write(`${line}\n`)),
    rulesFiles: [join(falcoVendor, "falco-rules", "falco_rules.yaml")],
    schemaFile: join(falcoVendor, "..", "schemas", "falco", "falco-rules.schema.json"),
    fieldFiles: ["syscall.json", "k8saudit.json", "plugins.json"].map((file) => join(fields, file)),
  };
}, 300_000);

describe("a drafted rules file, checked by the Falco project's own tooling before anyone sees it", () => {
  it("passes an exception drafted from dismissed cases, appended to an official rule", async () => {
    const drafted = draftException("Read sensitive file untrusted", [
      {
        "container.image.repository": "ghcr.io/acme/backup",
        "proc.name": "restic",
        "fd.name": "/etc/shadow",
      },
    ]);
    if (!drafted) throw new Error("no draft");
    expect(await validateDraft(exceptionYaml("Read sensitive file untrusted", drafted), validators)).toEqual({
      ok: true,
      messages: [],
    });
  });

  it("passes a new rule built on the official macros and lists", async () => {
    const rule = `
- rule: Shell spawned by a backup tool
  desc: A shell under the backup tool, which never needs one
  condition: spawned_process and proc.name in (shell_binaries) and proc.pname = restic
  output: Shell under restic (proc=%proc.name parent=%proc.pname image=%container.image.repository)
  priority: NOTICE
  tags: [maturity_sandbox, host, container, process, mitre_execution, T1059]
`;
    expect(await validateDraft(rule, validators)).toEqual({ ok: true, messages: [] });
  });

  it("passes a rule drafted from approved cases, narrowing an official rule", async () => {
    const stable = new RuleSet().load(
      readFileSync(join(falcoVendor, "falco-rules", "falco_rules.yaml"), "utf8"),
    );
    const terminal = stable.rules.get("Terminal shell in container");
    if (!terminal) throw new Error("no such official rule");
    const shell = {
      "container.image.repository": "ghcr.io/acme/payments",
      "proc.name": "bash",
      "proc.cmdline": "bash -i",
    };
    const draft = draftRule(terminal, [shell], { severity: "high", technique: "T1059" });
    expect(await validateDraft(draft?.yaml ?? "", validators)).toEqual({ ok: true, messages: [] });
  });

  it("refuses, in the tools' own words, an unknown field, an undefined macro, a priority Falco has not and an exception on a field no catalogue knows", async () => {
    const broken = `
- rule: Broken
  desc: x
  condition: spawned_process and proc.nam = bash and not no_such_macro
  output: x (proc=%proc.name)
  priority: LOUD
- rule: Read sensitive file untrusted
  exceptions:
    - name: bad
      fields: [proc.nam]
      comps: [=]
      values: [[bash]]
  append: true
`;
    const { ok, messages } = await validateDraft(broken, validators);
    expect(ok).toBe(false);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^falco-lang warning at 4:\d+: unknown field: proc\.nam$/),
        expect.stringMatching(/^falco-lang warning at 4:\d+: undefined macro: no_such_macro$/),
        expect.stringMatching(/^rules schema: \/0\/priority .*/),
        "field catalogue: exception bad names an unknown field proc.nam",
      ]),
    );
  });

  it("checks a draft as appended to the custom rules file: it may build on its macros, and its findings are the draft's alone", async () => {
    const custom = `# The SOC's own rules.
- macro: acme_backup_tool
  condition: proc.name in (restic, borg)
- rule: Left over
  desc: a rule of the SOC's own with a mistake the draft is not to answer for
  condition: spawned_process and not no_such_macro_of_theirs
  output: x (proc=%proc.name)
  priority: NOTICE
`;
    const draft = `- rule: Backup tool reading shadow
  desc: x
  condition: open_read and acme_backup_tool and fd.name = /etc/shadow
  output: x (proc=%proc.name file=%fd.name)
  priority: WARNING
`;
    expect((await validateDraft(draft, validators)).messages).toEqual([
      expect.stringMatching(/^falco-lang warning at 3:\d+: undefined macro: acme_backup_tool$/),
    ]);
    expect(await validateDraft(draft, validators, custom)).toEqual({ ok: true, messages: [] });
    // The draft's own mistake, on top of the custom file, is said at the draft's own line.
    const broken = draft.replace("fd.name = /etc/shadow", "fd.nam = /etc/shadow");
    expect((await validateDraft(broken, validators, custom)).messages).toEqual([
      expect.stringMatching(/^falco-lang warning at 3:\d+: unknown field: fd\.nam$/),
    ]);
  });

  it("says so when falco-lang cannot run, rather than passing what it never checked", async () => {
    await expect(
      validateDraft("- list: x\n  items: []\n", { ...validators, falcoLang: "/nonexistent/falco-lang" }),
    ).rejects.toThrow(/\/nonexistent\/falco-lang could not run/);
  });
});
