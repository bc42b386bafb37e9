import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Case } from "../contracts/case.js";
import type { RuleProposal } from "../contracts/rules.js";
import type { Step } from "../contracts/step.js";
import { falcoAlert } from "../fleet/alerts.js";
import { startGitea, type Gitea } from "../fleet/harness/gitea.js";
import { LocalFleet } from "../fleet/local.js";
import { FleetConfig } from "../contracts/config.js";
import { loadConfig } from "../runtime/config.js";

type Proposals = { ok: true; proposals: RuleProposal[] };
type Drafted = { ok: true; proposal: RuleProposal | null; note: string };
type TraceReply = { ok: true; case: Case; steps: Step[] };

/**
 * The fleet turning analysts' decisions into Falco rule changes on a real Git forge: Gitea built from
 * its Go module, real `git`, the official rulesets and falco-lang. Escalated by the policy because
 * they come from the identity namespace.
 */
describe("rule changes from decisions, as pull requests on Gitea", () => {
  let gitea: Gitea;
  let fleet: LocalFleet;
  beforeAll(async () => {
    gitea = await startGitea();
    fleet = await LocalFleet.start({
      env: {
        SOC_PREFILTER: "priority",
        SOC_MIN_PRIORITY: "Notice",
        SOC_RULES_REPO: gitea.cloneUrl,
        SOC_FORGE_TOKEN: gitea.token,
      },
    });
  }, 600_000);
  afterAll(async () => {
    await fleet?.stop();
    await gitea?.stop();
  });

  const api = async (path: string): Promise<Record<string, unknown>> => {
    const response = await fetch(`${gitea.url}/api/v1/repos/${gitea.owner}/${gitea.repo}${path}`, {
      headers: { Authorization: `token ${gitea.token}` },
    });
    expect(response.status, path).toBe(200);
    return (await response.json()) as Record<string, unknown>;
  };
  const fileOn = async (ref: string) => {
    const file = await api(`/contents/${gitea.file}?ref=${encodeURIComponent(ref)}`);
    return Buffer.from(String(file.content), "base64").toString("utf8");
  };
  const escalated = async (alert: unknown) => {
    const { body } = await fleet.post(alert);
    const id = body.case_id as string;
    await settled(id, "awaiting_human");
    return id;
  };
  const settled = (id: string, status: Case["status"]) =>
    fleet.waitFor(
      async () => {
        const reply = (await fleet.soc(["trace", id])).json as TraceReply | undefined;
        return reply?.case?.status === status ? reply : undefined;
      },
      60_000,
      `case ${id} to be ${status}`,
    );
  const proposalOf = (id: string) =>
    fleet.waitFor(
      async () =>
        ((await fleet.soc(["rules"])).json as Proposals | undefined)?.proposals.find((p) => p.case_id === id),
      60_000,
      `a rule change from ${id}`,
    );

  /** A backup job reading /etc/shadow in the identity namespace, night after night. */
  const backup = (night: number) =>
    falcoAlert({
      rule: "Read sensitive file untrusted",
      priority: "Warning",
      tags: ["filesystem", "maturity_stable", "mitre_credential_access", "T1555"],
      namespace: "identity",
      pod: `shadow-backup-2911${String(night)}-x7k2p`,
      image: "ghcr.io/acme/restic",
      cmdline: `restic backup --tag night-${String(night)} /etc`,
      fields: { "proc.name": "restic", "proc.pname": "sh", "fd.name": "/etc/shadow" },
    });

  it("drafts an exception once two cases of a workload are dismissed: validated, replayed, pushed and opened as a pull request with its report", async () => {
    // The rule's other workloads, waiting for analysts: recorded events the exception must not spare.
    for (let app = 1; app <= 8; app++) {
      const { body } = await fleet.post(
        falcoAlert({
          rule: "Read sensitive file untrusted",
          priority: "Warning",
          tags: ["filesystem", "maturity_stable", "mitre_credential_access", "T1555"],
          namespace: "identity",
          pod: `app-${String(app)}-0`,
          image: `ghcr.io/acme/app-${String(app)}`,
          cmdline: "cat /etc/shadow",
          fields: { "proc.name": "cat", "proc.pname": "bash", "fd.name": "/etc/shadow" },
        }),
      );
      await settled(body.case_id as string, "awaiting_human");
    }
    const first = await escalated(backup(1));
    expect((await fleet.soc(["dismiss", first, "nightly backup, expected"])).code).toBe(0);
    await settled(first, "closed");
    // One dismissal drafts nothing by itself.
    expect(((await fleet.soc(["rules"])).json as Proposals).proposals).toEqual([]);

    const second = await escalated(backup(2));
    expect((await fleet.soc(["dismiss", second, "nightly backup, expected"])).code).toBe(0);
    const proposal = await proposalOf(second);
    expect(proposal).toMatchObject({
      kind: "exception",
      trigger: "dismissed",
      rule: { name: "Read sensitive file untrusted" },
      cases: [first, second],
      validation: { ok: true, messages: [] },
      replay: { events: 10, dismissed: 2, spared_dismissed: 2, spared_approved: [], spared_open: [] },
      gate: { outcome: "pull_request" },
      state: "open",
    });
    const pr = proposal.pull_request;
    if (!pr) throw new Error("no pull request");

    // The pull request, as a reviewer sees it in Gitea: the change, the validator, the replay, the cases.
    const pull = await api(`/pulls/${String(pr.number)}`);
    expect(pull).toMatchObject({ state: "open", title: expect.stringContaining(proposal.name) as unknown });
    expect((pull.head as { ref: string }).ref).toBe(`soc/${proposal.id}`);
    expect((pull.base as { ref: string }).ref).toBe("main");
    const body = String(pull.body);
    for (const part of [
      "## The change",
      "falco-lang validate --strict",
      "## Replay on 10 recorded",
      first,
      second,
    ])
      expect(body).toContain(part);

    // The branch appends the exception to the rules file; main is untouched: humans merge.
    const branchFile = await fileOn(pr.branch);
    expect(branchFile.startsWith(gitea.initial.trimEnd())).toBe(true);
    expect(branchFile).toContain(`name: ${proposal.name}`);
    expect(branchFile).toContain("append: true");
    expect(await fileOn("main")).toBe(gitea.initial);
    const commit = await api(`/git/commits/${(pull.head as { sha: string }).sha}`);
    expect((commit.commit as { author: { name: string } }).author.name).toBe("soc-fleet");

    // The case's chain has the hop, and the humans were told (the terminal front end's case update).
    const trace = await settled(second, "closed");
    expect(trace.steps.find((s) => s.skill === "draft_rule")?.summary).toContain(pr.url);
    await fleet.waitFor(
      () => fleet.output.some((l) => l.includes(`pull request #${String(pr.number)}: ${pr.url}`)),
      30_000,
      "the pull request shown to the humans",
    );
  });

  it("drafts a louder rule from an approval of what Falco rated below the analysis, and opens it once an approver confirms what the policy escalated", async () => {
    // A shell on the pod first (Falco rates it Notice: rejected), so the next rule corroborates it.
    const shell = falcoAlert({
      rule: "Terminal shell in container",
      priority: "Notice",
      tags: ["container", "maturity_stable", "mitre_execution", "shell", "T1059"],
      namespace: "identity",
      pod: "keycloak-0",
      image: "quay.io/keycloak/keycloak",
      cmdline: "bash -i",
      fields: { "proc.name": "bash", "proc.pname": "runc", "proc.tty": 34816 },
    });
    await settled((await fleet.post(shell)).body.case_id as string, "closed");
    const read = falcoAlert({
      rule: "Read sensitive file untrusted",
      priority: "Warning",
      tags: ["filesystem", "maturity_stable", "mitre_credential_access", "T1555"],
      namespace: "identity",
      pod: "keycloak-0",
      image: "quay.io/keycloak/keycloak",
      cmdline: "cat /etc/shadow",
      fields: { "proc.name": "cat", "proc.pname": "bash", "fd.name": "/etc/shadow" },
    });
    const id = await escalated(read);
    expect((await fleet.soc(["approve", id])).code).toBe(0);
    const proposal = await proposalOf(id);
    expect(proposal).toMatchObject({
      kind: "rule",
      trigger: "approved",
      cases: [id],
      // High, corroborated by the shell: Error, above the Warning Falco gave it.
      rule: { name: "Read sensitive file untrusted", priority: "ERROR" },
      validation: { ok: true, messages: [] },
      replay: { approved: 1, matched_approved: 1 },
      // A new rule at Error is the policy's to show an approver first.
      gate: { outcome: "escalate", reasons: ["a rule at priority ERROR"] },
      state: "escalated",
      pull_request: null,
    });
    expect(proposal.yaml).toContain("quay.io/keycloak/keycloak");
    expect(proposal.yaml).toContain("T1555");

    const asked = (await fleet.soc(["rule", id])).json as Drafted;
    expect(asked.proposal).toMatchObject({ id: proposal.id, state: "open", confirmed_by: "operator" });
    const pr = asked.proposal?.pull_request;
    if (!pr) throw new Error("no pull request");
    expect(await fileOn(pr.branch)).toContain(proposal.name);
    expect(String((await api(`/pulls/${String(pr.number)}`)).body)).toContain("Confirmed by operator.");
  });

  it("follows a pull request a human merged, and lists what each proposal became", async () => {
    const listed = ((await fleet.soc(["rules"])).json as Proposals).proposals;
    const exception = listed.find((p) => p.kind === "exception");
    if (!exception?.pull_request) throw new Error("no exception pull request");
    const merged = await fetch(
      `${gitea.url}/api/v1/repos/${gitea.owner}/${gitea.repo}/pulls/${String(exception.pull_request.number)}/merge`,
      {
        method: "POST",
        headers: { Authorization: `token ${gitea.token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ Do: "merge" }),
      },
    );
    expect(merged.status).toBe(200);
    const after = ((await fleet.soc(["rules"])).json as Proposals).proposals;
    expect(after.find((p) => p.id === exception.id)?.state).toBe("merged");
    expect(await fileOn("main")).toContain(exception.name);
    // The proposal replayed on the user's own falcosidekick lines: the backup's nights it pinned are
    // spared, another command of the same program and another image are not.
    const events = join(fleet.home, "own-events.jsonl");
    writeFileSync(
      events,
      [
        backup(1),
        backup(2),
        backup(3),
        {
          ...backup(1),
          output_fields: { ...backup(1).output_fields, "container.image.repository": "ghcr.io/acme/other" },
        },
      ]
        .map((e) => JSON.stringify(e))
        .join("\n"),
    );
    const replayed = await fleet.soc(["rule", "replay", events, "--proposal", exception.id]);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(
      (replayed.json as { changes: { kind: string; hits: number[]; events: number }[] }).changes,
    ).toEqual([expect.objectContaining({ kind: "exception", events: 4, hits: [1, 2] })]);

    // Asked for again once merged: the base branch has it, nothing is pushed nor opened twice.
    const pulls = async () =>
      (
        (await (
          await fetch(`${gitea.url}/api/v1/repos/${gitea.owner}/${gitea.repo}/pulls?state=all&limit=50`, {
            headers: { Authorization: `token ${gitea.token}` },
          })
        ).json()) as unknown[]
      ).length;
    const before = await pulls();
    const again = (await fleet.soc(["rule", exception.case_id])).json as Drafted;
    expect(again.proposal).toMatchObject({ id: exception.id, state: "merged" });
    expect(await pulls()).toBe(before);
    const text = (await fleet.soc(["rules"], { json: false })).stdout;
    expect(text).toContain(`${exception.id}  ${exception.case_id}  exception merged`);

    // What the SOC's dashboards read: drafts by kind and where they went; the merged share; the
    // events a day the merged exceptions spare.
    const config = loadConfig(FleetConfig, fleet.env);
    const scrape = async (name: "rules" | "coordinator") =>
      (await fetch(`${config.opsUrl(name)}/metrics`)).text();
    const drafts = await scrape("rules");
    expect(drafts).toContain('soc_rule_drafts_total{kind="exception",state="open",component="rules"} 1');
    expect(drafts).toContain('soc_rule_drafts_total{kind="rule",state="escalated",component="rules"} 1');
    const proposals = await scrape("coordinator");
    expect(proposals).toContain(
      'soc_rule_proposals{kind="exception",state="merged",component="coordinator"} 1',
    );
    expect(proposals).toContain('soc_rule_proposals{kind="rule",state="open",component="coordinator"} 1');
    const spared = Number(/^soc_rule_exceptions_spared_events_per_day\{[^}]*\} (\S+)$/m.exec(proposals)?.[1]);
    expect(spared).toBeCloseTo(exception.replay.per_day, 6);
    expect(spared).toBeGreaterThan(0);
  });

  it("builds on the SOC's own rules file: an exception to a rule only it defines, checked on top of it", async () => {
    const file = await api(`/contents/${gitea.file}?ref=main`);
    const custom = `${Buffer.from(String(file.content), "base64").toString("utf8").trimEnd()}

- rule: Acme vault token read
  desc: A process outside the vault agent read the vault token
  condition: open_read and fd.name = /var/run/secrets/vault/token and not proc.name = vault-agent
  output: Vault token read (proc=%proc.name file=%fd.name image=%container.image.repository)
  priority: WARNING
  tags: [acme, mitre_credential_access]
`;
    const updated = await fetch(
      `${gitea.url}/api/v1/repos/${gitea.owner}/${gitea.repo}/contents/${gitea.file}`,
      {
        method: "PUT",
        headers: { Authorization: `token ${gitea.token}`, "Content-Type": "application/json" },
        body: JSON.stringify({
          branch: "main",
          sha: file.sha,
          message: "The SOC's own rule for the vault token",
          content: Buffer.from(custom).toString("base64"),
        }),
      },
    );
    expect(updated.status).toBe(200);
    const read = (pod: string) =>
      falcoAlert({
        rule: "Acme vault token read",
        priority: "Warning",
        tags: ["acme", "mitre_credential_access"],
        namespace: "identity",
        pod,
        image: "ghcr.io/acme/token-rotator",
        cmdline: "rotate --token /var/run/secrets/vault/token",
        fields: { "proc.name": "rotate", "proc.pname": "sh", "fd.name": "/var/run/secrets/vault/token" },
      });
    const ids = [await escalated(read("rotator-a")), await escalated(read("rotator-b"))];
    for (const id of ids) expect((await fleet.soc(["dismiss", id, "the rotator, expected"])).code).toBe(0);
    const proposal = await proposalOf(ids[1] ?? "");
    // Every recorded event of the rule is the rotator's: the policy wants an analyst first.
    expect(proposal).toMatchObject({
      kind: "exception",
      rule: { name: "Acme vault token read", priority: "WARNING" },
      validation: { ok: true, messages: [] },
      state: "escalated",
    });
    const asked = (await fleet.soc(["rule", ids[1] ?? ""])).json as Drafted;
    const pr = asked.proposal?.pull_request;
    if (!pr) throw new Error(`no pull request: ${asked.note}`);
    const branchFile = await fileOn(pr.branch);
    expect(branchFile.startsWith(custom.trimEnd())).toBe(true);
    expect(branchFile).toContain(`name: ${proposal.name}`);
  });
});
