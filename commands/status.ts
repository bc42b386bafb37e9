import { z } from "zod";
import { command } from "./command.js";

export const status = command({
  name: "status",
  usage: "status",
  summary: "Cases by state and the oldest case awaiting a decision.",
  flags: [],
  arity: 0,
  args: z.object({}),
  read: () => ({}),
  async run(_args, { desk }) {
    const { counts, oldest_waiting } = await desk.status();
    return { kind: "status", counts, oldest_waiting };
  },
});
