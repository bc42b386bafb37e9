import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forgeFor, repoAddress } from "./forge.js";

interface Seen {
  method: string;
  url: string;
  token: string | undefined;
  body: unknown;
}

/**
 * A double of GitLab's REST API v4, as its documentation publishes it (GitLab cannot run here):
 * merge requests by project path, `PRIVATE-TOKEN`, files base64 under `repository/files`, 404 for
 * what is not there, 401 for a wrong token.
 */
function gitlabDouble(seen: Seen[]): Server {
  const requests = new Map<
    number,
    { iid: number; web_url: string; state: string; source_branch: string; target_branch: string }
  >();
  const project = "security%2Fdetection%2Ffalco-rules";
  return createServer((req: IncomingMessage, res) => {
    let text = "";
    req.on("data", (chunk: Buffer) => (text += chunk.toString()));
    req.on("end", () => {
      const url = req.url ?? "";
      const token = req.headers["private-token"] as string | undefined;
      seen.push({ method: req.method ?? "", url, token, body: text ? (JSON.parse(text) as unknown) : null });
      const reply = (status: number, body: unknown) =>
        res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));
      if (token !== "glpat-test") return reply(401, { message: "401 Unauthorized" });
      const prefix = `/api/v4/projects/${project}`;
      if (!url.startsWith(prefix)) return reply(404, { message: "404 Project Not Found" });
      const [path = "", query = ""] = url.slice(prefix.length).split("?");
      const params = new URLSearchParams(query);
      if (req.method === "POST" && path === "/merge_requests") {
        const { source_branch, target_branch } = JSON.parse(text) as {
          source_branch: string;
          target_branch: string;
        };
        const iid = requests.size + 1;
        const mr = {
          iid,
          web_url: `https://gitlab.example.com/security/detection/falco-rules/-/merge_requests/${String(iid)}`,
          state: "opened",
          source_branch,
          target_branch,
        };
        requests.set(iid, mr);
        return reply(201, mr);
      }
      if (req.method === "GET" && path === "/merge_requests")
        return reply(
          200,
          [...requests.values()].filter(
            (mr) =>
              mr.state === params.get("state") &&
              mr.source_branch === params.get("source_branch") &&
              mr.target_branch === params.get("target_branch"),
          ),
        );
      const one = /^\/merge_requests\/(\d+)$/.exec(path);
      if (req.method === "GET" && one) {
        const mr = requests.get(Number(one[1]));
        return mr ? reply(200, mr) : reply(404, { message: "404 Not found" });
      }
      if (
        req.method === "GET" &&
        path === "/repository/files/rules%2Fsoc_rules.yaml" &&
        params.get("ref") === "main"
      )
        return reply(200, {
          file_path: "rules/soc_rules.yaml",
          encoding: "base64",
          content: Buffer.from("# ours\n").toString("base64"),
        });
      return reply(404, { message: "404 File Not Found" });
    });
  });
}

describe("the GitLab adapter against a double of GitLab's REST API v4 (GitLab cannot run here)", () => {
  const seen: Seen[] = [];
  const server = gitlabDouble(seen);
  let origin = "";
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    origin = `http://127.0.0.1:${String(typeof address === "object" && address ? address.port : 0)}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  const forge = (token = "glpat-test") =>
    forgeFor({ repo: `${origin}/security/detection/falco-rules.git`, token, forge: "gitlab" });

  it("reads a project in subgroups off its clone URL, and gitlab.com as GitLab", () => {
    expect(
      repoAddress({ repo: "https://gitlab.com/security/detection/falco-rules.git", forge: null }),
    ).toEqual({
      kind: "gitlab",
      owner: "security/detection",
      name: "falco-rules",
      api: "https://gitlab.com/api/v4",
    });
  });

  it("opens a merge request, finds it by its branches, follows it, and reads the rules file", async () => {
    const gitlab = forge();
    const branches = { head: "soc/soc_dismissed_0a1b2c3d", base: "main" };
    expect(await gitlab.findOpenPullRequest(branches)).toBeNull();
    const opened = await gitlab.openPullRequest({
      ...branches,
      title: "soc-fleet: an exception",
      body: "the report",
    });
    expect(opened).toEqual({
      number: 1,
      url: "https://gitlab.example.com/security/detection/falco-rules/-/merge_requests/1",
    });
    expect(seen.at(-1)).toMatchObject({
      method: "POST",
      url: "/api/v4/projects/security%2Fdetection%2Ffalco-rules/merge_requests",
      token: "glpat-test",
      body: {
        source_branch: branches.head,
        target_branch: "main",
        title: "soc-fleet: an exception",
        description: "the report",
      },
    });
    expect(await gitlab.findOpenPullRequest(branches)).toEqual(opened);
    expect(await gitlab.pullRequest(1)).toEqual({ ...opened, state: "open" });
    expect(await gitlab.file("rules/soc_rules.yaml", "main")).toBe("# ours\n");
    expect(await gitlab.file("rules/other.yaml", "main")).toBeNull();
    // git over HTTP: the token as oauth2's password.
    expect(gitlab.gitAuthorization).toBe(`Basic ${Buffer.from("oauth2:glpat-test").toString("base64")}`);
  });

  it("says what failed, without the token, when GitLab refuses it", async () => {
    const refused = await forge("glpat-wrong")
      .pullRequest(1)
      .then(
        () => null,
        (error: unknown) => error as Error,
      );
    expect(refused?.message).toContain("401 Unauthorized");
    expect(refused?.message).not.toContain("glpat-wrong");
  });
});
