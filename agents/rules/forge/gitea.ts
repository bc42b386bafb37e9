import type { Forge, PullRequest, PullRequestStatus, RepoAddress } from "./forge.js";
import { fileContents, repoCaller } from "./http.js";

/** A pull request as Gitea's API gives it, the fields the fleet reads. */
interface GiteaPull {
  number: number;
  html_url: string;
  state: "open" | "closed";
  merged: boolean;
  head: { ref: string; repo_id: number };
  base: { repo_id: number };
}

/** The page size asked for: Gitea's default cap (MAX_RESPONSE_ITEMS). */
const PAGE = 50;

/** Gitea's API (`/api/v1`), with the token as `Authorization: token …`, for git over HTTP too. */
export function giteaForge(address: RepoAddress, token: string | null): Forge {
  const authorization = token === null ? null : `token ${token}`;
  const headers = { Accept: "application/json", ...(authorization ? { Authorization: authorization } : {}) };
  const call = repoCaller(address, headers, token);
  const summary = (pull: GiteaPull): PullRequest => ({ number: pull.number, url: pull.html_url });

  return {
    gitAuthorization: authorization,
    async openPullRequest(draft) {
      return summary(await call<GiteaPull>("POST", "/pulls", "open a pull request", draft));
    },
    file: (path, ref) => fileContents(call, path, ref),
    async pullRequest(number): Promise<PullRequestStatus> {
      const pull = await call<GiteaPull>("GET", `/pulls/${number}`, `read pull request #${number}`);
      return { ...summary(pull), state: pull.merged ? "merged" : pull.state };
    },
    // Gitea's list filters by base branch, not by head: the open pulls into `base` are searched.
    async findOpenPullRequest({ head, base }) {
      for (let page = 1; ; page++) {
        const query = `?state=open&base_branch=${encodeURIComponent(base)}&limit=${PAGE}&page=${page}`;
        const pulls = await call<GiteaPull[]>("GET", `/pulls${query}`, "list pull requests");
        const found = pulls.find((pull) => pull.head.ref === head && pull.head.repo_id === pull.base.repo_id);
        if (found) return summary(found);
        // A server may cap a page below PAGE: only an empty page is the end.
        if (pulls.length === 0) return null;
      }
    },
  };
}
