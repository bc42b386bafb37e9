import { createHash } from "node:crypto";
import type { KubeAnswer, KubeRequest } from "../../contracts/cluster.js";
import { SocError } from "../../runtime/errors.js";
import type { ClusterView, ResponseAction } from "./actions/action.js";
import { responseActions } from "./actions/index.js";
import { offlineCluster } from "./cluster.js";
import { inEffect } from "./effect.js";
import type { ActionJournal, ActionRecord } from "./journal.js";
import { refusal, type KubeReply } from "../../runtime/kube.js";

/** The API server as the executor uses it: reads for the actions, and the requests they declare. */
export interface ClusterApi extends ClusterView {
  send(request: KubeRequest, options?: { dryRun?: boolean }): Promise<KubeReply>;
}

export interface Executor {
  mode: "dry-run" | "enforce";
  /** The cluster, or null when none is configured (dry-run only: nothing can be validated). */
  cluster: ClusterApi | null;
  journal: ActionJournal;
}

/** The action's key: the case, the caller's idempotency key, the mode, and a digest of what is done to what. */
export function actionKey(
  caseId: string,
  idempotencyKey: string,
  mode: string,
  action: string,
  parameters: unknown,
): string {
  const digest = createHash("sha256")
    .update(JSON.stringify([action, parameters]))
    .digest("hex")
    .slice(0, 16);
  return `${caseId}/${idempotencyKey}/${mode}/${action}/${digest}`;
}

function answerOf(request: KubeRequest, reply: KubeReply): KubeAnswer {
  const { kind, metadata, reason, message } = reply.body;
  const detail =
    reply.status >= 300
      ? `${reason ?? "refused"}: ${message ?? "no message"}`
      : `${kind ?? "object"} ${[metadata?.namespace, metadata?.name].filter(Boolean).join("/")}`.trim();
  return { method: request.method, path: request.path, status: reply.status, detail };
}

/**
 * Carries out one action for one case, at most once. The record (with the state an undo restores)
 * is written before the first request, and each answer as it comes; a call for a finished action
 * returns its record and sends nothing; a call for the same action while it runs waits for it.
 * After a crash, the retry reads the live cluster first: nothing more is sent when the action's
 * effect is there; else every answered request is skipped, the one in doubt (sent, unanswered) is
 * sent again only when the object it targets does not show its effect, and the rest follow.
 * A request the server refuses ends the action with the server's reason: nothing is retried blindly.
 */
export function carryOut(
  action: ResponseAction,
  parameters: unknown,
  caseId: string,
  idempotencyKey: string,
  executor: Executor,
): Promise<ActionRecord & { replayed: boolean }> {
  const key = actionKey(caseId, idempotencyKey, executor.mode, action.name, parameters);
  return executor.journal.exclusive(key, () => attempt(action, parameters, caseId, key, executor));
}

async function attempt(
  action: ResponseAction,
  parameters: unknown,
  caseId: string,
  key: string,
  { mode, cluster, journal }: Executor,
): Promise<ActionRecord & { replayed: boolean }> {
  const existing = journal.get(key);
  const enforce = mode === "enforce";
  if (existing && existing.state !== "recorded") {
    if (existing.state === "refused") throw new SocError("kube_refused", lastRefusal(existing));
    // Sent, but not found in effect then: asked again, it is read again, and never sent twice.
    if (existing.state === "done" && existing.verification?.ok === false && cluster && enforce) {
      const verification = await action.verify(parameters, cluster, caseId);
      return { ...journal.put({ ...existing, verification }), replayed: true };
    }
    return { ...existing, replayed: true };
  }
  if (existing && cluster && enforce) {
    const found = await action.verify(parameters, cluster, caseId);
    if (found.ok)
      return { ...journal.put({ ...existing, verification: found, state: "done" }), replayed: true };
  }
  const record = existing ?? journal.put(await recordFor(action, parameters, caseId, key, mode, cluster));
  if (!cluster) return { ...journal.put({ ...record, state: "done" }), replayed: false };
  const answers = [...record.answers];
  for (const request of record.requests.slice(answers.length)) {
    const inDoubt = existing && enforce && answers.length === existing.answers.length;
    if (inDoubt && (await inEffect(request, cluster))) {
      answers.push({ ...answerOf(request, { status: 200, body: {} }), detail: IN_EFFECT });
      continue;
    }
    const reply = await cluster.send(request, { dryRun: !enforce });
    answers.push(answerOf(request, reply));
    if (reply.status >= 300) {
      journal.put({ ...record, answers, state: "refused" });
      throw refusal(reply, request.method, request.path);
    }
    if (answers.length < record.requests.length) journal.put({ ...record, answers });
  }
  const verification = enforce
    ? await action.verify(parameters, cluster, caseId)
    : { ok: true, detail: "dry run: the API server accepted every request and stored nothing" };
  return { ...journal.put({ ...record, answers, verification, state: "done" }), replayed: false };
}

/** The answer recorded for a request that had taken effect before a crash and was not sent again. */
const IN_EFFECT = "in effect before the restart (read from the live object): not sent again";

async function recordFor(
  action: ResponseAction,
  parameters: unknown,
  caseId: string,
  key: string,
  mode: Executor["mode"],
  cluster: ClusterApi | null,
): Promise<ActionRecord> {
  const before = await action.before(parameters, cluster ?? offlineCluster);
  return {
    key,
    case_id: caseId,
    action: action.name,
    parameters,
    mode,
    before,
    requests: action.requests(parameters, before, caseId),
    answers: [],
    verification: null,
    state: "recorded",
    undo: null,
  };
}

function lastRefusal(record: ActionRecord): string {
  const refused = record.answers.at(-1);
  return refused
    ? `the API server refused ${refused.method} ${refused.path} (${refused.status}): ${refused.detail}`
    : "the API server refused the action";
}

/** An undo request whose effect is already there: the object to delete is gone, the one to create exists. */
const alreadyUndone = (request: KubeRequest, reply: KubeReply) =>
  (request.method === "DELETE" && reply.status === 404) ||
  (request.method === "POST" && reply.status === 409);

/**
 * Lifts every action carried out for a case, newest first, by restoring what was recorded before
 * it; each at most once (an undone record is skipped, an interrupted undo is sent again).
 */
export function undoCase(caseId: string, by: string, executor: Executor): Promise<ActionRecord[]> {
  return executor.journal.exclusive(`undo/${caseId}`, () => undoAll(caseId, by, executor));
}

async function undoAll(caseId: string, by: string, { cluster, journal }: Executor): Promise<ActionRecord[]> {
  const done = journal
    .enforced(caseId)
    .filter((record) => record.state === "done")
    .reverse();
  if (done.length === 0) return [];
  if (!cluster) throw new SocError("kube_unavailable", "no cluster is configured: nothing can be undone");
  const undone: ActionRecord[] = [];
  for (const record of done) {
    const action = (responseActions as Record<string, ResponseAction>)[record.action];
    if (!action) throw new SocError("unknown_action", `no response action ${record.action} to undo`);
    const requests = action.undo(record.parameters, record.before, caseId);
    const started = journal.put({ ...record, undo: { requests, answers: [], by } });
    const answers: KubeAnswer[] = [];
    for (const request of requests) {
      const reply = await cluster.send(request);
      answers.push(answerOf(request, reply));
      if (reply.status >= 300 && !alreadyUndone(request, reply)) {
        journal.put({ ...started, undo: { requests, answers, by } });
        throw refusal(reply, request.method, request.path);
      }
    }
    undone.push(journal.put({ ...started, undo: { requests, answers, by }, state: "undone" }));
  }
  return undone;
}
