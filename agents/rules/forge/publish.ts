import { forgeFor, type ForgeKind } from "./forge.js";
import { pushBranch, type Identity } from "./git.js";

/** The rules file the fleet proposes changes to, and how to reach its repository. */
export interface RulesTarget {
  /** The repository's HTTP(S) clone URL, without credentials. */
  repo: string;
  /** The rules file, relative to the repository's root. */
  file: string;
  /** The branch changes are proposed to. */
  base: string;
  token: string | null;
  /** The forge, or null to infer it from the URL (github.com is GitHub, anything else Gitea). */
  forge: ForgeKind | null;
}

/** One proposed change of the rules file, and the pull request that carries it. */
export interface RuleChange {
  /** The branch the change is pushed to, `soc/<name>`; never the base. */
  branch: string;
  /** The file's new text from its current one (null: the file is not there yet). */
  edit: (current: string | null) => string;
  /** The commit message. */
  message: string;
  title: string;
  body: string;
}

export interface PublishedChange {
  branch: string;
  number: number;
  url: string;
}

/**
 * Pushes the change on its own branch and opens a pull request from it into the base. Publishing the
 * same branch again (a retry) pushes nothing and opens nothing: the branch already there, and the
 * open pull request from it, are returned.
 */
export async function publishRuleChange(
  target: RulesTarget,
  change: RuleChange,
  author?: Identity,
): Promise<PublishedChange> {
  const forge = forgeFor(target);
  await pushBranch(
    {
      repo: target.repo,
      base: target.base,
      branch: change.branch,
      authorization: forge.gitAuthorization,
      ...(author ? { author } : {}),
    },
    { file: target.file, edit: change.edit, message: change.message },
  );
  const branches = { head: change.branch, base: target.base };
  const pull =
    (await forge.findOpenPullRequest(branches)) ??
    (await forge.openPullRequest({ ...branches, title: change.title, body: change.body }));
  return { branch: change.branch, ...pull };
}
