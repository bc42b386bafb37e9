import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { IncomingMessage } from "node:http";
import { createSecureContext, type TLSSocket } from "node:tls";
import { Agent, fetch as undiciFetch } from "undici";
import { SocError } from "./errors.js";

/** A component's certificate, key and the CA it trusts, as PEM. */
export interface Identity {
  name: string;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/** Reads `<dir>/<name>.crt`, `<dir>/<name>.key` and `<dir>/ca.crt`. */
export function loadIdentity(dir: string, name: string): Identity {
  try {
    return {
      name,
      ca: readFileSync(join(dir, "ca.crt")),
      cert: readFileSync(join(dir, `${name}.crt`)),
      key: readFileSync(join(dir, `${name}.key`)),
    };
  } catch (cause) {
    throw new SocError("certificate_missing", `failed to load the certificate of ${name} from ${dir}`, {
      cause,
    });
  }
}

/** Server options: a client certificate signed by our CA is required. */
export function serverTls(identity: Identity) {
  return {
    ca: identity.ca,
    cert: identity.cert,
    key: identity.key,
    requestCert: true,
    rejectUnauthorized: true,
  };
}

/** The verified identity (certificate CN) of the peer of an mTLS request. */
export function peerIdentity(req: IncomingMessage): string | undefined {
  const socket = req.socket as TLSSocket;
  if (!socket.authorized) return undefined;
  const cn = socket.getPeerCertificate().subject?.CN;
  return typeof cn === "string" ? cn : undefined;
}

// One keep-alive pool per identity, shared by everything in the process that calls peers.
const pools = new WeakMap<Identity, Agent>();

/**
 * undici's connection pool presenting this identity's certificate and trusting only our CA. One
 * secure context for every connection: parsing the PEM per handshake showed in profiles.
 */
export function mtlsAgent(identity: Identity): Agent {
  let agent = pools.get(identity);
  if (!agent) {
    const secureContext = createSecureContext({ ca: identity.ca, cert: identity.cert, key: identity.key });
    agent = new Agent({ connect: { secureContext }, keepAliveTimeout: 30_000 });
    pools.set(identity, agent);
  }
  return agent;
}

/** A `fetch` that presents this identity's certificate and trusts only our CA; keeps connections alive. */
export function mtlsFetch(identity: Identity): typeof fetch {
  const dispatcher = mtlsAgent(identity);
  const bound = (input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher,
    });
  return bound;
}
