import { SocError } from "../../../runtime/errors.js";
import { giteaForge } from "./gitea.js";
import { githubForge } from "./github.js";
import { gitlabForge } from "./gitlab.js";

/** The Git forges the fleet opens pull requests on. */
export type ForgeKind = "gitea" | "github" | "gitlab";

/** A pull request as the fleet refers to it: its number in the repository and its web page. */
export interface PullRequest {
  number: number;
  url: string;
}

export interface PullRequestStatus extends PullRequest {
  state: "open" | "merged" | "closed";
}

export interface PullRequestDraft {
  /** The branch holding the change, in the same repository. */
  head: string;
  /** The branch it is to be merged into. */
  base: string;
  title: string;
  body: string;
}

/** A forge's API for one repository, authenticated with the fleet's token. */
export interface Forge {
  /** The `Authorization` header git sends to push over HTTP, or null without a token. */
  readonly gitAuthorization: string | null;
  openPullRequest(draft: PullRequestDraft): Promise<PullRequest>;
  pullRequest(number: number): Promise<PullRequestStatus>;
  /** A file's text on a branch, or null when the branch has none. */
  file(path: string, ref: string): Promise<string | null>;
  /** The open pull request from `head` into `base`, or null when there is none. */
  findOpenPullRequest(branches: { head: string; base: string }): Promise<PullRequest | null>;
}

/** Where the rules live: the repository's HTTP clone URL, the fleet's token, the forge if known. */
export interface ForgeConfig {
  repo: string;
  token: string | null;
  forge: ForgeKind | null;
}

/** A repository on a forge, read off its clone URL. */
export interface RepoAddress {
  kind: ForgeKind;
  owner: string;
  name: string;
  /** The API's base URL, without a trailing slash. */
  api: string;
}

/**
 * The repository named by an HTTP(S) clone URL, `<origin>[/<prefix>]/<owner>/<repo>[.git]`. The
 * forge is the one configured, else GitHub on github.com, GitLab on gitlab.com, else Gitea; its API
 * lives at api.github.com for github.com, `/api/v3` for GitHub Enterprise, and `/api/v1` for Gitea,
 * under the prefix a forge served from a sub-path has, and `/api/v4` for GitLab, whose projects sit
 * in (sub)groups: `<origin>/<group>[/<subgroup>…]/<project>`.
 */
export function repoAddress(config: Pick<ForgeConfig, "repo" | "forge">): RepoAddress {
  const invalid = (why: string) =>
    new SocError("forge_config_invalid", `the rules repository ${JSON.stringify(config.repo)} ${why}`);
  let url: URL;
  try {
    url = new URL(config.repo);
  } catch {
    throw invalid("is not a URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw invalid("is not an HTTP(S) clone URL");
  if (url.username || url.password) throw invalid("carries credentials: give the token apart");
  const segments = url.pathname
    .replace(/\.git\/?$/, "")
    .split("/")
    .filter(Boolean);
  const github = url.hostname === "github.com" || url.hostname === "www.github.com";
  const kind = config.forge ?? (github ? "github" : url.hostname === "gitlab.com" ? "gitlab" : "gitea");
  // A GitLab project sits in groups and subgroups: everything before its name is its namespace.
  const [owner, name] =
    kind === "gitlab" ? [segments.slice(0, -1).join("/") || undefined, segments.at(-1)] : segments.slice(-2);
  if (owner === undefined || name === undefined) throw invalid("names no <owner>/<repo>");
  const prefix = segments
    .slice(0, -2)
    .map((segment) => `/${segment}`)
    .join("");
  const api =
    kind === "gitlab"
      ? `${url.origin}/api/v4`
      : kind === "gitea"
        ? `${url.origin}${prefix}/api/v1`
        : github
          ? "https://api.github.com"
          : `${url.origin}${prefix}/api/v3`;
  return { kind, owner: decodeURIComponent(owner), name: decodeURIComponent(name), api };
}

/** The forge adapter for the configured repository. */
export function forgeFor(config: ForgeConfig): Forge {
  const address = repoAddress(config);
  const adapters = { gitea: giteaForge, github: githubForge, gitlab: gitlabForge };
  return adapters[address.kind](address, config.token);
}
