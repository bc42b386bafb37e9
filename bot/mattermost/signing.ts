import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** What a button or a dialog vouches for: this action on this case, as proposed, until then. */
export interface Grant {
  case_id: string;
  action: string;
  /** Digest of the proposed response action, so a button cannot approve a different one. */
  digest: string;
  /** Expiry, milliseconds since the epoch. */
  expires: number;
  /** A dialog's: the Mattermost user id it was opened for, the only one who may submit it. */
  user?: string;
}

export type Verified = { ok: true; grant: Grant } | { ok: false; reason: string };

/** The digest of a proposed action, stable under key order. */
export function actionDigest(action: unknown): string {
  return createHash("sha256").update(canonical(action)).digest("hex").slice(0, 32);
}

/** What a button confirming a rule change is bound to: the proposal shown, by its draft's id. */
export const proposalDigest = (id: string): string => actionDigest({ rule_change: id });

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * Signs and verifies grants with HMAC-SHA256 under the bot's secret. Mattermost strips a button's
 * integration context from what clients see, and calls the bot back unsigned: the signature is what
 * shows a callback carries a context the bot itself issued.
 */
export class Signer {
  constructor(private readonly secret: string) {}

  sign(grant: Grant): Grant & { sig: string } {
    return { ...grant, sig: this.#mac(grant) };
  }

  verify(value: unknown, now = Date.now()): Verified {
    const v = value as Partial<Grant & { sig: unknown }> | null;
    if (
      !v ||
      typeof v.case_id !== "string" ||
      typeof v.action !== "string" ||
      typeof v.digest !== "string" ||
      typeof v.expires !== "number" ||
      typeof v.sig !== "string" ||
      (v.user !== undefined && typeof v.user !== "string")
    ) {
      return { ok: false, reason: "no signed context" };
    }
    const grant: Grant = {
      case_id: v.case_id,
      action: v.action,
      digest: v.digest,
      expires: v.expires,
      ...(v.user === undefined ? {} : { user: v.user }),
    };
    const expected = Buffer.from(this.#mac(grant), "hex");
    const given = Buffer.from(v.sig, "hex");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { ok: false, reason: "bad signature" };
    }
    if (grant.expires <= now) return { ok: false, reason: "expired" };
    return { ok: true, grant };
  }

  #mac(grant: Grant): string {
    return (
      createHmac("sha256", this.secret)
        // A button's grant names no user: its signature is the same as before dialogs named one.
        .update(
          JSON.stringify([
            grant.case_id,
            grant.action,
            grant.digest,
            grant.expires,
            ...(grant.user === undefined ? [] : [grant.user]),
          ]),
        )
        .digest("hex")
    );
  }
}

/** Compares two secrets in constant time (for the slash command's token). */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b) && expected.length > 0;
}
