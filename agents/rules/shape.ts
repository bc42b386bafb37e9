import { createHash } from "node:crypto";
import { shapeFields } from "../../contracts/rules.js";
import type { Fields } from "./evaluate.js";

/**
 * The fields of `shapeFields` whose value every event shares, with that value: the narrowest
 * description that covers them all. None when they share none (or there are no events).
 */
export function sharedShape(events: readonly Fields[]): [string, string][] {
  if (events.length === 0) return [];
  return shapeFields.flatMap((field): [string, string][] => {
    const first = events[0]?.[field];
    if (typeof first !== "string" && typeof first !== "number") return [];
    if (first === "<NA>" || !events.every((e) => e[field] === first)) return [];
    return [[field, String(first)]];
  });
}

/**
 * Whether two events come from the same workload: the same image repository and program (a field
 * neither records counts as the same). Drafts group analysts' decisions by it before narrowing.
 */
export function sameWorkload(a: Fields, b: Fields): boolean {
  return workloadFields.every((field) => (a[field] ?? null) === (b[field] ?? null));
}
const workloadFields = ["container.image.repository", "proc.name"] as const;

/** A draft's name from what it is made of: the same draft, whenever it is drawn, has the same name. */
export function draftName(kind: "dismissed" | "raised", parts: unknown): string {
  return `soc_${kind}_${createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 8)}`;
}
