import type { Logger } from "../../runtime/log.js";
import { causeChain } from "../../runtime/errors.js";
import type { Leases } from "../../runtime/sql/lease.js";
import { caseLease, type CaseStore } from "./store.js";

/** Cases one replica works on at once; more wait on Kafka, or in the case store for a replica with room. */
export const MAX_TRIAGING = 32;

/**
 * The cases this replica works on. Each run holds the case's lease: one run per case at a time, in
 * this process and among replicas, and a case another replica holds is left to it. A run that fails
 * gives the case up for any replica to try again after a lease's time. Every replica looks, a few
 * times a lease, for cases nobody works on (in flight when their replica died or stopped, opened
 * while every replica was full, decided but not moved on) and takes what it has room for: whichever
 * takes a case's lease first carries it on from its last checkpoint.
 */
export class CaseRuns {
  readonly #running = new Map<string, Promise<void>>();
  #stopping = false;
  #scanning: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Pick<CaseStore, "unattended">,
    private readonly leases: Leases,
    private readonly log: Logger,
    /** Moves a case on from wherever its graph stands. */
    private readonly run: (caseId: string) => Promise<void>,
  ) {}

  get stopping(): boolean {
    return this.#stopping;
  }

  /** Whether this replica has room for another case. */
  get hasRoom(): boolean {
    return this.#running.size < MAX_TRIAGING;
  }

  /** Resolves once this replica has room (a Kafka consumer waits here, its messages on the topic). */
  async room(): Promise<void> {
    while (!this.hasRoom) await Promise.race(this.#running.values());
  }

  /** Runs the case once the run before it here ends, if its lease can be had; never rejects. */
  advance(caseId: string): Promise<void> {
    const previous = this.#running.get(caseId) ?? Promise.resolve();
    const lease = caseLease(caseId);
    const next = previous
      .then(async () => {
        if (this.#stopping || !(await this.leases.take(lease))) return;
        try {
          await this.run(caseId);
        } catch (error) {
          await this.leases.drop(lease, this.leases.ttlMs);
          throw error;
        }
        await this.leases.release(lease);
      })
      .catch((error: unknown) => {
        this.log.error({ case: caseId, err: causeChain(error) }, "case failed to advance");
      });
    this.#running.set(caseId, next);
    void next.finally(() => {
      if (this.#running.get(caseId) === next) this.#running.delete(caseId);
    });
    return next;
  }

  /** Takes the cases nobody works on that this replica has room for. */
  async takeOver(): Promise<void> {
    const room = MAX_TRIAGING - this.#running.size;
    if (room <= 0 || this.#stopping) return;
    const found = (await this.store.unattended(room + this.#running.size)).filter(
      (id) => !this.#running.has(id),
    );
    if (found.length > 0) this.log.info({ cases: found.length }, "resuming unattended cases");
    for (const id of found.slice(0, room)) void this.advance(id);
  }

  /** Renews this replica's leases and looks for unattended cases, now and every quarter lease (at most a second). */
  async start(): Promise<void> {
    this.leases.keepAlive((error) => this.log.error({ err: causeChain(error) }, "case leases not renewed"));
    await this.takeOver();
    this.#scanning = setInterval(
      () => {
        this.takeOver().catch((error: unknown) =>
          this.log.error({ err: causeChain(error) }, "unattended cases not looked for"),
        );
      },
      Math.min(1_000, this.leases.ttlMs / 4),
    );
    this.#scanning.unref();
  }

  /** Takes nothing more and lets the runs under way end, their leases renewed until they do. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#scanning);
    await Promise.allSettled(this.#running.values());
    this.leases.stop();
  }
}
