import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { escalatedCase } from "../../test/fixtures.js";
import { clientComponentForTests } from "../../test/fakes.js";
import type { Component } from "../../runtime/component.js";
import type { MattermostApi, NewPost } from "./api.js";
import { ClientError } from "./client4.js";
import { Outbox } from "./outbox.js";
import { SqliteSql } from "../../runtime/sql/sqlite.js";
import { BotStore } from "./store.js";
import { Leases } from "../../runtime/sql/lease.js";

/** Mattermost's REST API as the outbox uses it, in memory: it can be down, or lose its answers. */
class FakeMattermost {
  posts: (NewPost & { id: string; user_id: string; create_at: number })[] = [];
  patched: { id: string; props: Record<string, unknown> }[] = [];
  down = false;
  loseNextAnswer = false;
  /** How long a post takes to be made, and how many are on their way. */
  slowMs = 0;
  posting = 0;
  /** How long the bot's client waits for an answer. */
  timeoutMs = 2_000;

  api(): MattermostApi {
    const gate = () => {
      if (this.down) throw new TypeError("fetch failed: ECONNREFUSED");
    };
    return {
      timeoutMs: this.timeoutMs,
      createPost: async (post: NewPost) => {
        gate();
        this.posting++;
        await new Promise((resolve) => setTimeout(resolve, this.slowMs));
        this.posting--;
        const created = {
          ...post,
          id: `p${this.posts.length + 1}`,
          user_id: "soc-bot",
          create_at: Date.now(),
        };
        this.posts.push(created);
        if (this.loseNextAnswer) {
          this.loseNextAnswer = false;
          return Promise.reject(new TypeError("fetch failed: socket hang up"));
        }
        return Promise.resolve(created);
      },
      postsSince: () => {
        gate();
        return Promise.resolve(this.posts.map((p) => ({ ...p, props: p.props ?? {} })));
      },
      patchPost: (id: string, patch: { props: Record<string, unknown> }) => {
        gate();
        if (!this.posts.some((p) => p.id === id)) {
          return Promise.reject(
            new ClientError("http://mm", { message: "not found", url: "", status_code: 404 }),
          );
        }
        this.patched.push({ id, props: patch.props });
        return Promise.resolve({});
      },
    } as unknown as MattermostApi;
  }
}

describe("Outbox", () => {
  let dir: string;
  let store: BotStore;
  let mattermost: FakeMattermost;
  let outbox: Outbox;
  let component: Component;
  const settle = async (test: () => boolean | Promise<boolean>) => {
    for (let i = 0; i < 200 && !(await test()); i++) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(await test()).toBe(true);
  };
  const escalation = (n: number) => ({
    kind: "escalation" as const,
    message: `escalated ${n}`,
    attachment: { fallback: "f", color: "#000", actions: [] },
    group_key: `group-${n}`,
    escalated_at: Date.now(),
  });

  /** A bot replica's outbox on the test's database, holding its leases as `holder`. */
  const replica = async (holder: string, ttlMs = 10_000) => {
    const sql = new SqliteSql(join(dir, "bot.db"));
    const replicaStore = await BotStore.open(sql);
    const leases = await Leases.open(sql, holder, ttlMs);
    leases.keepAlive(() => undefined);
    const replicaComponent = clientComponentForTests("notify");
    const replicaOutbox = new Outbox(
      replicaComponent,
      replicaStore,
      mattermost.api(),
      () => ({ channelId: "channel-1", botId: "soc-bot" }),
      3_600_000,
      leases,
    );
    let stopped = false;
    /** Stops as on SIGTERM: the delivery on its way finished, the lease given up. */
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      await replicaOutbox.stop();
      leases.stop();
      await replicaStore.close();
    };
    /** Dies as on kill -9: its database gone, its lease left to run out. */
    const die = async () => {
      stopped = true;
      leases.stop();
      // What it had on its way goes on without it, as a request already sent does.
      void replicaOutbox.stop().catch(() => undefined);
      await replicaStore.close();
    };
    stops.push(stop);
    return { store: replicaStore, outbox: replicaOutbox, leases, component: replicaComponent, stop, die };
  };
  let stops: (() => Promise<void>)[];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "soc-outbox-"));
    stops = [];
    mattermost = new FakeMattermost();
    ({ store, outbox, component } = await replica("notify"));
  });
  afterEach(async () => {
    for (const stop of stops) await stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("delivers escalations in order ahead of thread replies, each reply into its case's thread", async () => {
    await outbox.add("C-22222", escalation(1));
    await outbox.add("C-22222", { kind: "reply", message: "step 1" });
    await outbox.add("C-22222", { kind: "reply", message: "step 2" });
    await outbox.add("C-33333", escalation(2));
    await outbox.add("C-33333", { kind: "reply", message: "step 1 of 2" });
    await settle(async () => (await store.pendingCount()) === 0);
    expect(mattermost.posts.map((p) => [p.message, p.root_id ?? null])).toEqual([
      ["escalated 1", null],
      ["escalated 2", null],
      ["step 1", "p1"],
      ["step 2", "p1"],
      ["step 1 of 2", "p2"],
    ]);
  });

  it("is delivered by one replica at a time, what any replica queued, in order; another takes over when it dies", async () => {
    await stops.shift()?.();
    const a = await replica("notify/a", 400);
    const b = await replica("notify/b", 400);
    await b.outbox.add("C-22222", escalation(1));
    await a.outbox.add("C-33333", escalation(2));
    await b.outbox.add("C-44444", escalation(3));
    await settle(async () => (await a.store.pendingCount()) === 0);
    expect(mattermost.posts.map((p) => p.message)).toEqual(["escalated 1", "escalated 2", "escalated 3"]);
    // The one delivering dies without a word; the other takes over once its lease runs out.
    const leader = await a.leases.holderOf("bot/outbox");
    const [dead, alive] = leader === "notify/a" ? [a, b] : [b, a];
    await dead.die();
    await alive.store.enqueue("C-55555", "escalation", escalation(4));
    await settle(async () => (await alive.store.pendingCount()) === 0);
    expect(await alive.leases.holderOf("bot/outbox")).toBe(alive.leases.holder);
    expect(mattermost.posts.map((p) => p.message)).toEqual([
      "escalated 1",
      "escalated 2",
      "escalated 3",
      "escalated 4",
    ]);
  });

  it("waits out a post another replica had on its way when it died, then finds it: never posted twice", async () => {
    await stops.shift()?.();
    // The client gives up after 2 s; this post takes 1.5 s to be made.
    mattermost.timeoutMs = 2_000;
    const a = await replica("notify/a", 300);
    mattermost.slowMs = 1_500;
    await a.outbox.add("C-22222", escalation(1));
    await settle(() => mattermost.posting > 0);
    // a dies with the post on its way; b takes the outbox once a's lease runs out, before the post is made.
    await a.die();
    mattermost.slowMs = 0;
    const b = await replica("notify/b", 300);
    await settle(async () => (await b.store.pendingCount()) === 0);
    await settle(() => mattermost.posting === 0);
    expect(mattermost.posts.map((p) => p.message)).toEqual(["escalated 1"]);
    expect((await b.store.post("C-22222"))?.post_id).toBe("p1");
  });

  it("hands the outbox over on a graceful stop only once the post on its way is made: never posted twice", async () => {
    await stops.shift()?.();
    const a = await replica("notify/a", 60_000);
    const b = await replica("notify/b", 60_000);
    mattermost.slowMs = 300;
    await a.outbox.add("C-22222", escalation(1));
    await settle(() => mattermost.posting > 0);
    await a.stop();
    // Handed over at once, not after the minute the lease would take to run out.
    await b.outbox.add("C-33333", escalation(2));
    await settle(async () => (await b.store.pendingCount()) === 0);
    expect(mattermost.posts.map((p) => p.message)).toEqual(["escalated 1", "escalated 2"]);
    expect(await b.leases.holderOf("bot/outbox")).toBe("notify/b");
  });

  it("waits while Mattermost is down and then delivers everything, in order", async () => {
    mattermost.down = true;
    for (let n = 1; n <= 3; n++) await outbox.add(`C-2222${n + 1}`, escalation(n));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await store.pendingCount()).toBe(3);
    mattermost.down = false;
    await settle(async () => (await store.pendingCount()) === 0);
    expect(mattermost.posts.map((p) => p.message)).toEqual(["escalated 1", "escalated 2", "escalated 3"]);
  });

  it("does not post twice when Mattermost made the post but its answer was lost", async () => {
    mattermost.loseNextAnswer = true;
    await outbox.add("C-22222", escalation(1));
    await settle(async () => (await store.pendingCount()) === 0);
    expect(mattermost.posts).toHaveLength(1);
    expect((await store.post("C-22222"))?.post_id).toBe("p1");
  });

  it("takes no decoy for its post: someone else's post carrying the next delivery key is counted and the escalation still posted", async () => {
    mattermost.down = true;
    await outbox.add("C-22222", escalation(1));
    await settle(async () => (await store.nextPending())?.attempted_at != null);
    // A member of the channel guesses the key the retry will look for (instance:seq) and posts it.
    mattermost.posts.push({
      channel_id: "channel-1",
      message: "nothing to see",
      props: { soc_delivery: `${store.instance}:1` },
      id: "decoy",
      user_id: "mallory",
      create_at: Date.now(),
    });
    mattermost.down = false;
    await settle(async () => (await store.pendingCount()) === 0);
    const escalations = mattermost.posts.filter((p) => p.message === "escalated 1");
    expect(escalations.map((p) => p.user_id)).toEqual(["soc-bot"]);
    expect((await store.post("C-22222"))?.post_id).toBe(escalations[0]?.id);
    const decoys = await component.metrics.registry.getSingleMetricAsString("soc_bot_decoy_posts_total");
    expect(decoys).toMatch(/soc_bot_decoy_posts_total\{[^}]*\} 1$/m);
  });

  it("updates the case's post in place once decided: no buttons, who and when", async () => {
    await outbox.add("C-7K2F9", escalation(1));
    const decided = {
      ...escalatedCase,
      status: "closed" as const,
      decision: { action: "approve" as const, by: "alice", reason: null, at: "2026-11-24T10:00:00.000Z" },
    };
    await outbox.add("C-7K2F9", { kind: "decided", case: decided });
    await settle(async () => (await store.pendingCount()) === 0);
    const [attachment] = mattermost.patched[0]?.props.attachments as {
      actions?: unknown;
      fields: { title: string; value: string }[];
    }[];
    expect(attachment?.actions).toBeUndefined();
    expect(attachment?.fields.at(-1)).toEqual({
      title: "Decision",
      value: "approved by `alice` at 2026-11-24T10:00:00.000Z",
      short: false,
    });
  });

  it("joins a second escalation of the same group to the first one's thread", async () => {
    await outbox.add("C-22222", escalation(1));
    await outbox.add("C-33333", { ...escalation(1), message: "escalated again" });
    await settle(async () => (await store.pendingCount()) === 0);
    expect(mattermost.posts[1]?.root_id).toBe("p1");
    expect(await store.post("C-33333")).toMatchObject({ post_id: "p2", root_id: "p1" });
  });
});
