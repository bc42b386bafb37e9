import { createHash } from "node:crypto";
import type { KubeAnswer, KubeRequest } from "../../contracts/cluster.js";
import { SocError } from "../../runtime/errors.js";
import type { ClusterView, ResponseAction } from "./actions/action.js";
import { responseActions } from "./actions/index.js";
import { offlineCluster } from "./cluster.js";
import type { ActionJournal, ActionRecord } from "./journal.js";
import { refusal, type KubeReply } from "./kube.js";

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
 * is written before the first request; a retry of a finished action returns its record and sends
 * nothing; a retry after a crash between the two reads the live object first and sends the recorded
 * requests again only when their effect is not there (every request is idempotent by construction).
 * A request the server refuses ends the action with the server's reason: nothing is retried blindly.
 */
export async function carryOut(
  action: ResponseAction,
  parameters: unknown,
  caseId: string,
  idempotencyKey: string,
  { mode, cluster, journal }: Executor,
): Promise<ActionRecord & { replayed: boolean }> {
  const key = actionKey(caseId, idempotencyKey, mode, action.name, parameters);
  const existing = journal.get(key);
  if (existing && existing.state !== "recorded") {
    if (existing.state === "refused") throw new SocError("kube_refused", lastRefusal(existing));
    return { ...existing, replayed: true };
  }
  if (existing && cluster && mode === "enforce") {
    const found = await action.verify(parameters, cluster, caseId);
    if (found.ok)
      return { ...journal.put({ ...existing, verification: found, state: "done" }), replayed: true };
  }
  const record = existing ?? journal.put(await recordFor(action, parameters, caseId, key, mode, cluster));
  if (!cluster) return { ...journal.put({ ...record, state: "done" }), replayed: false };
  const answers: KubeAnswer[] = [];
  for (const request of record.requests) {
    const reply = await cluster.send(request, { dryRun: mode === "dry-run" });
    answers.push(answerOf(request, reply));
    if (reply.status >= 300) {
      journal.put({ ...record, answers, state: "refused" });
      throw refusal(reply, request.method, request.path);
    }
  }
  const verification =
    mode === "enforce"
      ? await action.verify(parameters, cluster, caseId)
      : { ok: true, detail: "dry run: the API server accepted every request and stored nothing" };
  return { ...journal.put({ ...record, answers, verification, state: "done" }), replayed: false };
}

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
export async function undoCase(
  caseId: string,
  by: string,
  { cluster, journal }: Executor,
): Promise<ActionRecord[]> {
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
