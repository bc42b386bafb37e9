import { skills } from "../../contracts/skills.js";
import { handler } from "../../runtime/a2a/skill.js";
import type { Agent } from "../agent.js";
import { classify } from "./classify.js";
import { narrate } from "./narrate.js";
import { nextQuestions } from "./questions.js";

export const analyst: Agent = {
  kind: "agent",
  name: "analyst",
  description:
    "Classifies a case with MITRE ATT&CK and proposes a response with its target and blast radius; with a language model, also writes the case's narrative and the questions to investigate.",
  skills({ llm }) {
    return [
      handler(skills.classify, async ({ event, evidence }) => {
        // The classification is the evidence's; the model only adds words beside it.
        const analysis = classify(event, evidence);
        return { ...analysis, narrative: await narrate(llm, event, evidence, analysis) };
      }),
      handler(skills.nextQuestions, async ({ event, evidence, analysis }) => ({
        questions: await nextQuestions(llm, event, evidence, analysis),
      })),
    ];
  },
};
