import { z } from "zod";
import { command } from "./command.js";

export const trace = command({
  name: "trace",
  usage: "trace <trace_id|case>",
  summary: "The whole reasoning chain of a case: every step, its agent, MCP calls and latency.",
  access: "read",
  flags: [],
  arity: 1,
  args: z.object({
    id: z
      .string()
      .regex(/^(C-[2-9A-HJ-NP-Z]{5}|[0-9a-f]{32})$/, "give a case id (C-7K2F9) or a trace_id (32 hex)"),
  }),
  read: ([id]) => ({ id: id && /^c-/i.test(id) ? id.toUpperCase() : id }),
  async run(args, { desk }) {
    const { case: found, steps } = await desk.trace(args.id);
    return { kind: "trace", case: found, steps };
  },
});
