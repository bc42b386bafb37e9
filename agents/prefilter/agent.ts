import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { skills } from "../../contracts/skills.js";
import { handler } from "../../runtime/a2a/skill.js";
import type { Agent } from "../agent.js";
import { ingestor, serveIngest } from "./ingest.js";
import { RecentEvents } from "./window.js";

export const prefilter: Agent = {
  kind: "agent",
  name: "prefilter",
  description: "Receives every Falco event, keeps the recent past, and forwards only what deserves a case.",
  async skills({ component, config, peers }) {
    mkdirSync(config.dataDir, { recursive: true });
    const recent = new RecentEvents();
    const path = ingestor(component, peers, recent, {
      minPriority: config.minPriority,
      rejectedPath: join(config.dataDir, "rejected-events.jsonl"),
    });
    await serveIngest(component, config.host, config.ingestPort, path);
    return [
      handler(skills.ingest, ({ event }) => path.ingest(event)),
      handler(skills.recentEvents, (query) => Promise.resolve(recent.related(query))),
    ];
  },
};
