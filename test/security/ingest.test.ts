import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Anomaly } from "../../contracts/anomaly.js";
import { ingestCallers } from "../../contracts/skills.js";
import { serveHttpIngest } from "../../agents/prefilter/http.js";
import { Judge } from "../../agents/prefilter/judge.js";
import { Pipeline } from "../../agents/prefilter/pipeline.js";
import { PriorityScorer } from "../../agents/prefilter/scorer.js";
import { RecentEvents } from "../../agents/prefilter/window.js";
import { ensureCertificates } from "../../fleet/certs.js";
import { freePorts } from "../../fleet/ports.js";
import type { Peers } from "../../runtime/a2a/client.js";
import { clientComponent, type Component } from "../../runtime/component.js";
import { inThisThread } from "../../runtime/thread.js";
import { alerts } from "../../fleet/alerts.js";

/** A coordinator that records what it was asked to open. */
class Coordinator {
  opened: Anomaly[] = [];
  call: Peers["call"] = (_spec, input) => {
    this.opened.push(input as Anomaly);
    return Promise.resolve({
      output: { case_id: "C-22222", trace_id: "", duplicate: false },
      usage: { mcp_calls: [], tokens: { in: 0, out: 0, cost: 0 } },
    }) as never;
  };
}

interface Sent {
  /** curl's exit code: 0 once an HTTP answer came back; 35/56… when TLS refused the connection. */
  exit: number;
  status: number;
  body: string;
}

/**
 * Posts as Falco's http_output does: Falco sends with libcurl, so this is curl, with the options
 * Falco's `mtls`, `client_cert`, `client_key` and `ca_cert` set on its handle.
 */
function curl(url: string, body: string, tls: { ca?: string; cert?: string; key?: string }): Promise<Sent> {
  const args = ["-sS", "-H", "content-type: application/json", "--data-binary", body, "-w", "\n%{http_code}"];
  if (tls.ca) args.push("--cacert", tls.ca);
  if (tls.cert) args.push("--cert", tls.cert);
  if (tls.key) args.push("--key", tls.key);
  return new Promise((resolve) => {
    execFile("curl", [...args, url], { timeout: 20_000 }, (error, stdout) => {
      const lines = stdout.split("\n");
      const status = Number(lines.pop() ?? "0");
      const exit = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      resolve({ exit, status, body: lines.join("\n") });
    });
  });
}

describe("the Falco ingest over mutual TLS (posted to with curl, the libcurl of Falco's http_output)", () => {
  const dir = mkdtempSync(join(tmpdir(), "soc-ingest-"));
  const certs = join(dir, "certs");
  const rogue = join(dir, "rogue");
  const rejected = join(dir, "rejected-events.jsonl");
  const stops: (() => Promise<void> | void)[] = [];
  const coordinator = new Coordinator();
  let component: Component;
  let url = "";
  const as = (name: string, from = certs) => ({
    ca: join(certs, "ca.crt"),
    cert: join(from, `${name}.crt`),
    key: join(from, `${name}.key`),
  });
  const refused = async (caller: string) =>
    (await component.metrics.refused.get()).values.find((v) => v.labels.caller === caller)?.value ?? 0;

  beforeAll(async () => {
    ensureCertificates(certs, ["prefilter", ...ingestCallers, "detect", "operator"]);
    // Another CA, with a certificate that calls itself falco.
    ensureCertificates(rogue, ["falco"]);
    component = clientComponent("prefilter", certs, (stop) => stops.push(stop));
    const judge = new Judge(new RecentEvents(), new PriorityScorer("Warning"));
    const pipeline = new Pipeline(component, inThisThread(judge), coordinator);
    const [port = 0] = await freePorts(1);
    await serveHttpIngest(
      component,
      { host: "127.0.0.1", port, tls: "mtls", rejectedPath: rejected },
      pipeline,
    );
    url = `https://127.0.0.1:${port}/falco`;
  });
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(ingestCallers)("takes an event from %s's certificate and opens its case", async (caller) => {
    const before = coordinator.opened.length;
    const event = { ...alerts.containerEscape(), uuid: `escape-from-${caller}` };
    const sent = await curl(url, JSON.stringify(event), as(caller));
    expect(sent).toMatchObject({ exit: 0, status: 200 });
    expect(JSON.parse(sent.body)).toMatchObject({ forwarded: true, case_id: "C-22222" });
    expect(coordinator.opened.slice(before).map((a) => a.event.uuid)).toEqual([event.uuid]);
  });

  it.each(["detect", "operator"])(
    "refuses %s, a valid certificate of the fleet's CA that is not an ingest client: 403, counted, nothing read",
    async (caller) => {
      const before = { opened: coordinator.opened.length, refused: await refused(caller) };
      const sent = await curl(url, JSON.stringify(alerts.containerEscape()), as(caller));
      expect(sent.status).toBe(403);
      expect(JSON.parse(sent.body)).toMatchObject({ error: { code: "caller_refused" } });
      expect(await refused(caller)).toBe(before.refused + 1);
      expect(coordinator.opened.length).toBe(before.opened);
      // Not even kept as a rejected event: its body was never read.
      expect(existsSync(rejected)).toBe(false);
    },
  );

  it("refuses a certificate named falco from another CA at the handshake", async () => {
    const before = coordinator.opened.length;
    const sent = await curl(url, JSON.stringify(alerts.containerEscape()), as("falco", rogue));
    expect(sent.exit).not.toBe(0);
    expect(sent.status).toBe(0);
    expect(coordinator.opened.length).toBe(before);
  });

  it("refuses a sender with no client certificate, and plain HTTP on the same port", async () => {
    const before = coordinator.opened.length;
    const anonymous = await curl(url, JSON.stringify(alerts.containerEscape()), {
      ca: join(certs, "ca.crt"),
    });
    expect(anonymous.exit).not.toBe(0);
    expect(anonymous.status).toBe(0);
    const plain = await curl(url.replace("https:", "http:"), JSON.stringify(alerts.containerEscape()), {});
    expect(plain.status === 0 || plain.status >= 400).toBe(true);
    expect(coordinator.opened.length).toBe(before);
  });
});
