import { cpSync } from "node:fs";
import { join } from "node:path";
import { install, quiet, type CachedTool, type Log } from "./cache.js";
import { exec } from "./exec.js";
import { goBuild } from "./go.js";

/**
 * The Mattermost server's Go module at the pseudo-version that reports 11.4.0, and the sibling
 * `server/public` module it compiles with (the v0.1.20 its go.mod names does not). The module proxy
 * refuses `latest` and version lists for it, and the checksum database lacks these versions.
 */
export const MATTERMOST_MODULE =
  "github.com/mattermost/mattermost/server/v8@v8.0.0-20260113162330-9e1d4c2072c0";
export const MATTERMOST_PUBLIC =
  "github.com/mattermost/mattermost/server/public@v0.1.22-0.20260113165922-8e4cadbc88ee";
export const MATTERMOST_VERSION = "11.4.0";

/** What the server reads beside its binary at run time: translations, e-mail templates, fonts. */
const RUNTIME_FOLDERS = ["i18n", "templates", "fonts"] as const;

/**
 * The Mattermost server, whole: `bin/mattermost` and the folders it reads at run time. Start it
 * with MM_SERVER_PATH set to the entry (`mattermostServer().env`) and it finds them whatever its
 * working directory.
 */
export const mattermost: CachedTool = {
  entry: `mattermost-${MATTERMOST_VERSION}`,
  holds: ["bin/mattermost", ...RUNTIME_FOLDERS.map((folder) => `${folder}/`)],
  building: `building the Mattermost server ${MATTERMOST_VERSION} from its Go module (first run only, about five minutes)…`,
  build(dir) {
    const source = goBuild({
      module: MATTERMOST_MODULE,
      main: "./cmd/mattermost",
      output: join(dir, "bin", "mattermost"),
      get: [MATTERMOST_PUBLIC],
      noSumDb: "github.com/mattermost/mattermost",
    });
    for (const folder of RUNTIME_FOLDERS)
      cpSync(join(source, folder), join(dir, folder), { recursive: true });
    // Copied from the module cache, whose files may be read-only: an entry must be removable.
    exec("chmod", ["-R", "u+w", dir]);
  },
};

export interface MattermostInstall {
  binary: string;
  /** The environment that points the server at its folders. */
  env: Record<string, string>;
}

/**
 * The Mattermost server: SOC_MATTERMOST_HOME (a folder laid out as the cache entry), else the
 * cached build.
 */
export function mattermostServer(log: Log = quiet): MattermostInstall {
  const home = process.env.SOC_MATTERMOST_HOME ?? install(mattermost, log);
  return { binary: join(home, "bin", "mattermost"), env: { MM_SERVER_PATH: home } };
}
