import type { KubeApi, KubeObject } from "../runtime/kube.js";
import type { Logger } from "../runtime/log.js";
import { readAgentConfig, type LiveAgentConfig } from "./agent-config.js";

const GROUP_VERSION = "soc.fleet/v1alpha1";
/** Each watch is ended by the server before the client's 30 s inactivity limit, then resumed. */
const WATCH_SECONDS = 25;
const RETRY_MS = 1_000;

/**
 * Follows an agent's AgentConfig resource (by name, in the namespace of the cluster credentials):
 * reads it, then watches it. A generation not seen before is read as the file would be: accepted,
 * it replaces the configuration in force for the next tool call; refused, every problem is logged
 * and the previous configuration stays. Either way the resource's status says so (condition
 * `Applied`, `observedGeneration`). Until a resource is read, the configuration in force is the one
 * the process started with (the image's file). Returns a function that stops following.
 */
export function followAgentConfig(
  api: KubeApi,
  name: string,
  live: LiveAgentConfig,
  log: Logger,
): () => void {
  const collection = `/apis/${GROUP_VERSION}/namespaces/${api.namespace}/agentconfigs`;
  const stopping = new AbortController();
  let seen: number | undefined;

  const report = async (generation: number, applied: boolean, reason: string, message: string) => {
    const condition = {
      type: "Applied",
      status: applied ? "True" : "False",
      reason,
      message,
      observedGeneration: generation,
      lastTransitionTime: new Date().toISOString(),
    };
    const reply = await api.send({
      method: "PATCH",
      path: `${collection}/${name}/status`,
      contentType: "application/merge-patch+json",
      body: { status: { observedGeneration: generation, conditions: [condition] } },
    });
    if (reply.status >= 300)
      log.warn({ status: reply.status, message: reply.body.message }, "AgentConfig status not written");
  };

  const look = async (object: KubeObject) => {
    const generation = object.metadata?.generation ?? 0;
    // Our own status write, a resync or a resumed watch: nothing new to read.
    if (generation === seen) return;
    seen = generation;
    const reading = readAgentConfig(object, name);
    if (!reading.config) {
      log.error(
        { generation, problems: reading.problems },
        "AgentConfig refused: the previous configuration stays in force",
      );
      await report(generation, false, "Invalid", reading.problems.join("; "));
      return;
    }
    live.replace(reading.config, `AgentConfig ${api.namespace}/${name} generation ${generation}`);
    const { tools, requireApproval } = reading.config.spec;
    log.info({ generation, tools, requireApproval }, "AgentConfig applied");
    await report(generation, true, "Applied", `generation ${generation} is in force`);
  };

  const follow = async () => {
    while (!stopping.signal.aborted) {
      try {
        const reply = await api.send({ method: "GET", path: `${collection}/${name}` });
        if (reply.status === 200) await look(reply.body);
        else
          log.warn(
            { status: reply.status, message: reply.body.message, source: live.source },
            "AgentConfig resource not read: the configuration in force stays",
          );
        const query = {
          fieldSelector: `metadata.name=${name}`,
          timeoutSeconds: WATCH_SECONDS,
          ...(reply.status === 200 ? { resourceVersion: reply.body.metadata?.resourceVersion ?? "" } : {}),
        };
        await api.watch(
          collection,
          query,
          (type, object) => {
            if (type === "ADDED" || type === "MODIFIED")
              void look(object).catch((error: unknown) => log.warn({ err: error }, "AgentConfig not read"));
            else if (type === "DELETED")
              log.warn(
                { source: live.source },
                "AgentConfig resource deleted: the configuration in force stays",
              );
          },
          stopping.signal,
        );
      } catch (error) {
        if (!stopping.signal.aborted) log.warn({ err: error }, "AgentConfig watch ended; resuming");
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  };
  void follow();
  return () => stopping.abort();
}
