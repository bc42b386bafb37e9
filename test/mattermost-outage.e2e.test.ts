import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Case } from "../contracts/case.js";
import { falcoAlert } from "../fleet/alerts.js";
import { MattermostStage } from "./mattermost-harness.js";

const escalating = (pod: string) =>
  falcoAlert({
    rule: "Drop and execute new binary in container",
    priority: "Critical",
    tags: ["container", "maturity_stable", "mitre_persistence", "process", "TA0003"],
    namespace: "identity",
    pod,
    image: "quay.io/keycloak/keycloak",
  });

describe("the Mattermost outbox against a real Mattermost server that goes away", () => {
  let stage: MattermostStage;

  beforeAll(async () => {
    stage = await MattermostStage.start();
  }, 240_000);
  afterAll(async () => {
    await stage.stop();
  });

  const escalate = async (pod: string): Promise<string> => {
    const { body } = await stage.fleet.post(escalating(pod));
    expect(body.forwarded).toBe(true);
    const id = body.case_id as string;
    await stage.fleet.waitFor(
      async () =>
        ((await stage.fleet.soc(["trace", id])).json as { case: Case }).case.status === "awaiting_human",
      30_000,
      `${id} to await a decision`,
    );
    return id;
  };
  const queued = () =>
    stage.fleet
      .logs()
      .notify?.filter((line) => line.msg === "escalation queued for Mattermost")
      .map((line) => line.case) ?? [];

  it("shows an escalation made while the bot itself did not answer, once it does", async () => {
    stage.fleet.signal("notify", "SIGSTOP");
    let id: string;
    try {
      const { body } = await stage.fleet.post(escalating("vault-stopped"));
      id = body.case_id as string;
      // The coordinator's call times out (SOC_AGENT_TIMEOUT_MS) and is recorded as a failed step.
      await stage.fleet.waitFor(
        async () =>
          (
            (await stage.fleet.soc(["trace", id])).json as {
              steps: { skill: string; error: string | null }[];
            }
          ).steps.some((s) => s.skill === "escalate" && s.error !== null),
        60_000,
        "a failed escalation step",
      );
    } finally {
      stage.fleet.signal("notify", "SIGCONT");
    }
    const post = await stage.escalationPost(id, 60_000);
    expect(post.message).toContain(id);
  });

  it("delivers every escalation made while Mattermost was down, in order, none twice, across a bot restart", async () => {
    const before = await escalate("keycloak-before");
    await stage.escalationPost(before);
    await stage.server.stop();
    const during: string[] = [];
    for (const pod of ["vault-0", "vault-1", "vault-2"]) during.push(await escalate(pod));
    await stage.fleet.waitFor(
      () => during.every((id) => queued().includes(id)),
      15_000,
      "the outbox to hold them",
    );
    // The bot restarts while they wait: the outbox is on disk.
    const oldPid = stage.fleet.pid("notify");
    stage.fleet.signal("notify", "SIGKILL");
    await stage.fleet.waitFor(
      async () => {
        try {
          return (
            stage.fleet.pid("notify") !== oldPid && (await fetch(`${stage.callbackBase}/`).then(() => true))
          );
        } catch {
          return false;
        }
      },
      30_000,
      "the bot to be back",
    );
    for (const pod of ["vault-3"]) during.push(await escalate(pod));
    await stage.server.start();
    for (const id of during) await stage.escalationPost(id, 60_000);
    const posts = await stage.posts();
    const escalations = posts.filter((p) => p.message.startsWith("**Escalated"));
    const ours = [before, ...during];
    const order = escalations
      .map((p) => /`(C-[A-Z0-9]{5})`/.exec(p.message)?.[1])
      .filter((id) => id !== undefined && ours.includes(id));
    expect(order).toEqual(ours);
    // Each step reply once too: no post made twice.
    const keys = posts.map((p) => p.props.soc_delivery).filter(Boolean);
    expect(new Set(keys).size).toBe(keys.length);
    // The restarted bot kept the /soc command's token: commands still answer.
    const status = await stage.command("alice", "status");
    expect(status.text).toContain("**Fleet:**");
  });
});
