import { afterEach, describe, expect, it } from "vitest";
import type { Case } from "../contracts/case.js";
import type { Step } from "../contracts/step.js";
import { alerts, falcoAlert } from "../fleet/alerts.js";
import { FleetConfig } from "../contracts/config.js";
import { loadConfig } from "../runtime/config.js";
import { LocalFleet } from "../fleet/local.js";

type Trace = { case: Case; steps: Step[] };

/** An alert the policy auto-executes, on a pod of its own so every case is distinct. */
const autoExecuteOn = (pod: string) =>
  falcoAlert({
    rule: "Read sensitive file untrusted",
    priority: "Warning",
    tags: ["T1555", "container", "filesystem", "maturity_stable", "mitre_credential_access"],
    pod,
  });

describe("reliability: crashes, refusals and silence never lose a case or repeat an action", () => {
  let fleet: LocalFleet | undefined;
  afterEach(async () => {
    await fleet?.stop();
    fleet = undefined;
  });

  const traceOf = async (f: LocalFleet, id: string) =>
    ((await f.soc(["trace", id])).json as Trace | null) ?? undefined;
  const settle = (f: LocalFleet, id: string, done: (t: Trace) => boolean) =>
    f.waitFor(
      async () => {
        const t = await traceOf(f, id);
        return t && done(t) ? t : undefined;
      },
      60_000,
      `case ${id} to settle`,
    );
  const post = async (f: LocalFleet, alert: unknown) => {
    const { status, body } = await f.post(alert);
    expect(status).toBe(200);
    return body.case_id as string;
  };

  for (const victim of ["coordinator", "remediate"] as const) {
    it(`kill -9 of the ${victim} with cases in flight: every case reaches its end, each action recorded once`, async () => {
      const f = (fleet = await LocalFleet.start({ env: { SOC_PREFILTER: "priority" } }));
      const before = f.pid(victim);
      // Hold remediate so the cases are certainly in flight (executing) when the victim dies.
      f.signal("remediate", "SIGSTOP");
      const first = await Promise.all([
        ...Array.from({ length: 8 }, (_, i) => post(f, autoExecuteOn(`web-${i}`))),
        post(f, alerts.escalate()),
        post(f, alerts.autoReject()),
      ]);
      await f.waitFor(
        async () => {
          const listed = (await f.soc(["cases", "--state", "executing"])).json as { cases: Case[] };
          return listed.cases.length === 8;
        },
        30_000,
        "eight cases executing",
      );
      f.signal(victim, "SIGKILL");
      if (victim === "coordinator") f.signal("remediate", "SIGCONT");
      // Events keep arriving while it is down: the prefilter's call waits for the restart.
      const second = await Promise.all(
        Array.from({ length: 4 }, (_, i) => post(f, autoExecuteOn(`api-${i}`))),
      );
      await f.waitFor(
        () => f.output.some((l) => l.startsWith(`${victim} exited (SIGKILL)`)),
        10_000,
        "the supervisor to see the crash",
      );

      const escalated = first[8] ?? "";
      const rejected = first[9] ?? "";
      const executed = [...first.slice(0, 8), ...second];
      for (const id of executed) {
        const t = await settle(f, id, (x) => x.case.status === "closed");
        expect(t.case.resolution, id).toBe("remediated");
        expect(
          t.steps.filter((s) => s.agent === "remediate" && !s.error),
          id,
        ).toHaveLength(1);
        expect(
          t.steps.filter((s) => s.skill === "close"),
          id,
        ).toHaveLength(1);
      }
      const waiting = await settle(
        f,
        escalated,
        (x) => x.case.status === "awaiting_human" && x.steps.some((s) => s.agent === "notify" && !s.error),
      );
      expect(waiting.steps.filter((s) => s.agent === "notify" && !s.error)).toHaveLength(1);
      expect((await settle(f, rejected, (x) => x.case.status === "closed")).case.resolution).toBe("rejected");

      const all = (await f.soc(["cases", "--limit", "100"])).json as { cases: Case[] };
      expect(all.cases).toHaveLength(executed.length + 2);
      expect(f.pid(victim)).not.toBe(before);
      if (victim === "coordinator") {
        expect(f.logs().coordinator?.some((l) => l.msg === "resuming unattended cases")).toBe(true);
      }
    });
  }

  it("coordinators saturated: every event is still answered at once with its case, the backlog waits in the case store, shown by soc_cases, and every case ends", async () => {
    const f = (fleet = await LocalFleet.start({
      env: { SOC_PREFILTER: "priority", SOC_AGENT_TIMEOUT_MS: "120000" },
    }));
    // Every case the coordinator takes waits on detect: its 32 slots fill, the rest queue.
    f.signal("detect", "SIGSTOP");
    const metric = async (name: string, labels = "") => {
      const text = await (
        await fetch(`${loadConfig(FleetConfig, f.env).opsUrl("coordinator")}/metrics`)
      ).text();
      return Number(
        new RegExp(`^${name}\\{${labels}[^}]*\\} ([\\d.e+-]+)$`, "m").exec(text)?.[1] ?? Number.NaN,
      );
    };
    let ids: string[] = [];
    try {
      ids = await Promise.all(
        Array.from({ length: 60 }, (_, i) => post(f, autoExecuteOn(`web-burst-${String(i)}`))),
      );
      expect(new Set(ids).size).toBe(60);
      expect(await metric("soc_cases", 'status="open",')).toBe(28);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect(await metric("soc_case_oldest_untriaged_seconds")).toBeGreaterThanOrEqual(1);
    } finally {
      f.signal("detect", "SIGCONT");
    }
    const closed = await f.waitFor(
      async () => {
        const cases = await f.desk().cases("closed", 100);
        return ids.every((id) => cases.some((c) => c.id === id)) ? cases : undefined;
      },
      60_000,
      "every case of the burst closed",
    );
    expect(closed.filter((c) => ids.includes(c.id)).map((c) => c.resolution)).toEqual(
      ids.map(() => "remediated"),
    );
    expect(await metric("soc_cases", 'status="open",')).toBe(0);
  });

  it("a hung remediate blocks nothing that does not need it, and the case that does escalates after the timeout", async () => {
    // Long enough for detect and the analyst on a loaded CI machine; only remediate is meant to time out.
    const f = (fleet = await LocalFleet.start({
      env: { SOC_PREFILTER: "priority", SOC_AGENT_TIMEOUT_MS: "5000" },
    }));
    f.signal("remediate", "SIGSTOP");
    try {
      const needsRemediate = await post(f, autoExecuteOn("web-hung"));
      const escalated = await post(f, alerts.escalate());
      const rejected = await post(f, alerts.autoReject());
      expect((await settle(f, escalated, (x) => x.case.status === "awaiting_human")).case.outcome).toBe(
        "escalate",
      );
      expect((await settle(f, rejected, (x) => x.case.status === "closed")).case.resolution).toBe("rejected");

      const timedOut = await settle(f, needsRemediate, (x) => x.case.status === "awaiting_human");
      expect(timedOut.case.reasons.at(-1)).toMatch(/^remediate execute failed: failed to reach remediate/);
      const failed = timedOut.steps.find((s) => s.agent === "remediate");
      expect(failed?.error).toBe("agent_unavailable");
    } finally {
      f.signal("remediate", "SIGCONT");
    }
  });

  it("OPA that cannot answer never auto-executes: the verdict is escalate, and policy resumes when OPA does", async () => {
    const f = (fleet = await LocalFleet.start({
      env: { SOC_PREFILTER: "priority", SOC_OPA_TIMEOUT_MS: "500" },
    }));
    f.signal("opa", "SIGSTOP");
    let silent: string;
    try {
      silent = await post(f, autoExecuteOn("web-opa-down"));
      const waiting = await settle(f, silent, (x) => x.case.status === "awaiting_human");
      expect(waiting.case.outcome).toBe("escalate");
      expect(waiting.case.reasons.join(" ")).toMatch(/OPA did not answer/);
      expect(waiting.steps.some((s) => s.agent === "remediate")).toBe(false);
    } finally {
      f.signal("opa", "SIGCONT");
    }
    const answered = await post(f, autoExecuteOn("web-opa-back"));
    expect((await settle(f, answered, (x) => x.case.status === "closed")).case.outcome).toBe("auto_execute");
    expect((await traceOf(f, silent))?.case.status).toBe("awaiting_human");
  });
});
