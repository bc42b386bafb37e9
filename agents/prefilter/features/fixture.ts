import { FalcoEvent } from "../../../contracts/falco.js";
import { FEATURE_COUNT, FEATURE_NAMES, FeatureExtractor } from "./index.js";

/**
 * Falco events for the feature tests: a shell in nginx on shop/web-1 unless a spec says otherwise,
 * at a millisecond offset from a fixed start, so every test states only what it is about. Plain
 * code, not a test file, so that several test files can share it.
 */

export const T0 = Date.parse("2026-11-24T09:00:00Z");

export interface Spec {
  /** Milliseconds after T0. */
  at?: number;
  rule?: string;
  priority?: string;
  tags?: string[];
  hostname?: string;
  fields?: Record<string, string | number | boolean | null>;
}

/** Falco's nine fraction digits; the sub-millisecond ones must not matter. */
const iso = (ms: number) => new Date(ms).toISOString().replace("Z", "123456Z");

export function falcoEvent({ at = 0, rule, priority, tags, hostname, fields }: Spec): FalcoEvent {
  return FalcoEvent.parse({
    time: iso(T0 + at),
    rule: rule ?? "Run shell untrusted",
    priority: priority ?? "Notice",
    tags: tags ?? ["container", "mitre_execution", "T1059.004"],
    hostname: hostname ?? "worker-a1",
    output_fields: {
      "container.id": "0123456789ab",
      "container.image.repository": "docker.io/library/nginx",
      "k8s.ns.name": "shop",
      "k8s.pod.name": "web-1",
      "proc.name": "sh",
      "proc.pname": "nginx",
      "proc.cmdline": "sh -c date",
      "proc.exepath": "/bin/sh",
      "proc.tty": 0,
      "user.name": "nginx",
      "user.uid": 101,
      "fd.name": null,
      ...fields,
    },
  });
}

/** The named feature of each spec's event, run in order through one extractor. */
export function featureSeries(
  name: string,
  specs: readonly Spec[],
  extractor = new FeatureExtractor(),
): number[] {
  const index = FEATURE_NAMES.indexOf(name);
  if (index < 0) throw new Error(`no feature ${name}`);
  const out = new Float64Array(FEATURE_COUNT);
  return specs.map((spec) => {
    extractor.extract(falcoEvent(spec), out);
    return out[index] ?? Number.NaN;
  });
}
