import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Sql } from "../../runtime/sql/engine.js";
import { freshDatabase, sqlEngines, stopPostgres } from "../../test/databases.js";
import { BotStore } from "./store.js";

afterAll(stopPostgres);

/** The same contract on both engines: what the outbox and the decisions rely on. */
describe.each(sqlEngines)("the bot's store on %s", (engine) => {
  let dir: string;
  let connect: () => Sql;
  let store: BotStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "soc-bot-store-"));
    connect = await freshDatabase(engine, dir);
    store = await BotStore.open(connect());
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("lets one decision claim a case, until it is released", async () => {
    expect(await store.claim("C-22222", "approve", "alice")).toEqual({ ok: true });
    expect(await store.claim("C-22222", "dismiss", "bob")).toEqual({
      ok: false,
      action: "approve",
      by: "alice",
    });
    await store.release("C-22222");
    expect(await store.claim("C-22222", "dismiss", "bob")).toEqual({ ok: true });
  });

  it("hands out escalations before replies, each in the order queued, until delivered", async () => {
    const first = await store.enqueue("C-22222", "escalation", { n: 1 });
    const reply = await store.enqueue("C-22222", "reply", { n: 2 });
    const second = await store.enqueue("C-33333", "escalation", { n: 3 });
    expect([first, reply, second]).toEqual([first, first + 1, first + 2]);
    expect(await store.pendingCount()).toBe(3);
    const order: { seq: number; body: string }[] = [];
    for (let item = await store.nextPending(); item; item = await store.nextPending()) {
      expect(item.attempted_at).toBeNull();
      await store.markAttempted(item.seq);
      expect((await store.nextPending())?.attempted_at).toEqual(expect.any(Number));
      await store.markDelivered(item.seq, `post-${String(item.seq)}`);
      order.push({ seq: item.seq, body: item.body });
    }
    expect(order.map((o) => o.seq)).toEqual([first, second, reply]);
    expect(order.map((o) => JSON.parse(o.body) as unknown)).toEqual([{ n: 1 }, { n: 3 }, { n: 2 }]);
    expect(await store.pendingCount()).toBe(0);
  });

  it("queues a case's escalation with its replies once, from whichever store asks", async () => {
    const items = [
      { kind: "escalation", body: { n: 1 } },
      { kind: "reply", body: { n: 2 } },
      { kind: "reply", body: { n: 3 } },
    ];
    const other = await BotStore.open(connect());
    try {
      const queued = await Promise.all([
        store.enqueueEscalation("C-22222", items),
        other.enqueueEscalation("C-22222", items),
        store.enqueueEscalation("C-22222", items),
      ]);
      expect(queued.filter(Boolean)).toHaveLength(1);
    } finally {
      await other.close();
    }
    const bodies: unknown[] = [];
    for (let item = await store.nextPending(); item; item = await store.nextPending()) {
      bodies.push({ kind: item.kind, ...(JSON.parse(item.body) as object) });
      await store.markDelivered(item.seq, null);
    }
    expect(bodies).toEqual([
      { kind: "escalation", n: 1 },
      { kind: "reply", n: 2 },
      { kind: "reply", n: 3 },
    ]);
    expect(await store.enqueueEscalation("C-22222", items)).toBe(false);
  });

  it("keeps posts, finds a group's thread within its window, and keeps its instance and settings", async () => {
    const post = { post_id: "p1", root_id: "p1", group_key: "g", message: "m", attachment: "{}" };
    await store.savePost({ ...post, case_id: "C-22222", escalated_at: 1_765_000_000_000 });
    expect(await store.post("C-22222")).toEqual({
      ...post,
      case_id: "C-22222",
      escalated_at: 1_765_000_000_000,
    });
    expect(await store.groupThread("g", 1_764_999_000_000)).toBe("p1");
    expect(await store.groupThread("g", 1_765_000_000_001)).toBeUndefined();
    expect(await store.setting("secret", () => "made once")).toBe("made once");
    expect(await store.setting("secret", () => "made again")).toBe("made once");
    const instance = store.instance;
    await store.close();
    store = await BotStore.open(connect());
    expect(store.instance).toBe(instance);
  });

  it("audits who acted, by name and user id, in order", async () => {
    const entry = {
      case_id: "C-22222",
      action: "approve",
      digest: null,
      via: "button" as const,
      detail: null,
    };
    await store.audit({ ...entry, user: "alice", user_id: "a".repeat(26), outcome: "applied" });
    await store.audit({ ...entry, user: "mallory", user_id: null, outcome: "refused" });
    expect((await store.auditTrail("C-22222")).map((e) => [e.user, e.user_id, e.outcome])).toEqual([
      ["alice", "a".repeat(26), "applied"],
      ["mallory", null, "refused"],
    ]);
    expect(await store.auditTrail("C-33333")).toEqual([]);
  });
});
