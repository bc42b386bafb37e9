import Database from "better-sqlite3";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Post } from "@mattermost/types/posts";
import type { Case } from "../contracts/case.js";
import type { Step } from "../contracts/step.js";
import { MattermostApi } from "../bot/mattermost/api.js";
import { setUp } from "../bot/mattermost/setup.js";
import { Signer } from "../bot/mattermost/signing.js";
import { FleetConfig } from "../contracts/config.js";
import { falcoAlert } from "../fleet/alerts.js";
import { loadConfig } from "../runtime/config.js";
import { clientFor } from "../fleet/mattermost.js";
import { BOT_SECRET, MattermostStage, PersonSocket } from "./mattermost-harness.js";

type TraceReply = { case: Case; steps: Step[] };
interface Attachment {
  title?: string;
  text?: string;
  fields?: { title: string; value: string }[];
  actions?: { id: string; name: string }[];
}

/** An alert the policy escalates (identity namespace, identity-store image), on a pod of its own. */
const escalating = (pod: string, rule = "Drop and execute new binary in container", extra = {}) =>
  falcoAlert({
    rule,
    priority: "Critical",
    tags: ["container", "maturity_stable", "mitre_persistence", "process", "TA0003"],
    namespace: "identity",
    pod,
    image: "quay.io/keycloak/keycloak",
    ...extra,
  });

const attachmentOf = (post: Post) => (post.props.attachments as Attachment[] | undefined)?.[0] ?? {};

describe("the Mattermost front end against a real Mattermost server (PostgreSQL), the fleet as separate processes", () => {
  let stage: MattermostStage;
  let alice: PersonSocket;
  let mallory: PersonSocket;

  beforeAll(async () => {
    stage = await MattermostStage.start();
    alice = await PersonSocket.open(stage.world.url, stage.person("alice").token);
    mallory = await PersonSocket.open(stage.world.url, stage.person("mallory").token);
  }, 240_000);
  afterAll(async () => {
    alice.close();
    mallory.close();
    await stage.stop();
  });

  const open = async (alert: unknown): Promise<string> => {
    const { status, body } = await stage.fleet.post(alert);
    expect(status).toBe(200);
    expect(body.forwarded).toBe(true);
    return body.case_id as string;
  };
  const trace = async (id: string) => (await stage.fleet.soc(["trace", id])).json as TraceReply;
  const settled = (id: string, test: (c: Case) => boolean, what: string) =>
    stage.fleet.waitFor(
      async () => {
        const reply = await trace(id);
        return test(reply.case) ? reply : undefined;
      },
      30_000,
      `case ${id} to be ${what}`,
    );
  const awaiting = (id: string) => settled(id, (c) => c.status === "awaiting_human", "awaiting a decision");
  const thread = async (post: Post) => {
    const list = await stage.person("alice").client.getPostThread(post.root_id || post.id);
    return list.order.map((id) => list.posts[id]).filter((p): p is Post => p !== undefined);
  };
  const waitForThread = (post: Post, test: (posts: Post[]) => boolean, what: string) =>
    stage.fleet.waitFor(
      async () => {
        const posts = await thread(post);
        return test(posts) ? posts : undefined;
      },
      30_000,
      what,
    );
  /** The post as it reads once `test` holds (updates arrive through the bot's outbox). */
  const postWhen = (post: Post, test: (current: Post) => boolean, what: string) =>
    stage.fleet.waitFor(
      async () => {
        const current = await stage.person("alice").client.getPost(post.id);
        return test(current) ? current : undefined;
      },
      15_000,
      what,
    );
  const audit = (caseId: string | null, user?: string) => {
    const db = new Database(join(stage.fleet.home, "data", "mattermost-bot.db"), { readonly: true });
    try {
      const rows = db
        .prepare("SELECT user, user_id, case_id, action, via, outcome, detail FROM audit ORDER BY id")
        .all() as {
        user: string;
        user_id: string | null;
        case_id: string | null;
        action: string;
        via: string;
        outcome: string;
        detail: string | null;
      }[];
      return rows.filter((r) => (caseId === null || r.case_id === caseId) && (!user || r.user === user));
    } finally {
      db.close();
    }
  };

  it("posts an escalation with its fields, its reasoning chain in the thread, and three buttons", async () => {
    const id = await open(escalating("keycloak-0"));
    const post = await stage.escalationPost(id);
    const { case: escalated, steps } = await awaiting(id);
    const attachment = attachmentOf(post);
    const fields = Object.fromEntries((attachment.fields ?? []).map((f) => [f.title, f.value]));
    expect(fields.Case).toBe(`\`${id}\``);
    expect(fields.trace_id).toBe(`\`${escalated.trace_id}\``);
    expect(fields.Asset).toContain("identity/keycloak-0");
    expect(fields.Asset).toContain("quay.io/keycloak/keycloak");
    expect(fields.Severity).toBe("critical");
    expect(fields["MITRE technique"]).toBeDefined();
    expect(fields.Confidence).toMatch(/^0\.\d\d$/);
    expect(fields["Proposed action"]).toContain("isolate_pod");
    expect(fields["Blast radius"]).toMatch(/^\d+ pods, \d+ nodes, \d+ namespaces$/);
    expect(fields["Why escalated"]).toContain("identity");
    // The server strips the integration (URL and signed context) from what clients see.
    expect(attachment.actions?.map((a) => [a.id, a.name])).toEqual([
      ["approve", "Approve"],
      ["dismiss", "Dismiss"],
      ["investigate", "Investigate"],
    ]);
    expect(JSON.stringify(post.props)).not.toContain("sig");
    // The steps the escalation carried: all but its own notify step.
    const shown = steps.filter((s) => s.skill !== "escalate");
    const replies = await waitForThread(
      post,
      (posts) => posts.length > shown.length,
      "every step in the thread",
    );
    for (const step of shown) {
      expect(replies.some((r) => r.message.includes(`**${step.seq}. ${step.agent}**`))).toBe(true);
    }
  });

  it("reports every configuration problem at once, with what to fix", async () => {
    const settings = {
      url: stage.world.url,
      team: "no-such-team",
      channel: "soc-cases",
      publicUrl: stage.callbackBase,
      approvers: {},
    };
    const badToken = await setUp(new MattermostApi(stage.world.url, "not-a-token"), settings).catch(
      (e: unknown) => e,
    );
    expect(String(badToken)).toContain("MATTERMOST_BOT_TOKEN is not accepted");
    const api = new MattermostApi(stage.world.url, stage.world.bot.token);
    const noTeam = await setUp(api, settings).catch((e: unknown) => e);
    expect(String(noTeam)).toContain('MATTERMOST_TEAM "no-such-team" not found');
    expect(String(noTeam)).toContain("AllowedUntrustedInternalConnections");
    const noChannel = await setUp(api, { ...settings, team: stage.world.team.name, channel: "nope" }).catch(
      (e: unknown) => e,
    );
    expect(String(noChannel)).toContain('MATTERMOST_CHANNEL "nope" not found');
    // Approvers are found by id or username once, at start: never a stranger, a bot or someone gone.
    const admin = stage.world.admin.client;
    const gone = await admin.createUser(
      { username: "gone", email: "gone@example.com", password: "Soc-fleet-test-1!" } as Parameters<
        typeof admin.createUser
      >[0],
      "",
      "",
    );
    await admin.updateUserActive(gone.id, false);
    const badApprovers = await setUp(api, {
      ...settings,
      team: stage.world.team.name,
      approvers: {
        "no-such-user": ["responder"],
        [stage.world.bot.username]: ["responder"],
        [gone.id]: ["responder"],
        [stage.person("carol").id]: ["responder"],
      },
    }).catch((e: unknown) => e);
    expect(
      String(badApprovers)
        .split("\n")
        .filter((line) => line.includes("SOC_APPROVERS")),
    ).toEqual([
      "  - SOC_APPROVERS names no-such-user, who is not a Mattermost user: give a user id or a username",
      `  - SOC_APPROVERS names ${stage.world.bot.username}, a bot: approvers are people`,
      `  - SOC_APPROVERS names ${gone.id}, a deactivated user: remove it`,
    ]);
    const byId = await setUp(api, {
      ...settings,
      team: stage.world.team.name,
      approvers: { [stage.person("carol").id]: ["responder"], bob: ["responder"] },
    });
    expect([...byId.approvers]).toEqual([
      [stage.person("carol").id, stage.person("carol").id],
      [stage.person("bob").id, "bob"],
    ]);
    // The bot's own setup found everything: the command exists, pointing at the bot.
    // Listed as the bot, which created it (others see its URL blanked).
    const registered = (await api.commands(stage.world.team.id)).find((c) => c.trigger === "soc");
    expect(registered?.url).toBe(`${stage.callbackBase}/mattermost/command`);
    expect(registered?.auto_complete_hint).toContain("approve | dismiss | investigate | undo | trace");
  });

  it("joins repeated escalations of the same rule, workload and technique to one thread", async () => {
    const first = await stage.escalationPost(await open(escalating("ldap-0")));
    const second = await stage.escalationPost(await open(escalating("ldap-0")));
    const other = await stage.escalationPost(
      await open(escalating("ldap-0", "Netcat Remote Code Execution in Container")),
    );
    expect(first.root_id).toBe("");
    expect(second.root_id).toBe(first.id);
    expect(other.root_id).toBe("");
  });

  it("answers /soc help, /soc status and /soc trace in the channel", async () => {
    const id = await open(escalating("keycloak-1"));
    const { case: escalated, steps } = await awaiting(id);
    const help = await stage.command("alice", "help");
    expect(help.text).toContain("approve <case>");
    expect(help.text).toContain("trace <trace_id|case>");
    const status = await stage.command("alice", "status");
    expect(status.text).toContain("**Fleet:** all ready");
    expect(status.text).toMatch(/awaiting_human \d+/);
    expect(status.text).toContain("**Today:**");
    for (const ref of [id, escalated.trace_id]) {
      const chain = await stage.command("alice", `trace ${ref}`);
      expect(chain.text).toContain(escalated.trace_id);
      for (const step of steps) expect(chain.text).toContain(`| ${step.seq} |`);
      expect(chain.text).toContain("policy-engine.evaluate_action");
    }
    const usage = await stage.command("alice", "frobnicate C-22222");
    expect(usage.text).toContain('unknown command "frobnicate"');
    expect(usage.text).toContain("/soc <command>");
  });

  it("shows cases in the fleet's channel and to approvers only: a member asking elsewhere is refused and audited", async () => {
    const admin = clientFor(stage.world.url, stage.world.admin.token);
    const elsewhere = await admin.createChannel({
      team_id: stage.world.team.id,
      name: "soc-elsewhere",
      display_name: "elsewhere",
      type: "O",
    });
    await admin.addToChannels([stage.person("mallory").id, stage.person("alice").id], elsewhere.id);
    const refused = await stage.command("mallory", "cases", elsewhere.id);
    expect(refused.text).toContain("Refused: `/soc cases` answers in ~soc-cases or to approvers.");
    expect(refused.text).not.toContain("C-");
    expect(audit(null, "mallory").filter((r) => r.detail === "outside the channel")).toMatchObject([
      { action: "cases", via: "command", outcome: "refused" },
    ]);
    // In the fleet's channel mallory is answered; an approver is answered anywhere; help is for all.
    expect((await stage.command("mallory", "status")).text).toContain("**Fleet:**");
    expect((await stage.command("alice", "status", elsewhere.id)).text).toContain("**Fleet:**");
    expect((await stage.command("mallory", "help", elsewhere.id)).text).toContain("approve <case>");
  });

  it("approves by button: the case resumes and is remediated, the post is updated in place, Undo restores it", async () => {
    const id = await open(escalating("keycloak-2"));
    const post = await stage.escalationPost(id);
    await awaiting(id);
    await stage.person("alice").client.doPostAction(post.id, "approve");
    const { case: closed, steps } = await settled(id, (c) => c.status === "closed", "closed");
    expect(closed.resolution).toBe("remediated");
    expect(closed.decision).toMatchObject({ action: "approve", by: "alice" });
    expect(steps.filter((s) => s.skill === "execute")).toHaveLength(1);
    const updated = await postWhen(
      post,
      (current) => !attachmentOf(current).actions?.length,
      "the buttons to go",
    );
    const decision = attachmentOf(updated).fields?.find((f) => f.title === "Decision")?.value ?? "";
    expect(decision).toMatch(/^approved by `alice` at 20\d\d-/);

    // Once remediated, the thread offers Undo.
    const replies = await waitForThread(
      post,
      (posts) => posts.some((p) => attachmentOf(p).actions?.some((a) => a.name === "Undo")),
      "an Undo button in the thread",
    );
    const undoPost = replies.find((p) => attachmentOf(p).actions?.some((a) => a.name === "Undo"));
    if (!undoPost) throw new Error("no Undo post");
    await stage.person("mallory").client.doPostAction(undoPost.id, "undo");
    await stage.person("alice").client.doPostAction(undoPost.id, "undo");
    const undone = await trace(id);
    expect(undone.steps.at(-1)).toMatchObject({ agent: "remediate", skill: "restore" });
    expect(audit(id, "alice")).toEqual([
      expect.objectContaining({ action: "approve", via: "button", outcome: "applied" }),
      expect.objectContaining({ action: "undo", via: "button", outcome: "applied" }),
    ]);
    expect(audit(id, "mallory")).toEqual([expect.objectContaining({ action: "undo", outcome: "refused" })]);
  });

  it("investigates by button: more evidence in the thread, the case stays open", async () => {
    const id = await open(escalating("keycloak-3"));
    const post = await stage.escalationPost(id);
    await awaiting(id);
    await stage.person("alice").client.doPostAction(post.id, "investigate");
    const replies = await waitForThread(
      post,
      (posts) => posts.some((p) => p.message.startsWith(`**More evidence** for \`${id}\``)),
      "the evidence",
    );
    const evidence = replies.find((p) => p.message.startsWith(`**More evidence** for \`${id}\``));
    // What the API server says of the pod, whichever way it went in this fleet.
    expect(evidence?.message).toMatch(/^\*\*Cluster:\*\* `[a-z_]+` · /m);
    expect((await trace(id)).case.status).toBe("awaiting_human");
  });

  it("shows a rule change drafted from two dismissals in the case's thread, confirmed by an approver's button; answers /soc rule and /soc rules", async () => {
    const rotation = (pod: string) =>
      falcoAlert({
        rule: "Read sensitive file untrusted",
        priority: "Warning",
        tags: ["filesystem", "maturity_stable", "mitre_credential_access", "T1555"],
        namespace: "identity",
        pod,
        image: "ghcr.io/acme/key-rotator",
        cmdline: "rotator --rotate /etc/shadow",
        fields: { "proc.name": "rotator", "proc.pname": "sh", "fd.name": "/etc/shadow" },
      });
    const ids = [await open(rotation("rotator-1")), await open(rotation("rotator-2"))];
    for (const id of ids) {
      await awaiting(id);
      const answer = await stage.command("alice", `dismiss ${id} weekly key rotation, expected`);
      expect(answer.text).toContain("dismissed");
      await settled(id, (c) => c.status === "closed", "closed");
    }
    // Every recorded event of the rule here is the rotator's: sparing them all is an analyst's call first.
    const post = await stage.escalationPost(ids[1] ?? "");
    const posts = await waitForThread(
      post,
      (p) => p.some((q) => q.message.includes("**Rule change**")),
      "the rule change in the thread",
    );
    const shown = posts.find((q) => q.message.includes("**Rule change**"))?.message ?? "";
    expect(shown).toContain("· **escalated**");
    expect(shown).toContain("```yaml");
    expect(shown).toContain("append: true");
    expect(shown).toContain("rotator --rotate /etc/shadow");

    const listed = await stage.command("alice", "rules");
    const id = /`(soc_dismissed_[0-9a-f]{8})`/.exec(shown)?.[1] ?? "";
    expect(listed.text).toContain(`| \`${id}\` | \`${ids[1] ?? ""}\` | exception | escalated |`);
    // An approver's click confirms it; with no rules repository configured it is kept in the case.
    const confirming = posts.find((q) =>
      attachmentOf(q).actions?.some((a) => a.name === "Confirm the rule change"),
    );
    if (!confirming) throw new Error("no button to confirm the rule change");
    await stage.person("mallory").client.doPostAction(confirming.id, "rule");
    expect((await stage.command("alice", "rules")).text).toContain(
      `| \`${id}\` | \`${ids[1] ?? ""}\` | exception | escalated |`,
    );
    await stage.person("alice").client.doPostAction(confirming.id, "rule");
    expect((await stage.command("alice", "rules")).text).toContain(
      `| \`${id}\` | \`${ids[1] ?? ""}\` | exception | kept |`,
    );
    // The button confirms the change it shows, once: a second click finds it kept.
    await stage.person("alice").client.doPostAction(confirming.id, "rule");
    expect(audit(ids[1] ?? "")).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ user: "mallory", action: "rule", via: "button", outcome: "refused" }),
        expect.objectContaining({
          user: "alice",
          action: "rule",
          via: "button",
          outcome: "applied",
          detail: `${id} kept`,
        }),
        expect.objectContaining({
          user: "alice",
          action: "rule",
          via: "button",
          outcome: "refused",
          detail: `Refused: the rule change shown for ${ids[1] ?? ""} is kept now.`,
        }),
      ]),
    );
    // The slash command confirms as the button does, for approvers alone.
    const confirmed = await stage.command("alice", `rule ${ids[1] ?? ""}`);
    expect(confirmed.text).toContain(`${id} kept`);
    expect((await stage.command("mallory", `rule ${ids[1] ?? ""}`)).text).not.toContain(id);
  });

  it("dismisses through the dialog with the reason; a reason too short is sent back", async () => {
    const id = await open(escalating("keycloak-4"));
    const post = await stage.escalationPost(id);
    await awaiting(id);
    const mark = alice.events.length;
    await stage.person("alice").client.doPostAction(post.id, "dismiss");
    const opened = await alice.next("open_dialog", mark);
    const { url, dialog } = JSON.parse(String(opened.data.dialog)) as {
      url: string;
      dialog: { callback_id: string; state: string };
    };
    const submit = (reason: string) =>
      stage.person("alice").client.submitInteractiveDialog({
        url,
        callback_id: dialog.callback_id,
        state: dialog.state,
        submission: { reason },
        user_id: stage.person("alice").id,
        channel_id: stage.world.channel.id,
        team_id: stage.world.team.id,
        cancelled: false,
      });
    expect((await submit("no")).errors?.reason).toBeTruthy();
    expect((await trace(id)).case.status).toBe("awaiting_human");
    await submit("scheduled maintenance by the identity team");
    const { case: closed } = await settled(id, (c) => c.status === "closed", "closed");
    expect(closed.resolution).toBe("dismissed");
    expect(closed.decision).toMatchObject({
      action: "dismiss",
      by: "alice",
      reason: "scheduled maintenance by the identity team",
    });
  });

  it("runs /soc approve through the same decision: the post is updated in place", async () => {
    const id = await open(escalating("keycloak-5"));
    const post = await stage.escalationPost(id);
    await awaiting(id);
    const reply = await stage.command("bob", `approve ${id}`);
    expect(reply.text).toContain(`${id} approved by bob`);
    await settled(id, (c) => c.status === "closed" && c.decision?.by === "bob", "closed by bob");
    await postWhen(
      post,
      (current) =>
        attachmentOf(current).fields?.some(
          (f) => f.title === "Decision" && f.value.startsWith("approved by `bob`"),
        ) ?? false,
      "the post to show bob's approval",
    );
    expect(audit(id, "bob")).toEqual([
      expect.objectContaining({ action: "approve", via: "command", outcome: "applied" }),
    ]);
  });

  it("refuses a member who is not an approver everywhere, changes nothing, and audits every refusal", async () => {
    const id = await open(escalating("keycloak-6"));
    const post = await stage.escalationPost(id);
    await awaiting(id);
    const client = stage.person("mallory").client;
    for (const action of ["approve", "dismiss", "investigate"]) {
      const mark = mallory.events.length;
      await client.doPostAction(post.id, action);
      expect(await mallory.ephemeral(mark)).toContain("@mallory may not decide cases");
    }
    expect(mallory.events.some((e) => e.event === "open_dialog")).toBe(false);
    const command = await stage.command("mallory", `approve ${id}`);
    expect(command.text).toContain("may not decide cases");
    // A dialog state alice was given, submitted by mallory and by bob, an approver (the server lets
    // anyone submit any dialog): the state is alice's alone.
    const mark = alice.events.length;
    await stage.person("alice").client.doPostAction(post.id, "dismiss");
    const { url, dialog } = JSON.parse(String((await alice.next("open_dialog", mark)).data.dialog)) as {
      url: string;
      dialog: { callback_id: string; state: string };
    };
    for (const name of ["mallory", "bob"]) {
      const submitted = await stage.person(name).client.submitInteractiveDialog({
        url,
        callback_id: dialog.callback_id,
        state: dialog.state,
        submission: { reason: "looks fine to me" },
        user_id: stage.person(name).id,
        channel_id: stage.world.channel.id,
        team_id: stage.world.team.id,
        cancelled: false,
      });
      expect(submitted.error).toContain("opened by someone else");
    }
    const { case: unchanged, steps } = await trace(id);
    expect(unchanged.status).toBe("awaiting_human");
    expect(unchanged.decision).toBeNull();
    expect(steps.some((s) => s.skill === "investigate" || s.summary.includes("mallory"))).toBe(false);
    const refusals = audit(id, "mallory");
    expect(refusals.map((r) => [r.via, r.outcome])).toEqual([
      ["button", "refused"],
      ["button", "refused"],
      ["button", "refused"],
      ["command", "refused"],
      ["dialog", "refused"],
    ]);
    expect(audit(id, "bob")).toEqual([
      expect.objectContaining({
        via: "dialog",
        outcome: "refused",
        detail: "Refused: this dialog was opened by someone else.",
      }),
    ]);
  });

  it("knows approvers by user id: one renamed stays an approver, whoever takes the old name does not become one", async () => {
    const id = await open(escalating("keycloak-11"));
    const post = await stage.escalationPost(id);
    await awaiting(id);
    const aliceClient = stage.person("alice").client;
    const malloryClient = stage.person("mallory").client;
    await aliceClient.patchMe({ username: "alice-renamed" });
    try {
      await malloryClient.patchMe({ username: "alice" });
      try {
        const mark = mallory.events.length;
        await malloryClient.doPostAction(post.id, "approve");
        expect(await mallory.ephemeral(mark)).toContain("@alice may not decide cases");
        expect((await stage.command("mallory", `approve ${id}`)).text).toContain("may not decide cases");
        expect((await trace(id)).case.decision).toBeNull();
      } finally {
        await malloryClient.patchMe({ username: "mallory" });
      }
      await aliceClient.doPostAction(post.id, "approve");
      const { case: closed } = await settled(id, (c) => c.status === "closed", "closed");
      // Decided for the approver SOC_APPROVERS names, whatever the account is called today.
      expect(closed.decision?.by).toBe("alice");
      // The audit says who it was by user id, whatever name they went by.
      const [malloryId, aliceId] = [stage.person("mallory").id, stage.person("alice").id];
      expect(audit(id).map((r) => [r.user, r.user_id, r.action, r.outcome])).toEqual([
        ["alice", malloryId, "approve", "refused"],
        ["alice", malloryId, "approve", "refused"],
        ["alice-renamed", aliceId, "approve", "applied"],
      ]);
    } finally {
      await aliceClient.patchMe({ username: "alice" });
    }
  });

  it("asks the approvals policy: a responder may not approve a critical case, an incident commander may", async () => {
    const id = await open(escalating("keycloak-10"));
    const post = await stage.escalationPost(id);
    await awaiting(id);
    const carol = await PersonSocket.open(stage.world.url, stage.person("carol").token);
    try {
      const mark = carol.events.length;
      await stage.person("carol").client.doPostAction(post.id, "approve");
      expect(await carol.ephemeral(mark)).toMatch(/carol may not approve this: .*severity|role/);
    } finally {
      carol.close();
    }
    expect((await trace(id)).case.status).toBe("awaiting_human");
    expect(audit(id, "carol")).toEqual([expect.objectContaining({ action: "approve", outcome: "refused" })]);
    await stage.person("alice").client.doPostAction(post.id, "approve");
    const { case: closed } = await settled(id, (c) => c.status === "closed", "closed");
    expect(closed.decision?.by).toBe("alice");
  });

  it("refuses forged, expired and replayed contexts and dialog states, a slash request without the token, and one naming a user it does not come from", async () => {
    const decidedId = await open(escalating("keycloak-7"));
    const post = await stage.escalationPost(decidedId);
    await awaiting(decidedId);
    await stage.person("alice").client.doPostAction(post.id, "approve");
    await settled(decidedId, (c) => c.status === "closed", "closed");
    const openId = await open(escalating("keycloak-8"));
    await awaiting(openId);
    const aliceId = stage.person("alice").id;
    const click = async (grant: unknown) => {
      const response = await fetch(`${stage.callbackBase}/mattermost/action`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ user_id: aliceId, post_id: post.id, trigger_id: "x", context: { grant } }),
      });
      return ((await response.json()) as { ephemeral_text?: string }).ephemeral_text ?? "";
    };
    const future = Date.now() + 60_000;
    const forged = new Signer("an-attacker-guess-of-the-secret-0123456789").sign({
      case_id: openId,
      action: "approve",
      digest: "x",
      expires: future,
    });
    expect(await click(forged)).toContain("not issued by soc-fleet");
    expect(await click({ case_id: openId, action: "approve", digest: "x", expires: future })).toContain(
      "not issued by soc-fleet",
    );
    const genuine = new Signer(BOT_SECRET);
    expect(
      await click(genuine.sign({ case_id: openId, action: "approve", digest: "x", expires: Date.now() - 1 })),
    ).toContain("expired");
    expect(
      await click(genuine.sign({ case_id: decidedId, action: "approve", digest: "x", expires: future })),
    ).toContain("no longer awaits a decision");
    expect(
      await click(
        genuine.sign({
          case_id: openId,
          action: "approve",
          digest: "not-the-proposed-action",
          expires: future,
        }),
      ),
    ).toContain("proposed action");
    const submit = async (state: unknown) => {
      const response = await fetch(`${stage.callbackBase}/mattermost/dialog`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          type: "dialog_submission",
          callback_id: "dismiss",
          state: JSON.stringify(state),
          user_id: aliceId,
          submission: { reason: "a dismissal nobody was offered" },
        }),
      });
      return ((await response.json()) as { error?: string }).error ?? "";
    };
    expect(await submit(forged)).toContain("not issued by soc-fleet");
    expect(
      await submit(
        genuine.sign({ case_id: openId, action: "dismiss", digest: "x", expires: Date.now() - 1 }),
      ),
    ).toContain("expired");
    expect(
      await submit(genuine.sign({ case_id: decidedId, action: "dismiss", digest: "x", expires: future })),
    ).toContain("no longer awaits a decision");
    const slash = await fetch(`${stage.callbackBase}/mattermost/command`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        token: "guessed",
        user_name: "alice",
        text: `approve ${openId}`,
      }).toString(),
    });
    expect(slash.status).toBe(401);
    // With the real token, as Mattermost would send it: the user is the one user_id names, looked
    // up; a user_name saying alice is not read.
    const botApi = new MattermostApi(stage.world.url, stage.world.bot.token);
    const token = (await botApi.commands(stage.world.team.id)).find((c) => c.trigger === "soc")?.token ?? "";
    const asMallory = (fields: Record<string, string>) =>
      fetch(`${stage.callbackBase}/mattermost/command`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token, text: `approve ${openId}`, ...fields }).toString(),
      }).then(async (r) => ((await r.json()) as { text: string }).text);
    expect(await asMallory({ user_id: stage.person("mallory").id, user_name: "alice" })).toContain(
      "mallory may not decide cases",
    );
    expect(await asMallory({ user_id: "0".repeat(26), user_name: "alice" })).toContain("unknown user");
    expect((await trace(openId)).case.status).toBe("awaiting_human");
    expect(audit(openId).filter((r) => r.outcome === "applied")).toEqual([]);
    expect(audit(openId).filter((r) => r.outcome === "refused").length).toBeGreaterThanOrEqual(5);
  });

  it("answers an oversized and a deeply nested body on every callback with a refusal, counted or audited, and goes on serving", async () => {
    const config = loadConfig(FleetConfig, stage.fleet.env);
    const tooLarge = async () => {
      const text = await (await fetch(`${config.opsUrl("notify")}/metrics`)).text();
      const line = text.split("\n").find((l) => l.startsWith('soc_bad_requests_total{reason="too_large"'));
      return Number(line?.split(" ").pop() ?? 0);
    };
    const before = await tooLarge();
    const refusedBefore = audit(null).filter((r) => r.outcome === "refused").length;
    const paths = ["/mattermost/command", "/mattermost/action", "/mattermost/dialog"];
    const nested = `${'{"context":'.repeat(5_000)}{}${"}".repeat(5_000)}`;
    for (const path of paths) {
      const form = path.endsWith("command");
      const post = (body: string) =>
        fetch(`${stage.callbackBase}${path}`, {
          method: "POST",
          headers: { "content-type": form ? "application/x-www-form-urlencoded" : "application/json" },
          body,
        });
      expect(
        (await post(form ? `text=${"a".repeat(100_000)}` : `{"pad":"${"a".repeat(100_000)}"}`)).status,
        path,
      ).toBe(413);
      const deep = await post(form ? `${"a[".repeat(5_000)}b${"]".repeat(5_000)}=1` : nested);
      // Refused as it would be with nothing in it: no command token, no signed context or state.
      if (form) expect(deep.status).toBe(401);
      else expect(JSON.stringify(await deep.json()), path).toContain("not issued by soc-fleet");
    }
    expect(await tooLarge()).toBe(before + 3);
    // The nested ones are refusals like any unsigned request, audited.
    expect(audit(null).filter((r) => r.outcome === "refused").length).toBe(refusedBefore + 3);
    expect((await stage.command("alice", "help")).text).toContain("/soc");
  });

  it("executes the action once under two concurrent Approve clicks", async () => {
    const id = await open(escalating("keycloak-9"));
    const post = await stage.escalationPost(id);
    await awaiting(id);
    await Promise.all([
      stage.person("alice").client.doPostAction(post.id, "approve"),
      stage.person("bob").client.doPostAction(post.id, "approve"),
    ]);
    const { steps } = await settled(id, (c) => c.status === "closed", "closed");
    expect(steps.filter((s) => s.skill === "execute")).toHaveLength(1);
    const decisions = audit(id).filter((r) => r.action === "approve");
    expect(decisions.filter((r) => r.outcome === "applied")).toHaveLength(1);
    expect(decisions.filter((r) => r.outcome === "refused")).toHaveLength(1);
  });

  it("renders an injection corpus in Falco fields as inert text that fires no mention", async () => {
    const members = ["alice", "bob", "mallory"];
    const mentions = async () =>
      Promise.all(
        members.map(
          async (name) =>
            (await stage.person(name).client.getChannelMember(stage.world.channel.id, stage.person(name).id))
              .mention_count,
        ),
      );
    const before = await mentions();
    const nasty = [
      "@channel",
      "@all",
      "@here",
      "<!channel>",
      "<!here|here>",
      "@alice",
      "[click](https://evil.example/x)",
      "![pixel](https://evil.example/p.png)",
      "``` code fence",
      "`tick`",
      "line\n@channel",
      "zero\u200bwidth @\u200bchannel",
      "a".repeat(5_000),
    ].join(" ");
    const id = await open(
      escalating(`keycloak-x ${nasty}`, "Drop and execute new binary in container", {
        cmdline: nasty,
        fields: { "fd.name": nasty, "user.name": "@all" },
      }),
    );
    const post = await stage.escalationPost(id);
    await waitForThread(post, (posts) => posts.length >= 4, "the thread");
    expect(await mentions()).toEqual(before);
    // The control: the same server counts a plain mention of alice in a channel of hers.
    const control = await stage.world.admin.client.createChannel({
      team_id: stage.world.team.id,
      name: "control",
      display_name: "control",
      type: "O",
    });
    // alice joins by herself: being added by someone else is itself a mention.
    await stage.person("alice").client.addToChannel(stage.person("alice").id, control.id);
    const controlBefore = (
      await stage.person("alice").client.getChannelMember(control.id, stage.person("alice").id)
    ).mention_count;
    await stage.world.admin.client.createPost({
      channel_id: control.id,
      message: "@alice a plain mention",
    });
    const controlMember = await stage
      .person("alice")
      .client.getChannelMember(control.id, stage.person("alice").id);
    expect(controlMember.mention_count).toBe(controlBefore + 1);
    // Outside code spans nothing of the corpus is left: no mention, link, image or markup.
    for (const p of await thread(post)) {
      const texts = [
        p.message,
        ...((p.props.attachments as Attachment[] | undefined) ?? []).flatMap((a) => [
          a.title ?? "",
          a.text ?? "",
          ...(a.fields ?? []).map((f) => f.value),
        ]),
      ];
      for (const text of texts) {
        const outside = withoutCodeSpans(text);
        for (const bad of ["@channel", "@all", "@here", "@alice", "<!", "](", "\u200b"])
          expect(outside).not.toContain(bad);
        expect(text.length).toBeLessThan(16_383);
      }
    }
  });

  it("logs no secret: not the bot's token, the signing secret, a person's token or a private key", () => {
    // Last: every test above has had its say in the logs by now.
    const logs = join(stage.fleet.home, "logs");
    const text = [
      ...readdirSync(logs).map((file) => readFileSync(join(logs, file), "utf8")),
      stage.fleet.output.join("\n"),
    ].join("\n");
    expect(text.length).toBeGreaterThan(0);
    const secrets = {
      "the bot's token": stage.world.bot.token,
      "the signing secret": BOT_SECRET,
      ...Object.fromEntries(
        Object.entries(stage.world.people).map(([name, p]) => [`${name}'s token`, p.token]),
      ),
    };
    for (const [what, secret] of Object.entries(secrets)) expect(text.includes(secret), what).toBe(false);
    expect(text).not.toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----/);
  });
});

/** The text with every CommonMark inline code span removed (a run of n backticks to the next run of n). */
function withoutCodeSpans(text: string): string {
  let out = "";
  for (let i = 0; i < text.length;) {
    const run = /^`+/.exec(text.slice(i))?.[0];
    if (!run) {
      out += text.charAt(i);
      i++;
      continue;
    }
    const close = new RegExp(`(?<!\`)${run}(?!\`)`).exec(text.slice(i + run.length));
    if (!close) {
      out += run;
      i += run.length;
      continue;
    }
    i += run.length + close.index + run.length;
  }
  return out;
}
