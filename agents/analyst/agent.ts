import { skills } from "../../contracts/skills.js";
import { handler } from "../../runtime/a2a/skill.js";
import type { Agent } from "../agent.js";
import { classify } from "./classify.js";

export const analyst: Agent = {
  kind: "agent",
  name: "analyst",
  description:
    "Classifies a case with MITRE ATT&CK and proposes a response with its target and blast radius.",
  skills() {
    return [handler(skills.classify, ({ event, evidence }) => Promise.resolve(classify(event, evidence)))];
  },
};
