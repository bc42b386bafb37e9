import { cpSync } from "node:fs";
import { join } from "node:path";
import { install, quiet, type CachedTool, type Log } from "./cache.js";
import { exec } from "./exec.js";
import { goBuild } from "./go.js";

/** The Gitea release the forge tests run; its go.mod asks for Go 1.26.4. */
export const GITEA_VERSION = "v1.27.3";

/**
 * What the server reads beside its binary at run time, built without the `bindata` tag: locales and
 * the README, licence and .gitignore templates of `auto_init` (`options/`), and the page templates
 * (`templates/`). The web front end's assets are left out: only the HTTP API and git over HTTP serve.
 */
const RUNTIME_FOLDERS = ["options", "templates"] as const;

/**
 * The Gitea server, built from its Go module: `gitea` and the folders it reads, found through
 * STATIC_ROOT_PATH set to the entry. SQLite comes from the module's default pure-Go driver, so the
 * binary needs neither cgo nor build tags.
 */
export const gitea: CachedTool = {
  entry: `gitea-${GITEA_VERSION}`,
  holds: ["gitea", ...RUNTIME_FOLDERS.map((folder) => `${folder}/`)],
  building: `building Gitea ${GITEA_VERSION} from its Go module (first run only, about four minutes)…`,
  build(dir) {
    const source = goBuild({
      module: `code.gitea.io/gitea@${GITEA_VERSION}`,
      main: ".",
      output: join(dir, "gitea"),
      // Without the version stamp the server reports "development" at /api/v1/version.
      ldflags: `-s -w -X main.Version=${GITEA_VERSION.slice(1)}`,
    });
    for (const folder of RUNTIME_FOLDERS)
      cpSync(join(source, folder), join(dir, folder), { recursive: true });
    // Copied from the module cache, whose files may be read-only: an entry must be removable.
    exec("chmod", ["-R", "u+w", dir]);
  },
};

/**
 * The Gitea binary: SOC_GITEA_BIN, else the cached build. Its folder is the server's static root
 * (the folders above beside it).
 */
export function giteaBinary(log: Log = quiet): string {
  return process.env.SOC_GITEA_BIN ?? join(install(gitea, log), "gitea");
}
