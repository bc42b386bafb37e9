import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { FalcoEvent } from "../../contracts/falco.js";
import { Llm, type LlmSettings } from "../../runtime/llm/model.js";
import { ScriptedModelServer } from "../../runtime/llm/scripted-server.js";
import { createMetrics } from "../../runtime/metrics.js";
import { worded } from "./describe.js";
import { draft, type Draft } from "./draft.js";
import { RuleSet } from "./ruleset.js";

const rules = new RuleSet().load(`
- rule: Read sensitive file untrusted
  condition: fd.name startswith /etc/shadow
  output: Sensitive file opened (file=%fd.name)
  priority: WARNING
`);
const fields = {
  "fd.name": "/etc/shadow",
  "container.image.repository": "quay.io/keycloak/keycloak",
  "proc.name": "cat",
};
const event = FalcoEvent.parse({
  time: "2026-11-12T03:00:00Z",
  rule: "Read sensitive file untrusted",
  priority: "Warning",
  output_fields: fields,
});
const history = [{ case_id: "C-33333", time: event.time, fields, decision: "approved" as const }];
const finding = { severity: "high" as const, technique: "T1003.008" };
const drafted = (trigger: "approved" | "dismissed") => {
  const found = draft(
    { case_id: "C-33333", trigger, event, finding, history: trigger === "approved" ? history : [] },
    rules,
  );
  if (typeof found === "string") throw new Error(found);
  return found;
};
const descOf = (d: Draft) => (parse(d.yaml) as [{ desc: string }])[0].desc;

describe(
  "a new rule's description in the words of the rules agent's language model",
  { timeout: 30_000 },
  () => {
    const server = new ScriptedModelServer();
    let settings: LlmSettings;
    beforeAll(async () => {
      settings = {
        provider: "openai",
        prompt: "You word rule descriptions.",
        output: {},
        model: "test-model",
        baseUrl: await server.start(),
        apiKey: "sk-test",
        maxTokens: 256,
        timeoutMs: 9_000,
        maxRetries: 0,
        concurrency: 1,
        threads: 1,
        tokensPerHour: 0,
        prices: {},
      };
    });
    afterAll(() => server.stop());
    const llm = () => new Llm({ metrics: createMetrics("test") }, () => settings);

    it("takes the model's words for the description and changes nothing else of the rule", async () => {
      const words = "Reads of /etc/shadow by cat in Keycloak, which analysts approved as credential theft.";
      server.script = [{ answer: JSON.stringify({ description: words }) }];
      const rule = drafted("approved");
      const { found, describedBy } = await worded(llm(), rule, "T1003.008");
      expect(describedBy).toBe("test-model");
      expect(descOf(found)).toBe(words);
      const [before, after] = [rule, found].map((d) => ({ ...(parse(d.yaml) as [object])[0], desc: null }));
      expect(after).toEqual(before);
      // The model was shown the draft as quoted data.
      expect(JSON.stringify(server.requests.at(-1))).toContain("quay.io/keycloak/keycloak");
    });

    it("keeps the template's words when the model fails or answers out of bounds, and words no exception", async () => {
      server.script = [{ answer: JSON.stringify({ description: "x".repeat(301) }) }, { status: 500 }];
      const rule = drafted("approved");
      expect(await worded(llm(), rule, null)).toEqual({ found: rule, describedBy: null });
      server.script = [{ status: 500 }];
      expect(await worded(llm(), rule, null)).toEqual({ found: rule, describedBy: null });
      const none = new Llm({ metrics: createMetrics("test") }, () => ({ ...settings, provider: "none" }));
      expect(await worded(none, rule, null)).toEqual({ found: rule, describedBy: null });
      const exception: Draft = { ...rule, kind: "exception" };
      server.requests.length = 0;
      expect(await worded(llm(), exception, null)).toEqual({ found: exception, describedBy: null });
      expect(server.requests).toEqual([]);
    });
  },
);
