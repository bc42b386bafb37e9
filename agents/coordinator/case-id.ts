import { randomInt } from "node:crypto";

/** Letters and digits an analyst can read aloud and type: no 0/O, no 1/I. */
const alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/** A short, human-typable case id such as C-7K2F9 (32^5 ≈ 33.5 million values; the store retries clashes). */
export function newCaseId(): string {
  let id = "C-";
  for (let i = 0; i < 5; i++) id += alphabet.charAt(randomInt(alphabet.length));
  return id;
}
