import { describe, expect, it } from "vitest";
import { Evidence } from "../../contracts/analysis.js";
import { evidence } from "./agent.js";
import { emptyContext } from "../../contracts/cluster.js";

function related(rule: string, pod: string | null, n: number) {
  return {
    time: `2026-11-24T09:00:0${n}.000000000Z`,
    rule,
    priority: "Warning",
    pod,
    image: "ghcr.io/acme/storefront",
    trace_id: String(n).padStart(32, "0"),
  };
}

const unchecked = emptyContext("no_cluster", "no cluster is configured: the workload was not checked");

describe("evidence", () => {
  it("with nothing related has only the event's own rule", () => {
    const found = evidence("Read sensitive file untrusted", { same_pod: [], same_image: [] }, unchecked);
    expect(found).toEqual({
      same_pod: [],
      same_image: [],
      distinct_rules: ["Read sensitive file untrusted"],
      context: unchecked,
      forwarded: null,
      summary:
        "0 recent event(s) on the same pod, 0 on other pods of the same image, 1 distinct rule(s) on the pod, cluster: no cluster is configured: the workload was not checked",
    });
    expect(Evidence.safeParse(found).success).toBe(true);
  });

  it("carries why the prefilter forwarded the event, as the coordinator gave it", () => {
    const forwarded = {
      score: null,
      model_version: "priority-baseline",
      threshold: "Warning",
      threshold_source: null,
      floor: null,
      drivers: [],
    };
    const found = evidence(
      "Read sensitive file untrusted",
      { same_pod: [], same_image: [] },
      unchecked,
      forwarded,
    );
    expect(found.forwarded).toEqual(forwarded);
  });

  it("counts distinct rules on the pod once each, sorted, including the event's own", () => {
    const samePod = [
      related("Search Private Keys or Passwords", "web-1", 1),
      related("Read sensitive file untrusted", "web-1", 2),
      related("Search Private Keys or Passwords", "web-1", 3),
      related("Netcat Remote Code Execution in Container", "web-1", 4),
    ];
    const found = evidence("Read sensitive file untrusted", { same_pod: samePod, same_image: [] }, unchecked);
    expect(found.distinct_rules).toEqual([
      "Netcat Remote Code Execution in Container",
      "Read sensitive file untrusted",
      "Search Private Keys or Passwords",
    ]);
    expect(found.same_pod).toEqual(samePod);
    expect(found.summary).toBe(
      "4 recent event(s) on the same pod, 0 on other pods of the same image, 3 distinct rule(s) on the pod, cluster: no cluster is configured: the workload was not checked",
    );
  });

  it("does not count rules seen only on other pods of the image", () => {
    const sameImage = [related("Launch Remote File Copy Tools in Container", "web-2", 1)];
    const found = evidence(
      "Read sensitive file untrusted",
      {
        same_pod: [related("Read sensitive file untrusted", "web-1", 2)],
        same_image: sameImage,
      },
      unchecked,
    );
    expect(found.distinct_rules).toEqual(["Read sensitive file untrusted"]);
    expect(found.same_image).toEqual(sameImage);
    expect(found.summary).toBe(
      "1 recent event(s) on the same pod, 1 on other pods of the same image, 1 distinct rule(s) on the pod, cluster: no cluster is configured: the workload was not checked",
    );
  });
});
