import { chmodSync, mkdirSync } from "node:fs";

/**
 * Makes `path` (and its parents) a directory only this user can enter: 0700, also when it already
 * existed with a wider mode. A volume the platform mounted for us and owns (root, with the pod's
 * fsGroup) cannot be changed by us: its mode is the platform's, and that is left as it is.
 */
export function privateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  try {
    chmodSync(path, 0o700);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") throw error;
  }
}
