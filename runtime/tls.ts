import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { IncomingMessage } from "node:http";
import {
  checkServerIdentity,
  createSecureContext,
  type PeerCertificate,
  type SecureContext,
  type TLSSocket,
} from "node:tls";
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

// One keep-alive pool per identity and peer it calls, shared by everything in the process.
const pools = new WeakMap<Identity, Map<string, Agent>>();
const contexts = new WeakMap<Identity, SecureContext>();

/**
 * undici's connection pool presenting this identity's certificate and trusting only our CA. With
 * `peer`, the server must also be that identity (its certificate's CN, or its SPIFFE URI): any
 * certificate of our CA would pass the CA check, and every one names 127.0.0.1 on one machine.
 * One secure context per identity: parsing the PEM per handshake showed in profiles.
 */
export function mtlsAgent(identity: Identity, peer?: string): Agent {
  let byPeer = pools.get(identity);
  if (!byPeer) pools.set(identity, (byPeer = new Map<string, Agent>()));
  let agent = byPeer.get(peer ?? "");
  if (!agent) {
    let secureContext = contexts.get(identity);
    if (!secureContext) {
      secureContext = createSecureContext({ ca: identity.ca, cert: identity.cert, key: identity.key });
      contexts.set(identity, secureContext);
    }
    // Node's default check only when no peer is named: tls.connect takes an undefined one as a bug.
    const connect = peer
      ? {
          secureContext,
          checkServerIdentity: (host: string, cert: PeerCertificate) =>
            checkServerIdentity(host, cert) ?? isPeer(cert, peer),
        }
      : { secureContext };
    agent = new Agent({ connect, keepAliveTimeout: 30_000 });
    byPeer.set(peer ?? "", agent);
  }
  return agent;
}

/** Undefined when `cert` is `peer`'s (CN or SPIFFE URI), else the error that ends the handshake. */
function isPeer(cert: PeerCertificate, peer: string): Error | undefined {
  const uris = (cert.subjectaltname ?? "").split(", ").filter((name) => name.startsWith("URI:"));
  const name = String(cert.subject?.CN ?? "no name");
  if (name === peer || uris.includes(`URI:spiffe://soc-fleet/${peer}`)) return undefined;
  return new SocError("peer_identity", `expected the certificate of ${peer}, the server presented ${name}`);
}

/**
 * A `fetch` that presents this identity's certificate and trusts only our CA, keeping connections
 * alive; with `peer`, only a server with that identity's certificate is spoken to.
 */
export function mtlsFetch(identity: Identity, peer?: string): typeof fetch {
  const dispatcher = mtlsAgent(identity, peer);
  const bound = (input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher,
    });
  return bound;
}
