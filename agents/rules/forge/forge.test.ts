import { describe, expect, it } from "vitest";
import { forgeFor, repoAddress } from "./forge.js";

const address = (repo: string, forge: "gitea" | "github" | null = null) => repoAddress({ repo, forge });

describe("the forge of a rules repository, read off its clone URL", () => {
  it("takes github.com for GitHub, with its API at api.github.com", () => {
    expect(address("https://github.com/acme/falco-rules.git")).toEqual({
      kind: "github",
      owner: "acme",
      name: "falco-rules",
      api: "https://api.github.com",
    });
    expect(address("https://github.com/acme/falco-rules")).toMatchObject({ name: "falco-rules" });
  });

  it("takes any other host for Gitea, with its API under /api/v1", () => {
    expect(address("http://127.0.0.1:3000/security/falco-rules.git")).toEqual({
      kind: "gitea",
      owner: "security",
      name: "falco-rules",
      api: "http://127.0.0.1:3000/api/v1",
    });
  });

  it("keeps the sub-path a forge is served from", () => {
    expect(address("https://git.example.com/forge/security/falco-rules.git").api).toBe(
      "https://git.example.com/forge/api/v1",
    );
  });

  it("follows the configured forge: GitHub Enterprise has its API under /api/v3", () => {
    expect(address("https://ghe.example.com/security/falco-rules.git", "github")).toEqual({
      kind: "github",
      owner: "security",
      name: "falco-rules",
      api: "https://ghe.example.com/api/v3",
    });
    expect(address("https://github.com/acme/falco-rules", "gitea").api).toBe("https://github.com/api/v1");
  });

  it("refuses URLs that are not HTTP(S) clone URLs of a repository, or that carry credentials", () => {
    expect(() => address("git@github.com:acme/falco-rules.git")).toThrow("is not a URL");
    expect(() => address("ssh://git@github.com/acme/falco-rules.git")).toThrow("not an HTTP(S) clone URL");
    expect(() => address("https://github.com/falco-rules")).toThrow("names no <owner>/<repo>");
    expect(() => address("https://x-access-token:ghp_secret@github.com/acme/falco-rules")).toThrow(
      "carries credentials",
    );
  });

  it("authenticates git as each forge expects", () => {
    const repo = "https://github.com/acme/falco-rules.git";
    expect(forgeFor({ repo, token: "t0k", forge: null }).gitAuthorization).toBe(
      `Basic ${Buffer.from("x-access-token:t0k").toString("base64")}`,
    );
    expect(forgeFor({ repo, token: "t0k", forge: "gitea" }).gitAuthorization).toBe("token t0k");
    expect(forgeFor({ repo, token: null, forge: null }).gitAuthorization).toBeNull();
  });
});
