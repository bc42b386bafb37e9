/** At most `size` holders at a time; the rest wait in order, and a freed slot goes to the next waiting. */
export class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    this.#free = size;
  }

  /** Resolves once a slot is taken, with the function that gives it back. */
  async take(): Promise<() => void> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    let given = false;
    return () => {
      if (given) return;
      given = true;
      // Handed to the next in the queue, so no newcomer can slip in between.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    };
  }
}

/** At most `limit` calls of `work` at a time, the rest queued in order. */
export function limited<T, R>(limit: number, work: (input: T) => Promise<R>): (input: T) => Promise<R> {
  const slots = new Slots(limit);
  return async (input) => {
    const done = await slots.take();
    try {
      return await work(input);
    } finally {
      done();
    }
  };
}
