import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureCertificates } from "../certs.js";
import { exec } from "../tools/exec.js";

/**
 * The CA and serving certificate (as for the fleet's own services), an admin client certificate in
 * system:masters (the group RBAC never refuses), and the key pair ServiceAccount tokens are signed with.
 */
export function makeCredentials(dir: string): void {
  ensureCertificates(dir, ["apiserver"]);
  const file = (name: string): string => join(dir, name);
  writeFileSync(file("admin.ext"), "basicConstraints=critical,CA:FALSE\nextendedKeyUsage=clientAuth\n");
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  const subject = "/O=system:masters/CN=soc-fleet-admin";
  exec("openssl", ["req", ...ec, "-keyout", file("admin.key"), "-out", file("admin.csr"), "-subj", subject]);
  const ca = ["-CA", file("ca.crt"), "-CAkey", file("ca.key"), "-CAcreateserial", "-days", "7"];
  const io = ["-in", file("admin.csr"), "-out", file("admin.crt"), "-extfile", file("admin.ext")];
  exec("openssl", ["x509", "-req", ...ca, ...io]);
  const saKey = file("service-account.key");
  exec("openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", saKey]);
  exec("openssl", ["pkey", "-in", saKey, "-pubout", "-out", file("service-account.pub")]);
}
