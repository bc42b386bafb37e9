/** Whether `error` is a unique constraint broken by a concurrent writer, on either engine. */
export function uniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "23505" || (typeof code === "string" && code.startsWith("SQLITE_CONSTRAINT"));
}

/** A value bound to a `?` placeholder. */
export type Param = string | number | null;

/**
 * One SQL database as the fleet's stores use it, the same on SQLite and PostgreSQL: `?`
 * placeholders, TEXT, INTEGER and DOUBLE PRECISION columns (JSON kept as TEXT), and statements both
 * engines read alike (`INSERT … ON CONFLICT`, `CAST(COUNT(*) AS INTEGER)`).
 */
export interface Sql {
  readonly engine: "sqlite" | "postgres";
  all<R>(sql: string, params?: readonly Param[]): Promise<R[]>;
  get<R>(sql: string, params?: readonly Param[]): Promise<R | undefined>;
  /** Runs a statement; the number of rows it changed. */
  run(sql: string, params?: readonly Param[]): Promise<number>;
  /** Runs statements without parameters, several at once (schema changes). */
  exec(sql: string): Promise<void>;
  /**
   * Runs `work` in one transaction that no other transaction of the same `lock` runs beside, on any
   * connection or process: all of it or none.
   */
  exclusive<T>(lock: string, work: (tx: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
