import { parentPort, Worker, workerData, type ResourceLimits, type Transferable } from "node:worker_threads";
import { SocError } from "./errors.js";

/** What a thread offers: an object whose every member is a method taking and giving cloneable values. */
export type ThreadApi<A> = { [K in keyof A]: (...args: never[]) => unknown };

type Method<A> = keyof A & string;
type Args<A, K extends keyof A> = A[K] extends (...args: infer P) => unknown ? P : never;
type Result<A, K extends keyof A> = A[K] extends (...args: never[]) => infer R ? Awaited<R> : never;

/** Calls into an API that may live in another thread; `Thread` and `inThisThread` are the two kinds. */
export interface Calls<A extends ThreadApi<A>> {
  /** Calls `method` and resolves with what it returned; `transfer` moves buffers instead of copying. */
  call<K extends Method<A>>(method: K, args: Args<A, K>, transfer?: Transferable[]): Promise<Result<A, K>>;
  /** Calls `method` without waiting for it; calls are carried out in the order they are made. */
  tell<K extends Method<A>>(method: K, args: Args<A, K>): void;
}

/** A call as it crosses: `id` 0 wants no answer. */
interface Request {
  id: number;
  method: string;
  args: unknown[];
}

/** An answer: `id` 0 is the thread's first, saying whether it built its API. */
interface Answer {
  id: number;
  result?: unknown;
  error?: { code: string; message: string };
}

const READY = 0;

/**
 * A worker thread serving one API (see `serveThread`), called with messages. Calls are answered in
 * the order they were made. If the thread ends other than by `stop`, every pending and later call
 * fails and `ended` is called once.
 */
export class Thread<A extends ThreadApi<A>> implements Calls<A> {
  readonly #worker: Worker;
  readonly #pending = new Map<
    number,
    { resolve: (value: never) => void; reject: (error: SocError) => void }
  >();
  #nextId = 1;
  #end: SocError | null = null;
  readonly #ended: (error: SocError) => void;

  private constructor(worker: Worker, ended: (error: SocError) => void) {
    this.#worker = worker;
    this.#ended = ended;
    worker.on("message", (answer: Answer) => {
      const pending = this.#pending.get(answer.id);
      if (!pending) return;
      this.#pending.delete(answer.id);
      if (answer.error) pending.reject(new SocError(answer.error.code, answer.error.message));
      else pending.resolve(answer.result as never);
    });
    worker.on("error", (error) =>
      this.#finish(new SocError("thread_failed", error.message, { cause: error }), true),
    );
    worker.on("exit", (code) =>
      this.#finish(new SocError("thread_ended", `the thread ended with code ${code}`), true),
    );
  }

  /** Starts `script` with `data`; resolves once it serves its API, rejects with why it could not. */
  static async start<A extends ThreadApi<A>>(
    script: string,
    data: unknown,
    ended: (error: SocError) => void = () => undefined,
    resourceLimits?: ResourceLimits,
  ): Promise<Thread<A>> {
    let started = false;
    const thread = new Thread<A>(new Worker(script, { workerData: data, resourceLimits }), (error) => {
      if (started) ended(error);
    });
    try {
      await new Promise((resolve, reject) => thread.#pending.set(READY, { resolve, reject }));
    } catch (error) {
      await thread.stop();
      throw error;
    }
    started = true;
    return thread;
  }

  call<K extends Method<A>>(
    method: K,
    args: Args<A, K>,
    transfer: Transferable[] = [],
  ): Promise<Result<A, K>> {
    if (this.#end) return Promise.reject(this.#end);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, method, args } satisfies Request, transfer);
    });
  }

  tell<K extends Method<A>>(method: K, args: Args<A, K>): void {
    if (!this.#end) this.#worker.postMessage({ id: 0, method, args } satisfies Request);
  }

  /** Ends the thread; pending calls fail. */
  async stop(): Promise<void> {
    this.#finish(new SocError("thread_stopped", "the thread was stopped"), false);
    await this.#worker.terminate();
  }

  /** The first end counts: every pending call fails with it, and `ended` hears of it unless it was `stop`. */
  #finish(error: SocError, unexpected: boolean): void {
    if (this.#end) return;
    this.#end = error;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    if (unexpected) this.#ended(error);
  }
}

/**
 * Serves the API `build` makes from the thread's start data, in a worker thread started by
 * `Thread.start`. A method that throws fails its call with the error's code and message; one told
 * (not called) that throws ends the thread, since nobody would hear of it otherwise.
 */
export function serveThread<A extends ThreadApi<A>>(build: (data: unknown) => A | Promise<A>): void {
  const port = parentPort;
  if (!port) throw new Error("serveThread runs in a worker thread");
  const fail = (id: number, error: unknown) => {
    const { code, message } = SocError.from(error);
    port.postMessage({ id, error: { code, message } } satisfies Answer);
  };
  void (async () => {
    const api = await build(workerData);
    port.on("message", ({ id, method, args }: Request) => {
      const fn = methodOf(api, method);
      if (id === 0) {
        void fn?.apply(api, args);
        return;
      }
      try {
        if (typeof fn !== "function")
          throw new SocError("no_such_method", `the thread has no method ${method}`);
        const result = fn.apply(api, args);
        if (result instanceof Promise)
          result.then(
            (value: unknown) => port.postMessage({ id, result: value } satisfies Answer),
            (error: unknown) => fail(id, error),
          );
        else port.postMessage({ id, result } satisfies Answer);
      } catch (error) {
        fail(id, error);
      }
    });
    port.postMessage({ id: READY } satisfies Answer);
  })().catch((error: unknown) => fail(READY, error));
}

/** The same calls on an API in this thread: for tests, and where a thread would not pay. */
export function inThisThread<A extends ThreadApi<A>>(api: A): Calls<A> {
  const invoke = (method: string, args: unknown[]) => {
    const fn = methodOf(api, method);
    if (!fn) throw new SocError("no_such_method", `the API has no method ${method}`);
    return fn.apply(api, args);
  };
  return {
    call: (method, args) => Promise.resolve().then(() => invoke(method, args) as never),
    tell: (method, args) => void invoke(method, args),
  };
}

function methodOf(api: object, name: string): ((...args: unknown[]) => unknown) | undefined {
  const fn: unknown = Reflect.get(api, name);
  return typeof fn === "function" ? (fn as (...args: unknown[]) => unknown) : undefined;
}
