import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, normalize } from "node:path";
import { SocError } from "../../../runtime/errors.js";

/** Who the fleet's commits are by. */
export interface Identity {
  name: string;
  email: string;
}

export const FLEET_IDENTITY: Identity = { name: "soc-fleet", email: "soc-fleet@users.noreply.local" };

/** The fleet's branches: it pushes to no other. */
export const BRANCH_PREFIX = "soc/";

/** Where a branch goes: the repository, the branch it starts from, and the branch pushed. */
export interface BranchTarget {
  /** The repository's HTTP(S) clone URL, without credentials. */
  repo: string;
  base: string;
  branch: string;
  /** The `Authorization` header sent with every request of git, or null for none. */
  authorization: string | null;
  author?: Identity;
  /** How long one git command may run. */
  timeoutMs?: number;
}

/** One commit's worth of change: a file's new text from its current one (null: no such file). */
export interface FileEdit {
  file: string;
  edit: (current: string | null) => string;
  message: string;
}

/** The pushed branch's commit; `created` is false when the branch was there already (a retry). */
export interface PushedBranch {
  commit: string;
  created: boolean;
}

/**
 * Commits `change` on a new branch made from a shallow clone of `base` and pushes that branch, and
 * only that branch (under `soc/`, never the base), with the real git CLI. A branch of that name
 * already on the remote is left as it is: the push is refused without force, and the branch is taken
 * as an earlier try's. The token travels in an HTTP header given through git's environment: never
 * in the URL, a file or a log.
 */
export async function pushBranch(target: BranchTarget, change: FileEdit): Promise<PushedBranch> {
  if (target.branch === target.base)
    throw new SocError("forge_push_refused", `refusing to push to the base branch ${target.base}`);
  if (!target.branch.startsWith(BRANCH_PREFIX))
    throw new SocError(
      "forge_push_refused",
      `refusing to push to ${target.branch}: not under ${BRANCH_PREFIX}`,
    );
  const file = normalize(change.file);
  if (isAbsolute(file) || file === ".." || file.startsWith("../"))
    throw new SocError("forge_config_invalid", `the rules file ${change.file} is outside the repository`);
  const git = gitRunner(target);
  const work = mkdtempSync(join(tmpdir(), "soc-forge-"));
  const clone = join(work, "repo");
  try {
    await git(work, "clone the rules repository", [
      ...["clone", "--quiet", "--depth", "1", "--single-branch", "--no-tags", "--branch", target.base],
      ...["--", target.repo, clone],
    ]);
    await git(clone, "create the branch", ["switch", "--create", target.branch]);
    const path = join(clone, file);
    const current = existsSync(path) ? readFileSync(path, "utf8") : null;
    const next = change.edit(current);
    if (next === current) throw new SocError("forge_no_change", `the change leaves ${file} as it is`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, next);
    await git(clone, "stage the change", ["add", "--", file]);
    await git(clone, "commit the change", ["commit", "--no-verify", "--message", change.message]);
    const commit = (await git(clone, "read the commit", ["rev-parse", "HEAD"])).trim();
    try {
      await git(clone, `push the branch ${target.branch}`, [
        "push",
        "--quiet",
        "origin",
        `HEAD:refs/heads/${target.branch}`,
      ]);
      return { commit, created: true };
    } catch (error) {
      // Refused: by the branch being there already (an earlier try), or for a reason of its own.
      const remote = await git(clone, "look up the branch", [
        "ls-remote",
        "origin",
        `refs/heads/${target.branch}`,
      ]).catch(() => "");
      const existing = remote.split(/\s/)[0];
      if (existing) return { commit: existing, created: false };
      throw error;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** What git prints when the forge answers 401 or 403 and no credential can be asked for. */
const AUTH_REFUSED = /could not read (Username|Password)|Authentication failed|returned error: 40[13]/;

type Git = (cwd: string, what: string, args: string[]) => Promise<string>;

/**
 * Runs git isolated from the machine's and the user's configuration (no credential helper, no
 * prompt, HTTP(S) only), with the header and the fleet's identity from the environment. A failure
 * or a time-out throws a SocError with git's stderr, the token's traces replaced by `***`.
 */
function gitRunner(target: BranchTarget): Git {
  const { name, email } = target.author ?? FLEET_IDENTITY;
  const timeout = target.timeoutMs ?? 60_000;
  const env: NodeJS.ProcessEnv = {
    // Inherited, not read: git needs PATH, and the proxy and CA settings of where the fleet runs.
    // eslint-disable-next-line no-restricted-properties
    ...process.env,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_TERMINAL_PROMPT: "0",
    GIT_ASKPASS: "",
    GIT_ALLOW_PROTOCOL: "http:https",
    GIT_AUTHOR_NAME: name,
    GIT_AUTHOR_EMAIL: email,
    GIT_COMMITTER_NAME: name,
    GIT_COMMITTER_EMAIL: email,
    LC_ALL: "C",
    // One configuration entry given through the environment (git 2.31+), kept out of argv.
    GIT_CONFIG_COUNT: "0",
    ...(target.authorization === null
      ? {}
      : {
          GIT_CONFIG_COUNT: "1",
          GIT_CONFIG_KEY_0: "http.extraHeader",
          GIT_CONFIG_VALUE_0: `Authorization: ${target.authorization}`,
        }),
  };
  // The credential part of the header: the token itself, or its base64 form for GitHub.
  const secret = target.authorization?.split(" ").pop();
  const redact = (text: string) => (secret ? text.replaceAll(secret, "***") : text);
  return (cwd, what, args) =>
    new Promise((resolve, reject) => {
      execFile("git", args, { cwd, env, timeout, maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
        if (!error) {
          resolve(stdout);
          return;
        }
        const printed = redact(stderr.trim() || error.message);
        const why = error.killed
          ? `timed out after ${timeout / 1000} s`
          : AUTH_REFUSED.test(printed)
            ? `the forge refused the token (wrong, expired or without access to the repository): ${printed}`
            : printed;
        reject(new SocError("forge_git_failed", `failed to ${what}: ${why}`, { retryable: error.killed }));
      });
    });
}
