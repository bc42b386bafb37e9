import { cpSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, posix } from "node:path";

/** One COPY of a Dockerfile: from the build context, or (`from`) from another stage or image. */
export interface DockerCopy {
  from: string | null;
  sources: string[];
  /** Absolute path in the image (WORKDIR applied). */
  dest: string;
  /** The destination is a folder the sources go into by name (`./`, `dir/`, or several sources). */
  into: boolean;
}

export interface DockerStage {
  name: string | null;
  /** A previous stage's name, or an image. */
  base: string;
  workdir: string;
  copies: DockerCopy[];
  runs: string[];
}

/** The instructions of a Dockerfile, continuation lines joined, comments and blank lines left out. */
function instructions(text: string): [string, string][] {
  return text
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const [keyword = "", ...rest] = line.split(/\s+/);
      return [keyword.toUpperCase(), rest.join(" ")];
    });
}

/** Its arguments: the JSON array form, or words; `--flag=value` options apart. */
function copyArguments(args: string): { flags: Record<string, string>; paths: string[] } {
  const words = args.split(/\s+/);
  const flags: Record<string, string> = {};
  while (words[0]?.startsWith("--")) {
    const [flag = "", value = ""] = (words.shift() ?? "").slice(2).split("=");
    flags[flag] = value;
  }
  const rest = words.join(" ");
  const paths = rest.startsWith("[") ? (JSON.parse(rest) as string[]) : words;
  return { flags, paths };
}

/** The stages of a Dockerfile, in order. */
export function parseDockerfile(text: string): DockerStage[] {
  const stages: DockerStage[] = [];
  for (const [keyword, args] of instructions(text)) {
    if (keyword === "FROM") {
      const [base = "", as, name] = args.split(/\s+/).filter((word) => !word.startsWith("--"));
      const parent = stages.find((stage) => stage.name === base);
      const named = as?.toUpperCase() === "AS" && name ? name : null;
      stages.push({ name: named, base, workdir: parent?.workdir ?? "/", copies: [], runs: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`${keyword} before FROM`);
    if (keyword === "WORKDIR") stage.workdir = posix.resolve(stage.workdir, args);
    else if (keyword === "RUN") stage.runs.push(args);
    else if (keyword === "COPY" || keyword === "ADD") {
      const { flags, paths } = copyArguments(args);
      const dest = paths.pop() ?? "";
      stage.copies.push({
        from: flags.from ?? null,
        sources: paths,
        dest: posix.resolve(stage.workdir, dest),
        into: dest.endsWith("/") || dest === "." || paths.length > 1,
      });
    }
  }
  return stages;
}

/** A stage and the stages it is built on, base first. */
export function stageChain(stages: readonly DockerStage[], target: DockerStage): DockerStage[] {
  const parent = stages.slice(0, stages.indexOf(target)).findLast((stage) => stage.name === target.base);
  return parent ? [...stageChain(stages, parent), target] : [target];
}

/**
 * A `.dockerignore`: whether a path of the build context is left out. As Docker: patterns are
 * relative to the context, `**` spans folders, a pattern that matches a folder leaves out all of
 * it, `!` takes a path back, the last matching pattern wins.
 */
export function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const negate = line.startsWith("!");
      const pattern = posix
        .normalize((negate ? line.slice(1) : line).replace(/^\/+/, ""))
        .replace(/\/+$/, "");
      const source = pattern
        .split(/(\*\*\/?|\*|\?)/)
        .map((part) => {
          if (part === "**/") return "(.*/)?";
          if (part === "**") return ".*";
          if (part === "*") return "[^/]*";
          if (part === "?") return "[^/]";
          return part.replace(/[.+^${}()|[\]\\]/g, "\\$&");
        })
        .join("");
      return { negate, re: new RegExp(`^${source}$`) };
    });
  return (path) => {
    const parts = path.split("/");
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
    let out = false;
    for (const { negate, re } of rules) if (prefixes.some((prefix) => re.test(prefix))) out = !negate;
    return out;
  };
}

/**
 * Writes under `root` what a stage's COPYs from the build context `context` put in the image, at
 * the image's paths (`/app/bin` → `<root>/app/bin`), as Docker copies them: a folder's contents
 * into the destination, a file into a destination ending in `/` by its name, what `.dockerignore`
 * leaves out left out. COPYs from other stages are not materialized: callers check those apart.
 */
export function stageContextFiles(context: string, chain: readonly DockerStage[], root: string): void {
  const ignoreFile = join(context, ".dockerignore");
  const ignored = dockerignore(existsSync(ignoreFile) ? readFileSync(ignoreFile, "utf8") : "");
  for (const copy of chain.flatMap((stage) => stage.copies).filter((c) => c.from === null)) {
    for (const source of copy.sources) {
      const relative = posix.normalize(source).replace(/\/+$/, "");
      if (ignored(relative) || !existsSync(join(context, relative))) continue;
      const isDir = statSync(join(context, relative)).isDirectory();
      const target = isDir || !copy.into ? copy.dest : posix.join(copy.dest, basename(relative));
      mkdirSync(join(root, isDir ? target : posix.dirname(target)), { recursive: true });
      cpSync(join(context, relative), join(root, target), {
        recursive: true,
        filter: (path) => {
          const inContext = path
            .slice(context.length + 1)
            .split("\\")
            .join("/");
          return inContext === "" || !ignored(inContext);
        },
      });
    }
  }
}
