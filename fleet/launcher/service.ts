import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * One address for a component's replicas on this machine, as a Kubernetes Service gives them in a
 * cluster: each TCP connection to `port` goes to the next replica in turn, and on to the one after
 * when a replica refuses it (dead, or restarting), as a Service drops an endpoint that is not ready.
 * Bytes pass through untouched: mutual TLS is between the caller and the replica.
 */
export async function serveReplicas(
  host: string,
  port: number,
  replicaPorts: readonly number[],
): Promise<Server> {
  let next = 0;
  const server = createServer((client) => {
    client.pause();
    const tryReplica = (left: number) => {
      if (left === 0) {
        client.destroy();
        return;
      }
      const target = replicaPorts[next++ % replicaPorts.length] as number;
      const upstream = connect(target, host);
      upstream.once("error", () => tryReplica(left - 1));
      upstream.once("connect", () => {
        upstream.removeAllListeners("error");
        splice(client, upstream);
      });
    };
    tryReplica(replicaPorts.length);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  return server;
}

/** Joins two connections both ways; either one closing or failing closes the other. */
function splice(a: Socket, b: Socket): void {
  a.pipe(b);
  b.pipe(a);
  a.resume();
  for (const [one, other] of [
    [a, b],
    [b, a],
  ] as const) {
    one.on("error", () => other.destroy());
    one.on("close", () => other.destroy());
  }
}
