import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { alive, stopChild, track } from "../children.js";
import { freePorts } from "../ports.js";
import { giteaBinary } from "../tools/gitea.js";

/** A throwaway Gitea holding one repository of Falco rules, as the fleet's GitOps target. */
export interface Gitea {
  /** `http://127.0.0.1:<port>`, without a trailing slash; the API is under `/api/v1`. */
  url: string;
  /** An access token of the admin (scope `all`), for the API and git over HTTP. */
  token: string;
  /** The organisation that owns the repository. */
  owner: string;
  repo: string;
  /** The repository's HTTP clone URL. */
  cloneUrl: string;
  /** The rules file committed on `main` at the start, and its text. */
  file: string;
  initial: string;
  /** Kills the server and removes its folder. */
  stop(): Promise<void>;
}

const run = promisify(execFile);
const OWNER = "security";
const REPO = "falco-rules";
const FILE = "rules/soc_rules.yaml";
const INITIAL = "# Local exceptions and tuning the SOC fleet proposes to the Falco rules.\n";

/**
 * Gitea's configuration: loopback only, SQLite, no mail, no SSH, nothing fetched from outside,
 * everything under `dir`. It runs as root too, as CI does (Gitea refuses to unless told).
 */
function appIni(dir: string, port: number, staticRoot: string): string {
  const secret = () => randomBytes(32).toString("hex");
  return `APP_NAME = soc-fleet test forge
RUN_MODE = prod
RUN_USER = ${userInfo().username}
WORK_PATH = ${dir}
I_AM_BEING_UNSAFE_RUNNING_AS_ROOT = true

[server]
PROTOCOL = http
HTTP_ADDR = 127.0.0.1
HTTP_PORT = ${port}
DOMAIN = 127.0.0.1
ROOT_URL = http://127.0.0.1:${port}/
DISABLE_SSH = true
START_SSH_SERVER = false
OFFLINE_MODE = true
LFS_START_SERVER = false
APP_DATA_PATH = ${join(dir, "data")}
STATIC_ROOT_PATH = ${staticRoot}

[database]
DB_TYPE = sqlite3
PATH = ${join(dir, "data", "gitea.db")}

[repository]
ROOT = ${join(dir, "repositories")}
DEFAULT_BRANCH = main

[security]
INSTALL_LOCK = true
SECRET_KEY = ${secret()}
INTERNAL_TOKEN = ${secret()}

[oauth2]
ENABLED = false

[service]
DISABLE_REGISTRATION = true
ENABLE_NOTIFY_MAIL = false

[mailer]
ENABLED = false

[actions]
ENABLED = false

[packages]
ENABLED = false

[indexer]
ISSUE_INDEXER_TYPE = db

[session]
PROVIDER = memory

[cache]
ADAPTER = memory

[cron.update_checker]
ENABLED = false

[log]
MODE = file
LEVEL = info
ROOT_PATH = ${join(dir, "log")}
`;
}

/**
 * Starts a Gitea in a temporary folder on a free loopback port: database migrated, an admin with an
 * access token, the organisation `security` and its repository `falco-rules` whose `main` holds
 * `rules/soc_rules.yaml`. The server's output goes to `<dir>/gitea.out`, its log to `<dir>/log/`; a
 * failed start throws with the last lines of both.
 */
export async function startGitea(log?: (line: string) => void): Promise<Gitea> {
  const binary = giteaBinary(log);
  const [port = 0] = await freePorts(1);
  const url = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), "soc-gitea-"));
  const config = join(dir, "app.ini");
  writeFileSync(config, appIni(dir, port, dirname(binary)));
  const env = { ...process.env, GITEA_I_AM_BEING_UNSAFE_RUNNING_AS_ROOT: "true" };
  const args = (...rest: string[]) => ["--config", config, "--work-path", dir, ...rest];
  let child: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    await stopChild(child, "SIGTERM", 10_000);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const token = await seedAdmin((...rest) => run(binary, args(...rest), { env, timeout: 120_000 }));
    child = track(spawn(binary, args("web"), { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] }));
    const output = createWriteStream(join(dir, "gitea.out"));
    child.stdout?.pipe(output, { end: false });
    child.stderr?.pipe(output, { end: false });
    child.once("exit", () => output.end());
    const web = child;
    await ready(url, () => alive(web));
    await seedRepository(apiClient(url, token));
    const cloneUrl = `${url}/${OWNER}/${REPO}.git`;
    return { url, token, owner: OWNER, repo: REPO, cloneUrl, file: FILE, initial: INITIAL, stop };
  } catch (error) {
    const printed = logTail(dir);
    await stop();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`failed to start Gitea: ${reason}\n${printed}`, { cause: error });
  }
}

/** The last lines of the server's output and log, for an error: its folder goes with it. */
function logTail(dir: string): string {
  return [join(dir, "gitea.out"), join(dir, "log", "gitea.log")]
    .filter((file) => existsSync(file))
    .map((file) => `${file}:\n${readFileSync(file, "utf8").trimEnd().split("\n").slice(-20).join("\n")}`)
    .join("\n");
}

/** Migrates the database and creates the admin through Gitea's CLI; returns the admin's token. */
async function seedAdmin(gitea: (...args: string[]) => Promise<{ stdout: string }>): Promise<string> {
  const admin = "socadmin";
  await gitea("migrate");
  await gitea(
    ...["admin", "user", "create", "--admin", "--username", admin, "--email", `${admin}@example.com`],
    ...["--password", randomBytes(12).toString("base64url"), "--must-change-password=false"],
  );
  const { stdout } = await gitea(
    ...["admin", "user", "generate-access-token", "--username", admin, "--token-name", "soc-fleet"],
    ...["--scopes", "all", "--raw"],
  );
  return stdout.trim();
}

/** The organisation, its repository (a README on `main`) and the rules file, through the API. */
async function seedRepository(api: Api): Promise<void> {
  await api("POST", "/orgs", { username: OWNER, visibility: "private" });
  await api("POST", `/orgs/${OWNER}/repos`, {
    name: REPO,
    private: true,
    auto_init: true,
    readme: "Default",
    default_branch: "main",
  });
  await api("POST", `/repos/${OWNER}/${REPO}/contents/${FILE}`, {
    branch: "main",
    message: "Add the SOC fleet's rules file",
    content: Buffer.from(INITIAL).toString("base64"),
  });
}

/** Resolves once `/api/v1/version` answers; throws if the server exits or takes too long. */
async function ready(url: string, running: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!running()) throw new Error("Gitea exited before it was ready");
    const answered = await fetch(`${url}/api/v1/version`)
      .then((response) => response.ok)
      .catch(() => false);
    if (answered) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`Gitea not ready within ${timeoutMs} ms`);
}

type Api = (method: string, path: string, body: unknown) => Promise<unknown>;

/** Calls Gitea's API with the admin's token; a non-2xx answer throws with Gitea's message. */
function apiClient(url: string, token: string): Api {
  return async (method, path, body) => {
    const response = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: { Authorization: `token ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    if (!response.ok) throw new Error(`Gitea ${method} ${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };
}
