import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * A development CA and one certificate per identity, made with openssl on first start. In a
 * cluster cert-manager issues the same: CN = identity, SANs for loopback, client and server use.
 */
export function ensureCertificates(dir: string, identities: readonly string[]): string[] {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const created: string[] = [];
  const ca = join(dir, "ca.crt");
  const caKey = join(dir, "ca.key");
  if (!existsSync(ca) || !existsSync(caKey)) {
    openssl([
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      caKey,
      "-out",
      ca,
      "-days",
      "3650",
      "-subj",
      "/O=soc-fleet/CN=soc-fleet development CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    created.push("ca");
  }
  for (const name of identities) {
    const cert = join(dir, `${name}.crt`);
    const key = join(dir, `${name}.key`);
    if (existsSync(cert) && existsSync(key)) continue;
    const csr = join(dir, `${name}.csr`);
    const ext = join(dir, `${name}.ext`);
    writeFileSync(
      ext,
      [
        "basicConstraints=critical,CA:FALSE",
        "keyUsage=critical,digitalSignature,keyEncipherment",
        "extendedKeyUsage=serverAuth,clientAuth",
        `subjectAltName=DNS:localhost,DNS:soc-${name},IP:127.0.0.1,URI:spiffe://soc-fleet/${name}`,
      ].join("\n"),
    );
    openssl([
      "req",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      key,
      "-out",
      csr,
      "-subj",
      `/O=soc-fleet/CN=${name}`,
    ]);
    openssl([
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      ca,
      "-CAkey",
      caKey,
      "-CAcreateserial",
      "-days",
      "825",
      "-out",
      cert,
      "-extfile",
      ext,
    ]);
    rmSync(csr);
    rmSync(ext);
    created.push(name);
  }
  return created;
}

function openssl(args: string[]): void {
  execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
}
