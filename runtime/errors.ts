/**
 * The one error type of the fleet. `message` is safe to show in chat; the cause chain is for logs.
 */
export class SocError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(code: string, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "SocError";
    this.code = code;
    this.retryable = options.retryable ?? false;
  }

  /** The wire form: what a peer or a front end may see. */
  toJSON(): { code: string; message: string; retryable: boolean } {
    return { code: this.code, message: this.message, retryable: this.retryable };
  }

  static from(error: unknown, code = "internal"): SocError {
    if (error instanceof SocError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new SocError(code, message, { cause: error });
  }
}

/** Flattens an error and its causes for a log line. */
export function causeChain(error: unknown): string[] {
  const chain: string[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && chain.length < 8) {
    chain.push(current instanceof Error ? `${current.name}: ${current.message}` : JSON.stringify(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return chain;
}
