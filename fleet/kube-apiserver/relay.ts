import { connect, createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

/**
 * A TCP relay on 127.0.0.1 in front of an API server, for tests: TLS passes through untouched, and
 * the answers can be withheld. Frozen, the server's bytes stop reaching the clients (its requests
 * still reach the server): a request the server carried out whose answer its client never got.
 */
export class ConnectionRelay {
  readonly url: string;
  readonly #pairs = new Set<{ client: Socket; upstream: Socket; withheld: Buffer[] }>();
  #frozen = false;

  private constructor(
    private readonly server: Server,
    port: number,
  ) {
    this.url = `https://127.0.0.1:${port}`;
  }

  static async start(target: { port: number }): Promise<ConnectionRelay> {
    const server = createServer();
    const started = new Promise<number>((resolve) =>
      server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
    );
    const relay = new ConnectionRelay(server, await started);
    server.on("connection", (client) => relay.#relay(client, target.port));
    return relay;
  }

  /** Withholds every answer from now on, on every connection. */
  freeze(): void {
    this.#frozen = true;
  }

  /** Lets answers through again; what was withheld from a client still connected reaches it. */
  thaw(): void {
    this.#frozen = false;
    for (const { client, withheld } of this.#pairs)
      for (const chunk of withheld.splice(0)) client.write(chunk);
  }

  async stop(): Promise<void> {
    for (const { client, upstream } of this.#pairs) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise((resolve) => this.server.close(resolve));
  }

  #relay(client: Socket, port: number): void {
    const upstream = connect(port, "127.0.0.1");
    const pair = { client, upstream, withheld: [] as Buffer[] };
    this.#pairs.add(pair);
    client.pipe(upstream);
    upstream.on("data", (chunk: Buffer) => (this.#frozen ? pair.withheld.push(chunk) : client.write(chunk)));
    const close = () => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
  }
}
