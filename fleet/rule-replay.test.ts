import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ruleReplayCommand } from "./rule-replay.js";

const dir = mkdtempSync(join(tmpdir(), "soc-rule-replay-"));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const shadow = (night: number, image: string) =>
  JSON.stringify({
    time: `2026-11-${String(10 + night)}T03:00:00Z`,
    rule: "Read sensitive file untrusted",
    priority: "Warning",
    output_fields: { "container.image.repository": image, "proc.name": "restic", "fd.name": "/etc/shadow" },
  });
const exception = `- rule: Read sensitive file untrusted
  exceptions:
    - name: backup_reads_shadow
      fields: [container.image.repository, proc.name]
      values: [[ghcr.io/acme/backup, restic]]
  append: true
`;

afterEach(() => vi.restoreAllMocks());

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((err += String(chunk)), true));
  const code = await ruleReplayCommand(argv);
  vi.restoreAllMocks();
  return { code, out, err };
}

describe("soc rule replay", () => {
  it("replays a rules file's exception on falcosidekick's JSON lines, over the official rulesets", async () => {
    const events = file(
      "events.jsonl",
      [shadow(1, "ghcr.io/acme/backup"), shadow(2, "ghcr.io/acme/backup"), shadow(3, "nginx")].join("\n"),
    );
    const draft = file("soc_rules.yaml", exception);
    const text = await run([events, "--draft", draft]);
    expect(text).toMatchObject({ code: 0, err: "" });
    expect(text.out).toContain("exception backup_reads_shadow: spares 2 of 3 event(s)");
    const json = JSON.parse((await run([events, "--draft", draft, "--json"])).out) as {
      changes: { hits: number[] }[];
    };
    expect(json.changes[0]?.hits).toEqual([1, 2]);
  });

  it("refuses a draft Falco would not load, and says how to call it", async () => {
    const events = file("one.jsonl", shadow(1, "nginx"));
    const broken = file(
      "broken_rules.yaml",
      "- rule: Read sensitive file untrusted\n  condition: and and\n  append: true\n",
    );
    expect(await run([events, "--draft", broken])).toMatchObject({
      code: 1,
      err: expect.stringContaining("broken_rules.yaml") as unknown,
    });
    expect((await run([events])).code).toBe(2);
    expect((await run([events, "--draft", broken, "--proposal", "soc_dismissed_00000000"])).code).toBe(2);
  });
});
