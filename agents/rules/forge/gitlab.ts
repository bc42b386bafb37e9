import type { Forge, PullRequest, PullRequestStatus, RepoAddress } from "./forge.js";
import { base64File, repoCaller } from "./http.js";

/** A merge request as GitLab's REST API (v4) gives it, the fields the fleet reads. */
interface GitLabMergeRequest {
  iid: number;
  web_url: string;
  state: "opened" | "closed" | "locked" | "merged";
}

/**
 * GitLab's REST API (`/api/v4`): merge requests stand for pull requests (their `iid` is the number
 * the project shows, `!7`), the project is named by its URL-encoded path, and the token goes as
 * `PRIVATE-TOKEN`; git over HTTP takes it as the password of `oauth2`.
 */
export function gitlabForge(address: RepoAddress, token: string | null): Forge {
  const headers = { Accept: "application/json", ...(token === null ? {} : { "PRIVATE-TOKEN": token }) };
  const call = repoCaller(
    address,
    headers,
    token,
    `/projects/${encodeURIComponent(`${address.owner}/${address.name}`)}`,
  );
  const summary = (mr: GitLabMergeRequest): PullRequest => ({ number: mr.iid, url: mr.web_url });

  return {
    gitAuthorization: token === null ? null : `Basic ${Buffer.from(`oauth2:${token}`).toString("base64")}`,
    async openPullRequest({ head, base, title, body }) {
      const mr = await call<GitLabMergeRequest>("POST", "/merge_requests", "open a merge request", {
        source_branch: head,
        target_branch: base,
        title,
        description: body,
      });
      return summary(mr);
    },
    async pullRequest(number): Promise<PullRequestStatus> {
      const mr = await call<GitLabMergeRequest>(
        "GET",
        `/merge_requests/${String(number)}`,
        `read merge request !${String(number)}`,
      );
      const state = mr.state === "merged" ? "merged" : mr.state === "opened" ? "open" : "closed";
      return { ...summary(mr), state };
    },
    async findOpenPullRequest({ head, base }) {
      const query = `?state=opened&source_branch=${encodeURIComponent(head)}&target_branch=${encodeURIComponent(base)}`;
      const [found] = await call<GitLabMergeRequest[]>(
        "GET",
        `/merge_requests${query}`,
        "list merge requests",
      );
      return found ? summary(found) : null;
    },
    file: (path, ref) =>
      base64File(() =>
        call<{ content?: string }>(
          "GET",
          `/repository/files/${encodeURIComponent(path)}?ref=${encodeURIComponent(ref)}`,
          `read ${path} on ${ref}`,
        ),
      ),
  };
}
