import { bundleIgnoreArgs } from "./bundle.js";
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";

/** A real `opa run --server` serving a bundle directory on 127.0.0.1, for tests and benchmarks. */
export interface OpaServer {
  url: string;
  pid: number;
  /** Stops OPA (SIGTERM, then SIGKILL if it lingers) and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts OPA as the fleet does (bundle mode, tests ignored) on a free loopback port and waits
 * until `/health` answers. Fails with OPA's own output if it exits first, e.g. on a bundle that
 * does not compile.
 */
export async function startOpaServer(binary: string, bundleDir: string): Promise<OpaServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    binary,
    [
      "run",
      "--server",
      "--addr",
      `127.0.0.1:${port}`,
      "--log-level",
      "error",
      ...bundleIgnoreArgs(),
      "-b",
      bundleDir,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const healthy = await waitForHealth(url, alive);
  if (!healthy || child.pid === undefined) {
    await stop(child, exited);
    throw new Error(`opa run did not become ready: ${stderr.trim() || "no output"}`);
  }
  return { url, pid: child.pid, stop: () => stop(child, exited) };
}

async function stop(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(killer);
}

/** Polls `/health` (200 once the bundle is active) while OPA lives; false if it exits or takes over ~30 s. */
async function waitForHealth(url: string, alive: () => boolean): Promise<boolean> {
  for (let attempt = 0; attempt < 300 && alive(); attempt++) {
    const ok = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** A port the kernel just gave out, released for OPA to take. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
