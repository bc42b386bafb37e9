import { z } from "zod";
import { command } from "./command.js";

export const status = command({
  name: "status",
  usage: "status",
  summary: "Fleet health, cases by state, the oldest case awaiting a decision, today's decisions.",
  access: "read",
  flags: [],
  arity: 0,
  args: z.object({}),
  read: () => ({}),
  async run(_args, { desk }) {
    return { kind: "status", ...(await desk.status()) };
  },
});
