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

/** A `fetch` that presents this identity's certificate and trusts only our CA; keeps connections alive. */
export function mtlsFetch(identity: Identity): typeof fetch {
  // One secure context for every connection: parsing the PEM per handshake showed in profiles.
  const secureContext = createSecureContext({ ca: identity.ca, cert: identity.cert, key: identity.key });
  const dispatcher = new Agent({
    connect: { secureContext },
    keepAliveTimeout: 30_000,
  });
  const bound = (input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher,
    });
  return bound;
}
