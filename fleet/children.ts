import type { ChildProcess } from "node:child_process";

/** Children of this process that have not exited yet: see track(). */
const tracked = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of tracked) child.kill("SIGKILL");
});

/**
 * Kept until it exits, and killed with SIGKILL if this process exits first: a server whose run ends
 * before its stop() (a failed test, an uncaught error) would otherwise outlive it, holding its ports
 * and files.
 */
export function track<T extends ChildProcess>(child: T): T {
  tracked.add(child);
  child.once("exit", () => tracked.delete(child));
  return child;
}

/**
 * Running: started and not exited. A binary that cannot be run gets no pid and never emits "exit",
 * so it counts as ended from the start, even before its exit code is set.
 */
export function alive(child: ChildProcess | undefined): child is ChildProcess {
  return child?.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

/**
 * Sends `signal` and resolves once the child has exited, so that its ports and files are free; when
 * `graceMs` is above 0, SIGKILL follows after it, as a child may ignore the signal or hang on
 * shutdown. A child that is not running resolves at once.
 */
export async function stopChild(
  child: ChildProcess | undefined,
  signal: NodeJS.Signals,
  graceMs: number,
): Promise<void> {
  if (!alive(child)) return;
  await new Promise<void>((resolve) => {
    const timer = graceMs > 0 ? setTimeout(() => child.kill("SIGKILL"), graceMs) : undefined;
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/** Whether a process of this machine is still running (signal 0 checks without signalling). */
export function pidRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
