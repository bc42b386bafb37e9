import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forgeFor } from "../agents/rules/forge/forge.js";
import { FLEET_IDENTITY } from "../agents/rules/forge/git.js";
import { publishRuleChange, type RuleChange, type RulesTarget } from "../agents/rules/forge/publish.js";
import { startGitea, type Gitea } from "../fleet/harness/gitea.js";

/** The exception the fleet proposes: CI runners may open a shell. */
const EXCEPTION = `- rule: Terminal shell in container
  exceptions:
    - name: soc_ci_runner_shell
      fields: [k8s.ns.name, container.image.repository]
      comps: [=, =]
      values:
        - [ci, ghcr.io/acme/runner]
  override:
    exceptions: append
`;

const change: RuleChange = {
  branch: "soc/case-42-ci-runner-shell",
  edit: (current) => `${current ?? ""}${EXCEPTION}`,
  message: "Spare CI runners' shells from Terminal shell in container",
  title: "soc: spare CI runners' shells (case 42)",
  body: "Case 42 was a false positive: the CI runner opens shells by design.",
};

interface GiteaPull {
  number: number;
  html_url: string;
  state: string;
  title: string;
  body: string;
  mergeable: boolean;
  head: { ref: string; sha: string };
  base: { ref: string };
}

interface GiteaCommit {
  sha: string;
  commit: { author: { name: string; email: string }; committer: { name: string; email: string } };
}

/** The error `promise` rejects with; a promise that resolves fails the test. */
async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a failure, and it succeeded");
}

describe("publishing a rule change as a pull request on a real Gitea", () => {
  let gitea: Gitea;
  let target: RulesTarget;

  /** Gitea's API as its admin. */
  const api = async <T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> => {
    const response = await fetch(`${gitea.url}/api/v1/repos/${gitea.owner}/${gitea.repo}${path}`, {
      method: init.method ?? "GET",
      headers: { Authorization: `token ${gitea.token}`, "Content-Type": "application/json" },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    const text = await response.text();
    return (text === "" ? null : JSON.parse(text)) as T;
  };
  const fileAt = async (ref: string, file = gitea.file) => {
    const content = await api<{ content: string }>(`/contents/${file}?ref=${encodeURIComponent(ref)}`);
    return Buffer.from(content.content, "base64").toString("utf8");
  };
  const headOf = async (branch: string) =>
    (await api<GiteaCommit[]>(`/commits?sha=${encodeURIComponent(branch)}&limit=1`))[0];

  beforeAll(async () => {
    gitea = await startGitea((line) => process.stdout.write(`${line}\n`));
    target = { repo: gitea.cloneUrl, file: gitea.file, base: "main", token: gitea.token, forge: null };
  });
  afterAll(async () => {
    await gitea?.stop();
  });

  let number: number;
  let pushed: string | undefined;

  it("pushes the change on its branch and opens a pull request into main", async () => {
    const published = await publishRuleChange(target, change);
    number = published.number;
    expect(published.branch).toBe(change.branch);
    const pull = await api<GiteaPull>(`/pulls/${number}`);
    expect(pull).toMatchObject({ state: "open", title: change.title, body: change.body });
    expect(pull.head.ref).toBe(change.branch);
    expect(pull.base.ref).toBe("main");
    expect(published.url).toBe(pull.html_url);
    expect(await forgeFor(target).pullRequest(number)).toEqual({ number, url: pull.html_url, state: "open" });
  });

  it("commits the edited rules file on the branch as the fleet, and leaves main as it was", async () => {
    expect(await fileAt(change.branch)).toBe(`${gitea.initial}${EXCEPTION}`);
    const head = await headOf(change.branch);
    pushed = head?.sha;
    expect(head?.commit.author).toMatchObject(FLEET_IDENTITY);
    expect(head?.commit.committer).toMatchObject(FLEET_IDENTITY);
    expect(await fileAt("main")).toBe(gitea.initial);
  });

  it("returns the same pull request when the same change is published again", async () => {
    const again = await publishRuleChange(target, change);
    expect(again.number).toBe(number);
    expect((await headOf(change.branch))?.sha).toBe(pushed);
    const open = await api<GiteaPull[]>("/pulls?state=open");
    expect(open.map((pull) => pull.number)).toEqual([number]);
  });

  it("creates the rules file when the base has none", async () => {
    const created = await publishRuleChange(
      { ...target, file: "rules/soc_macros.yaml" },
      { ...change, branch: "soc/case-43-macros", edit: (current) => `# was ${String(current)}\n` },
    );
    expect(await fileAt("soc/case-43-macros", "rules/soc_macros.yaml")).toBe("# was null\n");
    expect(created.number).not.toBe(number);
  });

  it("refuses to push to the base branch", async () => {
    await expect(publishRuleChange(target, { ...change, branch: "main" })).rejects.toThrow(
      "refusing to push to the base branch main",
    );
    expect(await fileAt("main")).toBe(gitea.initial);
  });

  it("fails with a clear error, without the token, when the token is wrong", async () => {
    const token = `${gitea.token.slice(0, 8)}-not-the-fleet-token`;
    const pushing = await failureOf(
      publishRuleChange({ ...target, token }, { ...change, branch: "soc/case-44" }),
    );
    expect(pushing.message).toMatch(/^failed to clone the rules repository: the forge refused the token/);
    expect(pushing.message).not.toContain(token);
    const reading = await failureOf(forgeFor({ ...target, token }).pullRequest(number));
    expect(reading.message).toMatch(/^failed to read pull request #\d+ on security\/falco-rules: 401 /);
    expect(reading.message).not.toContain(token);
  });

  it("reads the pull request as merged once Gitea has merged it", async () => {
    await expect
      .poll(async () => (await api<GiteaPull>(`/pulls/${number}`)).mergeable, { timeout: 30_000 })
      .toBe(true);
    await api(`/pulls/${number}/merge`, { method: "POST", body: { Do: "merge" } });
    expect((await forgeFor(target).pullRequest(number)).state).toBe("merged");
    expect(await fileAt("main")).toBe(`${gitea.initial}${EXCEPTION}`);
  });
});
