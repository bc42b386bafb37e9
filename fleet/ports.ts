import { createServer } from "node:net";

/** Free loopback ports, all held open together so that two calls cannot return the same one. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => {
      const server = createServer();
      return new Promise<typeof server>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve(server));
      });
    }),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    return typeof address === "object" && address ? address.port : 0;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** The first of 34 consecutive free loopback ports, laid out as SOC_PORT_BASE's. */
export async function freePortBase(): Promise<number> {
  for (;;) {
    // Below Linux's ephemeral range (32768–60999): a client's outgoing connection (Kafka, OPA,
    // Mattermost) can take any port there, and a fleet restarting a component would find it taken.
    const base = 10_000 + 40 * Math.floor(Math.random() * 568);
    const free = await Promise.all(Array.from({ length: 34 }, (_, i) => portFree(base + i)));
    if (free.every(Boolean)) return base;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}
