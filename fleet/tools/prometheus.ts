import { copyFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { install, quiet, type CachedTool, type Log } from "./cache.js";
import { exec } from "./exec.js";

/**
 * promtool, which checks the chart's alert rules and runs their unit tests, from the prometheus
 * package of this machine's Debian (12: Prometheus 2.42), downloaded with apt and unpacked, never
 * installed (no service, no user). Built from its Go module instead it takes fifteen minutes and
 * 3 GB of memory on two cores: everything Prometheus discovers services with comes along.
 */
export const promtool: CachedTool = {
  entry: "promtool-debian-12",
  holds: ["promtool"],
  building: "fetching promtool from Debian's prometheus package (first run only)…",
  build(dir) {
    const work = mkdtempSync(join(tmpdir(), "soc-promtool-"));
    try {
      try {
        exec("apt-get", ["download", "-qq", "prometheus"], { cwd: work });
      } catch {
        // No package lists yet on a fresh machine.
        exec("apt-get", ["update", "-qq"]);
        exec("apt-get", ["download", "-qq", "prometheus"], { cwd: work });
      }
      const deb = readdirSync(work).find((file) => file.endsWith(".deb"));
      if (!deb) throw new Error("apt-get download prometheus gave no package");
      exec("dpkg-deb", ["-x", join(work, deb), join(work, "root")]);
      copyFileSync(join(work, "root", "usr", "bin", "promtool"), join(dir, "promtool"));
      exec("chmod", ["0755", join(dir, "promtool")]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
};

/** promtool: SOC_PROMTOOL_BIN, else the cached one. */
export function promtoolBinary(log: Log = quiet): string {
  return process.env.SOC_PROMTOOL_BIN ?? join(install(promtool, log), "promtool");
}
