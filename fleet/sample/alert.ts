/**
 * Falco alerts as `json_output: true` writes them, and falcosidekick's form of them, for the sample
 * generator. Deliberately independent of contracts/falco.ts: the sample is test input for that
 * contract, so it must not be shaped by the code it is meant to test.
 */

export const priorities = [
  "Emergency",
  "Alert",
  "Critical",
  "Error",
  "Warning",
  "Notice",
  "Informational",
  "Debug",
] as const;
export type Priority = (typeof priorities)[number];

export type FieldValue = string | number | boolean | null;

export interface FalcoAlert {
  /** Only on alerts that went through falcosidekick. */
  uuid?: string;
  time: string;
  rule: string;
  priority: Priority;
  source: "syscall" | "k8s_audit";
  tags: string[];
  hostname: string;
  output: string;
  /**
   * `evt.time` is Falco's integer nanoseconds. It is above 2^53, so the number held here (and what
   * any JSON.parse reader gets) is rounded; the file carries the exact digits. Readers must use `time`.
   */
  output_fields: Record<string, FieldValue>;
}

/** Falco's tag order: a std::set of strings, so byte order, which puts "T1059" before "container". */
export function sortTags(tags: readonly string[]): string[] {
  return [...tags].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

const isoTime = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/;

/** Exact nanoseconds since the epoch of an ISO-8601 UTC time with up to nine fraction digits. */
export function nanosOf(time: string): bigint {
  const match = isoTime.exec(time);
  const [, seconds, fraction = ""] = match ?? [];
  if (seconds === undefined) throw new Error(`not an ISO-8601 UTC time: ${time}`);
  return BigInt(Date.parse(`${seconds}Z`)) * 1_000_000n + BigInt(fraction.padEnd(9, "0"));
}

// The last second formatted: alerts come in time order, often several in one second, and the
// corpus formats each alert's time twice (its `time` and the clock in `output`).
let cachedSecond = -1n;
let cachedBase = "";

function splitNanos(ns: bigint): { base: string; fraction: string } {
  const second = ns / 1_000_000_000n;
  if (second !== cachedSecond) {
    cachedBase = new Date(Number(second) * 1000).toISOString().slice(0, 19);
    cachedSecond = second;
  }
  return { base: cachedBase, fraction: (ns % 1_000_000_000n).toString().padStart(9, "0") };
}

/** Falco's form: always nine fraction digits. */
export function isoNanos(ns: bigint): string {
  const { base, fraction } = splitNanos(ns);
  return `${base}.${fraction}Z`;
}

/**
 * falcosidekick's form: Go's time.RFC3339Nano drops trailing zeros of the fraction, so parsers that
 * assume exactly nine digits break on roughly one sidekick alert in ten.
 */
export function isoNanosTrimmed(ns: bigint): string {
  const { base, fraction } = splitNanos(ns);
  const trimmed = fraction.replace(/0+$/, "");
  return trimmed === "" ? `${base}Z` : `${base}.${trimmed}Z`;
}

/** The prefix Falco puts on `output` with the default `time_format_iso_8601: false`. */
export function clockOf(ns: bigint): string {
  const { base, fraction } = splitNanos(ns);
  return `${base.slice(11)}.${fraction}`;
}

/** How Falco renders a field inside `output`: a missing value is "<NA>". */
export function renderField(value: FieldValue | undefined): string {
  return value === null || value === undefined ? "<NA>" : String(value);
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function fieldsJson(fields: Record<string, FieldValue>, time: string): string {
  const entries = Object.keys(fields)
    .sort(byteOrder)
    .map((key) => {
      // Written from `time` by hand: JSON.stringify of the rounded double would change the digits.
      const value = key === "evt.time" ? nanosOf(time).toString() : JSON.stringify(fields[key] ?? null);
      return `${JSON.stringify(key)}:${value}`;
    });
  return `{${entries.join(",")}}`;
}

/**
 * One JSON line, keys in the order each producer writes them: Falco's nlohmann::json object sorts
 * them; falcosidekick marshals its Go struct, uuid first. `output_fields` is sorted in both.
 */
export function toJsonLine(alert: FalcoAlert): string {
  const put = (key: string, raw: string): string => `${JSON.stringify(key)}:${raw}`;
  const fields = put("output_fields", fieldsJson(alert.output_fields, alert.time));
  const s = (value: string | string[]): string => JSON.stringify(value);
  const parts =
    alert.uuid === undefined
      ? [
          put("hostname", s(alert.hostname)),
          put("output", s(alert.output)),
          fields,
          put("priority", s(alert.priority)),
          put("rule", s(alert.rule)),
          put("source", s(alert.source)),
          put("tags", s(alert.tags)),
          put("time", s(alert.time)),
        ]
      : [
          put("uuid", s(alert.uuid)),
          put("output", s(alert.output)),
          put("priority", s(alert.priority)),
          put("rule", s(alert.rule)),
          put("time", s(alert.time)),
          fields,
          put("source", s(alert.source)),
          put("tags", s(alert.tags)),
          put("hostname", s(alert.hostname)),
        ];
  return `{${parts.join(",")}}`;
}

/** JSON Lines: one alert per line, newline-terminated, as Falco's file and stdout outputs write it. */
export function toJsonl(alerts: readonly FalcoAlert[]): string {
  return alerts.map((alert) => `${toJsonLine(alert)}\n`).join("");
}
