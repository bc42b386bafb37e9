import { isDeepStrictEqual } from "node:util";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { pidRunning } from "../children.js";

export type Log = (line: string) => void;
export const quiet: Log = () => undefined;

/**
 * Where the tools the fleet and its tests run are cached, once per machine: SOC_TOOL_CACHE, else
 * `~/.cache/soc-fleet/tools` (under XDG_CACHE_HOME when set). An empty folder here means a fresh
 * machine: everything is built again.
 */
export function toolCacheDir(): string {
  return (
    process.env.SOC_TOOL_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "soc-fleet", "tools")
  );
}

/**
 * One cached tool: a folder of its own in the cache, named for its version, holding everything it
 * reads at run time. The entry counts only when it is complete: the record written last names
 * the same layout, and every path it holds is there and not empty.
 */
export interface CachedTool {
  /** The folder's name: the tool and its version, plus a digest of its recipe where one applies. */
  readonly entry: string;
  /** What the entry holds, relative to it; a trailing "/" marks a folder. */
  readonly holds: readonly string[];
  /** Said before a build: what is built, from where, and about how long it takes. */
  readonly building: string;
  /** Fills `dir`, an empty folder beside the entry that becomes the entry once complete. */
  build(dir: string, log: Log): void;
}

/** The record written last into a finished entry. */
const RECORD = ".soc-tool.json";

interface Record {
  entry: string;
  holds: string[];
  built: string;
}

/** Why `dir` is not a complete entry for `tool`, or undefined when it is. */
export function incomplete(tool: CachedTool, dir: string): string | undefined {
  if (!existsSync(dir)) return "absent";
  let record: Partial<Record>;
  try {
    record = JSON.parse(readFileSync(join(dir, RECORD), "utf8")) as Partial<Record>;
  } catch {
    return "no record of a finished build (interrupted, or an older layout)";
  }
  if (record.entry !== tool.entry || !isDeepStrictEqual(record.holds, tool.holds))
    return "built to another layout";
  for (const path of tool.holds) {
    const full = join(dir, path);
    // statSync follows symbolic links: a venv's interpreter whose target has gone counts as missing.
    const stat = statSync(full, { throwIfNoEntry: false });
    if (
      path.endsWith("/")
        ? !stat?.isDirectory() || readdirSync(full).length === 0
        : !stat?.isFile() || stat.size === 0
    )
      return `${path} is missing or empty`;
  }
  return undefined;
}

/**
 * The tool's complete entry under `cache`, built now if it is absent or incomplete. A build goes
 * into a folder of its own beside the entry and is renamed into place once its record is written,
 * so no reader ever sees half a tool; when two processes race, the one that finishes second throws
 * its copy away.
 */
export function install(tool: CachedTool, log: Log = quiet, cache = toolCacheDir()): string {
  const dir = join(cache, tool.entry);
  const why = incomplete(tool, dir);
  if (why === undefined) return dir;
  log(why === "absent" ? tool.building : `${tool.entry}: ${why}; rebuilding. ${tool.building}`);
  mkdirSync(cache, { recursive: true });
  removeAbandoned(cache, tool.entry);
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial);
  try {
    tool.build(partial, log);
    const record: Record = { entry: tool.entry, holds: [...tool.holds], built: new Date().toISOString() };
    writeFileSync(join(partial, RECORD), `${JSON.stringify(record, null, 2)}\n`);
    const built = incomplete(tool, partial);
    if (built !== undefined) throw new Error(`the build left ${built}`);
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    if (incomplete(tool, dir) === undefined) return dir;
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`failed to build ${tool.entry}: ${reason}`, { cause: error });
  }
  if (incomplete(tool, dir) === undefined) {
    rmSync(partial, { recursive: true, force: true });
    return dir;
  }
  // What is there is not a finished entry (a crash, an older layout): moved aside, then removed.
  if (existsSync(dir)) {
    const stale = `${dir}.stale-${process.pid}`;
    renameSync(dir, stale);
    rmSync(stale, { recursive: true, force: true });
  }
  renameSync(partial, dir);
  return dir;
}

/** Builds of this entry left behind by processes that died mid-build: they would never be finished. */
function removeAbandoned(cache: string, entry: string): void {
  for (const name of readdirSync(cache)) {
    const match = /^(.*)\.(?:partial|stale)-(\d+)$/.exec(name);
    if (match?.[1] === entry && !pidRunning(Number(match[2])))
      rmSync(join(cache, name), { recursive: true, force: true });
  }
}
