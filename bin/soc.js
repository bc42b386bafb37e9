#!/usr/bin/env node
// The `soc` command: the compiled terminal client (built by `npm start` or `npm run build`).
import { existsSync } from "node:fs";

const entry = new URL("../dist/fleet/soc.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write("soc: not built yet: run `npm start` (or `npm run build`) first\n");
  process.exit(2);
}
const { main } = await import(entry.href);
// Exit explicitly: kept-alive connections to the fleet would otherwise hold the process open.
process.exit(await main(process.argv.slice(2)));
