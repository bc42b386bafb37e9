import { Counter, Gauge } from "prom-client";
import type { Case } from "../../contracts/case.js";
import type { Component } from "../../runtime/component.js";
import { causeChain } from "../../runtime/errors.js";
import { unreachable, type Attachment, type MattermostApi } from "./api.js";
import { decidedAttachment } from "./posts.js";
import type { Workspace } from "./setup.js";
import type { BotStore, OutboxItem } from "./store.js";
import type { Leases } from "../../runtime/sql/lease.js";

/** What can wait in the outbox: a case's escalation post, a reply in its thread, its decided form. */
export type Delivery =
  | { kind: "escalation"; message: string; attachment: Attachment; group_key: string; escalated_at: number }
  | { kind: "reply"; message: string; attachment?: Attachment }
  | { kind: "decided"; case: Case };

/** The lease of the one replica that delivers the outbox. */
const DELIVERER = "bot/outbox";

/**
 * Delivers the outbox to Mattermost one item at a time: escalations and updates in order, ahead
 * of thread replies, which follow in order (`BotStore.nextPending`). While Mattermost is
 * unreachable the head item waits and is tried again with backoff, across restarts too (the outbox
 * is in the database). A post that may have been created before a crash or a lost response is
 * looked up by its delivery key before it is created again, so nothing is posted twice.
 *
 * Among replicas, one delivers: the holder of the outbox's lease. Every replica queues, and looks
 * at the outbox every `pollMs`, so what another replica queued is delivered, and the lease is taken
 * over when its holder dies.
 */
export class Outbox {
  /** The delivery loop while it runs. */
  #loop: Promise<void> | undefined;
  /** What this process has tried to deliver: another replica's tries are waited out first. */
  readonly #tried = new Set<number>();
  #again = false;
  #stopped = false;
  #wake: (() => void) | undefined;
  readonly #poll: NodeJS.Timeout;
  readonly #pending: Gauge;
  readonly #delivered: Counter<"kind" | "result">;
  readonly #decoys: Counter;

  constructor(
    private readonly component: Component,
    private readonly store: BotStore,
    private readonly api: MattermostApi,
    /**
     * The channel posts go to and the bot's own user id; undefined until setup has found them, and
     * nothing is delivered before.
     */
    private readonly workspace: () => Pick<Workspace, "channelId" | "botId"> | undefined,
    private readonly groupWindowMs: number,
    private readonly leases: Leases,
    pollMs = Math.min(500, leases.ttlMs / 4),
  ) {
    this.#poll = setInterval(() => this.start(), pollMs);
    this.#poll.unref();
    const registers = [component.metrics.registry];
    this.#pending = new Gauge({
      name: "soc_bot_outbox_pending",
      help: "Posts and updates waiting to reach Mattermost",
      registers,
      collect: async () => this.#pending.set(await this.store.pendingCount()),
    });
    this.#delivered = new Counter({
      name: "soc_bot_deliveries_total",
      help: "Outbox items delivered to Mattermost, by kind and result",
      labelNames: ["kind", "result"],
      registers,
    });
    this.#decoys = new Counter({
      name: "soc_bot_decoy_posts_total",
      help: "Posts carrying one of the bot's delivery keys that someone else wrote, not taken as delivered",
      registers,
    });
    // Every series from zero: an alert on the increase of refusals then sees the first one too.
    const kinds: Delivery["kind"][] = ["escalation", "reply", "decided"];
    for (const kind of kinds)
      for (const result of ["delivered", "retried", "refused"]) this.#delivered.inc({ kind, result }, 0);
  }

  /** Queues a delivery (durably: it is in the store when this resolves) and wakes the loop. */
  async add(caseId: string, delivery: Delivery): Promise<void> {
    await this.store.enqueue(caseId, delivery.kind, delivery);
    this.#wake?.();
    this.start();
  }

  /**
   * Queues a case's escalation and its thread's replies together, unless it is queued already;
   * whether it was queued now.
   */
  async addEscalation(
    caseId: string,
    escalation: Extract<Delivery, { kind: "escalation" }>,
    replies: Extract<Delivery, { kind: "reply" }>[],
  ): Promise<boolean> {
    const queued = await this.store.enqueueEscalation(
      caseId,
      [escalation, ...replies].map((body) => ({ kind: body.kind, body })),
    );
    this.#wake?.();
    this.start();
    return queued;
  }

  /**
   * Starts the delivery loop if it is not running; if it is, it looks again once it has found the
   * outbox empty, so nothing queued while it was finishing waits for the next delivery.
   */
  start(): void {
    if (this.#stopped || !this.workspace()) return;
    if (this.#loop) {
      this.#again = true;
      return;
    }
    this.#loop = (async () => {
      do {
        this.#again = false;
        await this.#run();
      } while (this.#again && !this.#stopped);
    })()
      .catch((error: unknown) =>
        this.component.log.error(
          { err: causeChain(error) },
          "the outbox stopped; it resumes at the next delivery",
        ),
      )
      .finally(() => (this.#loop = undefined));
  }

  /**
   * Stops delivering: the item on its way is finished first, and the outbox's lease given up, so
   * that another replica carries on at once and never posts what this one was posting.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#poll);
    this.#wake?.();
    await this.#loop;
    await this.leases.release(DELIVERER);
  }

  async #run(): Promise<void> {
    if (!(await this.leases.take(DELIVERER))) return;
    let backoff = 250;
    for (
      let item = await this.store.nextPending();
      item && !this.#stopped && this.leases.holds(DELIVERER);
      item = await this.store.nextPending()
    ) {
      const delivery = JSON.parse(item.body) as Delivery;
      try {
        await this.#waitOutOthers(item);
        if (this.#stopped || !this.leases.holds(DELIVERER)) return;
        this.#tried.add(item.seq);
        await this.store.markAttempted(item.seq);
        const postId = await this.#deliver(item, delivery);
        await this.store.markDelivered(item.seq, postId);
        this.#tried.delete(item.seq);
        this.#delivered.inc({ kind: delivery.kind, result: "delivered" });
        backoff = 250;
      } catch (error) {
        if (unreachable(error)) {
          this.#delivered.inc({ kind: delivery.kind, result: "retried" });
          this.component.log.warn(
            { err: causeChain(error), seq: item.seq, retry_in_ms: backoff },
            "Mattermost unreachable; the outbox waits",
          );
          await this.#sleep(backoff);
          backoff = Math.min(backoff * 2, 5_000);
        } else {
          // Refused for good (a deleted channel, a post too long): kept with its error, never retried.
          await this.store.markDelivered(item.seq, null, causeChain(error).join(": "));
          this.#delivered.inc({ kind: delivery.kind, result: "refused" });
          this.component.log.error(
            { err: causeChain(error), seq: item.seq, case: item.case_id },
            "Mattermost refused a post",
          );
        }
      }
    }
  }

  /**
   * An item another replica was delivering when this one took the outbox over (it died, froze or
   * lost its lease) may still be on its way to Mattermost: its request ends within the API's
   * timeout, so that long after its try the post it made, if any, can be found by its key.
   */
  async #waitOutOthers(item: OutboxItem): Promise<void> {
    if (item.last_attempt_at === null || this.#tried.has(item.seq)) return;
    const wait = item.last_attempt_at + this.api.timeoutMs + 1_000 - Date.now();
    if (wait <= 0) return;
    this.component.log.info(
      { seq: item.seq, case: item.case_id, wait_ms: wait },
      "another replica's delivery may be on its way: waiting it out",
    );
    await this.#sleep(wait);
  }

  async #deliver(item: OutboxItem, delivery: Delivery): Promise<string | null> {
    const post = await this.store.post(item.case_id);
    switch (delivery.kind) {
      case "escalation": {
        const rootId = await this.store.groupThread(
          delivery.group_key,
          delivery.escalated_at - this.groupWindowMs,
        );
        const created = await this.#createOnce(item, {
          message: delivery.message,
          root_id: rootId,
          props: { attachments: [delivery.attachment] },
        });
        await this.store.savePost({
          case_id: item.case_id,
          post_id: created,
          root_id: rootId ?? created,
          group_key: delivery.group_key,
          escalated_at: delivery.escalated_at,
          message: delivery.message,
          attachment: JSON.stringify(delivery.attachment),
        });
        return created;
      }
      case "reply":
        return this.#createOnce(item, {
          message: delivery.message,
          root_id: post?.root_id,
          ...(delivery.attachment ? { props: { attachments: [delivery.attachment] } } : {}),
        });
      case "decided": {
        if (!post) return null;
        const attachment = decidedAttachment(JSON.parse(post.attachment) as Attachment, delivery.case);
        await this.api.patchPost(post.post_id, {
          message: post.message,
          props: { attachments: [attachment] },
        });
        return post.post_id;
      }
    }
  }

  /**
   * Creates the post unless an earlier attempt already did: found by its delivery key, and written
   * by the bot itself. Anyone in the channel can post with the key in its props; such a decoy
   * would otherwise stand in for the escalation, which no analyst would then see.
   */
  async #createOnce(
    item: OutboxItem,
    post: { message: string; root_id: string | undefined; props?: Record<string, unknown> },
  ): Promise<string> {
    const key = `${this.store.instance}:${item.seq}`;
    if (item.attempted_at !== null) {
      const since = item.attempted_at - 60_000;
      const { botId } = this.#workspace();
      const carrying = (await this.api.postsSince(this.#channel(), since)).filter(
        (p) => p.props.soc_delivery === key,
      );
      for (const decoy of carrying.filter((p) => p.user_id !== botId)) {
        this.#decoys.inc();
        this.component.log.warn(
          { post: decoy.id, user: decoy.user_id, case: item.case_id, seq: item.seq },
          "a post by someone else carries the bot's delivery key: not taken as delivered",
        );
      }
      const earlier = carrying.find((p) => p.user_id === botId);
      if (earlier) return earlier.id;
    }
    const created = await this.api.createPost({
      channel_id: this.#channel(),
      message: post.message,
      ...(post.root_id ? { root_id: post.root_id } : {}),
      props: { ...post.props, soc_delivery: key },
    });
    return created.id;
  }

  #workspace(): Pick<Workspace, "channelId" | "botId"> {
    const found = this.workspace();
    if (!found) throw new Error("the outbox runs only once setup has found the channel");
    return found;
  }

  #channel(): string {
    return this.#workspace().channelId;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
