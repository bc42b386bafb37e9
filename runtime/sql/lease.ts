import type { Sql } from "./engine.js";
import { migrate } from "./migrate.js";

const migrations = [
  "CREATE TABLE IF NOT EXISTS leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at BIGINT NOT NULL)",
];

/**
 * The name `component`'s process holds leases as: its replica's among others on a shared database,
 * the component's alone on a SQLite file (one process has it: what it held before a restart is its
 * own to take back).
 */
export function leaseHolder(
  component: string,
  { databaseUrl, replica }: { databaseUrl: string | null; replica: string },
): string {
  return databaseUrl ? `${component}/${replica}` : component;
}

/** The holder of a lease let go unfinished: anyone may take it once it expires. */
const NOBODY = "";

/**
 * Named leases in the database, so that one process at a time does a piece of work (a case, the
 * outbox) among replicas, and another takes it over when its holder dies. A lease lasts `ttlMs`
 * from its last renewal; `keepAlive` renews every lease of this holder in one statement. Time is
 * each process's clock: replicas' clocks must agree to well within `ttlMs`.
 *
 * A holder only acts while `holds` says so: that is checked against this process's clock, from the
 * start of the last renewal that succeeded, so a process paused past its leases (stopped, starved,
 * cut off from the database) stops before doing work another holder has taken over.
 */
export class Leases {
  /** Each held lease's end as this process knows it. */
  readonly #until = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly sql: Sql,
    readonly holder: string,
    readonly ttlMs: number,
  ) {}

  /**
   * The leases on `sql` for `holder`, a name no other live process has. Leases this holder kept
   * before a restart are expired at once: the process that held them is gone, and what they
   * guarded is taken over without waiting.
   */
  static async open(sql: Sql, holder: string, ttlMs: number): Promise<Leases> {
    await migrate(sql, "leases", migrations);
    await sql.run("UPDATE leases SET holder = ?, expires_at = 0 WHERE holder = ?", [NOBODY, holder]);
    return new Leases(sql, holder, ttlMs);
  }

  /** Takes `name` if it is free, expired or already this holder's; whether it is held now. */
  async take(name: string): Promise<boolean> {
    const now = Date.now();
    const taken = await this.sql.run(
      `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE leases.holder = excluded.holder OR leases.expires_at < ?`,
      [name, this.holder, now + this.ttlMs, now],
    );
    if (taken === 1) this.#until.set(name, now + this.ttlMs);
    return taken === 1;
  }

  /** Whether `name` is still this holder's, as far as this process can tell. */
  holds(name: string): boolean {
    const until = this.#until.get(name);
    return until !== undefined && Date.now() < until;
  }

  /** Who holds `name` now, if anyone does. */
  async holderOf(name: string, now = Date.now()): Promise<string | null> {
    const row = await this.sql.get<{ holder: string }>(
      "SELECT holder FROM leases WHERE name = ? AND expires_at >= ? AND holder != ?",
      [name, now, NOBODY],
    );
    return row?.holder ?? null;
  }

  /** Gives `name` up, its work done. */
  async release(name: string): Promise<void> {
    this.#until.delete(name);
    await this.sql.run("DELETE FROM leases WHERE name = ? AND holder = ?", [name, this.holder]);
  }

  /** Gives `name` up with its work unfinished: any holder (this one too) takes it after `retryInMs`. */
  async drop(name: string, retryInMs: number): Promise<void> {
    this.#until.delete(name);
    await this.sql.run("UPDATE leases SET holder = ?, expires_at = ? WHERE name = ? AND holder = ?", [
      NOBODY,
      Date.now() + retryInMs,
      name,
      this.holder,
    ]);
  }

  /** Renews every lease of this holder; one another holder has taken meanwhile is no longer held. */
  async renew(): Promise<void> {
    const now = Date.now();
    const rows = await this.sql.all<{ name: string }>(
      "UPDATE leases SET expires_at = ? WHERE holder = ? RETURNING name",
      [now + this.ttlMs, this.holder],
    );
    const renewed = new Set(rows.map((r) => r.name));
    for (const name of this.#until.keys()) {
      if (renewed.has(name)) this.#until.set(name, now + this.ttlMs);
      else this.#until.delete(name);
    }
  }

  /** Renews every third of the lease's life until `stop`; a failed renewal is reported and retried. */
  keepAlive(onError: (error: unknown) => void): void {
    this.#timer ??= setInterval(() => {
      this.renew().catch(onError);
    }, this.ttlMs / 3);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Runs `work` holding `name`, waiting for it while another holder has it (say, two replicas
   * starting at once), then gives it up.
   */
  async during<T>(name: string, work: () => Promise<T>, pollMs = 200): Promise<T> {
    while (!(await this.take(name))) await new Promise((resolve) => setTimeout(resolve, pollMs));
    try {
      return await work();
    } finally {
      await this.release(name);
    }
  }
}
