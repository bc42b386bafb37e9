import type { Forge, PullRequest, PullRequestStatus, RepoAddress } from "./forge.js";
import { fileContents, repoCaller } from "./http.js";

/** A pull request as GitHub's REST API gives it, the fields the fleet reads. */
interface GitHubPull {
  number: number;
  html_url: string;
  state: "open" | "closed";
  merged?: boolean;
}

/**
 * GitHub's REST API (api.github.com, or GitHub Enterprise's `/api/v3`), with the token as a bearer
 * token; git over HTTP takes it as the password of `x-access-token`.
 */
export function githubForge(address: RepoAddress, token: string | null): Forge {
  const headers = {
    Accept: "application/vnd.github+json",
    "X-GitHub-Api-Version": "2022-11-28",
    ...(token === null ? {} : { Authorization: `Bearer ${token}` }),
  };
  const call = repoCaller(address, headers, token);
  const summary = (pull: GitHubPull): PullRequest => ({ number: pull.number, url: pull.html_url });

  return {
    gitAuthorization:
      token === null ? null : `Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`,
    async openPullRequest(draft) {
      return summary(await call<GitHubPull>("POST", "/pulls", "open a pull request", draft));
    },
    file: (path, ref) => fileContents(call, path, ref),
    async pullRequest(number): Promise<PullRequestStatus> {
      const pull = await call<GitHubPull>("GET", `/pulls/${number}`, `read pull request #${number}`);
      return { ...summary(pull), state: pull.merged ? "merged" : pull.state };
    },
    // `head` filters by `owner:branch`: the fleet's branches live in the repository itself.
    async findOpenPullRequest({ head, base }) {
      const query = new URLSearchParams({ state: "open", head: `${address.owner}:${head}`, base });
      const pulls = await call<GitHubPull[]>("GET", `/pulls?${query.toString()}`, "list pull requests");
      const [found] = pulls;
      return found ? summary(found) : null;
    },
  };
}
