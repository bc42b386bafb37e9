/** A connection refused, reset or closed: the peer is (re)starting, so the call may be retried. */
export function isConnectionError(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: string }).code;
    if (code && ["ECONNREFUSED", "ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED"].includes(code))
      return true;
    if (e.message.includes("fetch failed") && e.cause === undefined) return true;
  }
  return false;
}

/**
 * Runs `attempt` until it succeeds, fails for another reason than `retryable` (a dropped
 * connection by default), or the deadline leaves no room for another wait; backs off from 50 ms to
 * 1 s. `onRetry` runs before each wait (to drop a client bound to the old connection).
 */
export async function whileRestarting<T>(
  deadline: number,
  attempt: () => Promise<T>,
  {
    retryable = isConnectionError,
    onRetry,
  }: { retryable?: (error: unknown) => boolean; onRetry?: () => void } = {},
): Promise<T> {
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    try {
      return await attempt();
    } catch (error) {
      if (!retryable(error) || deadline - Date.now() <= delay) throw error;
      onRetry?.();
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
