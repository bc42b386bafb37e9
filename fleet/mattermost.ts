import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client4 } from "../bot/mattermost/client4.js";
import { freePorts } from "./ports.js";
import type { PostgresServer } from "./postgres.js";
import { installBinary, toolCache } from "./tools.js";

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

/**
 * The Mattermost server binary: SOC_MATTERMOST_BIN, else the cached build, else built now from its
 * Go module (about five minutes on two cores and a 1.2 GB module cache, first time only).
 */
export function mattermostBinary(log: (line: string) => void = () => undefined): string {
  if (process.env.SOC_MATTERMOST_BIN) return process.env.SOC_MATTERMOST_BIN;
  const cached = join(toolCache, `mattermost-${MATTERMOST_VERSION}`);
  if (existsSync(cached)) return cached;
  log(
    `building the Mattermost server ${MATTERMOST_VERSION} from its Go module (first run only, about five minutes)…`,
  );
  mkdirSync(toolCache, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), "soc-mattermost-"));
  const env = {
    ...process.env,
    GOFLAGS: `${process.env.GOFLAGS ?? ""} -modcacherw`.trim(),
    GONOSUMDB: "github.com/mattermost/mattermost",
  };
  const go = (args: string[], cwd: string) =>
    execFileSync("go", args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  try {
    go(["mod", "init", "scratch"], work);
    const module = JSON.parse(go(["mod", "download", "-json", MATTERMOST_MODULE], work)) as {
      Dir?: string;
      Error?: string;
    };
    if (!module.Dir) throw new Error(`go mod download ${MATTERMOST_MODULE}: ${module.Error ?? "no Dir"}`);
    const src = join(work, "src");
    cpSync(module.Dir, src, { recursive: true });
    execFileSync("chmod", ["-R", "u+w", src]);
    go(["get", MATTERMOST_PUBLIC], src);
    const built = join(work, "mattermost");
    go(["build", "-o", built, "./cmd/mattermost"], src);
    installBinary(built, cached);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return cached;
}

/** Servers still running in this process, killed if it exits without stopping them. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * A real Mattermost server (Team Edition) on 127.0.0.1 over PostgreSQL, configured through
 * environment overrides so that it calls nothing outside and may call integrations on loopback.
 * Its output goes to `<dir>/mattermost.log`.
 */
export class MattermostServer {
  #child: ChildProcess | undefined;
  readonly url: string;

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly binary: string,
    private readonly datasource: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  static async start(postgres: PostgresServer, log?: (line: string) => void): Promise<MattermostServer> {
    const binary = mattermostBinary(log);
    const dir = mkdtempSync(join(tmpdir(), "soc-mattermost-"));
    const [port = 0] = await freePorts(1);
    const server = new MattermostServer(dir, port, binary, postgres.createDatabase(`mattermost_${port}`));
    await server.start();
    return server;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Starts (or starts again) on the same port and database; resolves once the API answers. */
  async start(timeoutMs = 120_000): Promise<void> {
    const child = spawn(this.binary, ["server"], {
      cwd: this.dir,
      env: { ...process.env, ...this.#settings() },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#child = child;
    running.add(child);
    const logFile = createWriteStream(join(this.dir, "mattermost.log"), { flags: "a" });
    child.stdout?.pipe(logFile, { end: false });
    child.stderr?.pipe(logFile, { end: false });
    child.once("exit", () => {
      running.delete(child);
      logFile.end();
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running)
        throw new Error(`Mattermost exited before it was ready: see ${this.dir}/mattermost.log`);
      const ready = await fetch(`${this.url}/api/v4/system/ping`)
        .then((response) => response.ok)
        .catch(() => false);
      if (ready) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`Mattermost not ready within ${timeoutMs} ms: see ${this.dir}/mattermost.log`);
  }

  /** SIGTERM and wait for the exit (SIGKILL after the grace); the data stays for start(). */
  async stop(graceMs = 15_000): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      child.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill("SIGTERM");
    });
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Environment overrides (kept in memory by the server, never written to its config file). */
  #settings(): Record<string, string> {
    return {
      MM_CONFIG: join(this.dir, "config.json"),
      MM_SQLSETTINGS_DRIVERNAME: "postgres",
      MM_SQLSETTINGS_DATASOURCE: this.datasource,
      MM_SERVICESETTINGS_SITEURL: this.url,
      MM_SERVICESETTINGS_LISTENADDRESS: `127.0.0.1:${this.port}`,
      MM_SERVICESETTINGS_ALLOWEDUNTRUSTEDINTERNALCONNECTIONS: "127.0.0.1 localhost",
      MM_SERVICESETTINGS_ENABLEBOTACCOUNTCREATION: "true",
      MM_SERVICESETTINGS_ENABLEUSERACCESSTOKENS: "true",
      MM_SERVICESETTINGS_ENABLECOMMANDS: "true",
      MM_SERVICESETTINGS_ENABLEPOSTUSERNAMEOVERRIDE: "false",
      MM_SERVICESETTINGS_ENABLELINKPREVIEWS: "false",
      MM_SERVICESETTINGS_ENABLESECURITYFIXALERT: "false",
      MM_SERVICESETTINGS_ENABLELOCALMODE: "false",
      MM_SERVICESETTINGS_ENABLEDEVELOPER: "false",
      MM_TEAMSETTINGS_ENABLEOPENSERVER: "true",
      MM_PLUGINSETTINGS_ENABLE: "false",
      MM_PLUGINSETTINGS_ENABLEUPLOADS: "false",
      MM_LOGSETTINGS_ENABLEDIAGNOSTICS: "false",
      MM_LOGSETTINGS_CONSOLELEVEL: "WARN",
      MM_LOGSETTINGS_ENABLEFILE: "false",
      MM_ANNOUNCEMENTSETTINGS_ADMINNOTICESENABLED: "false",
      MM_ANNOUNCEMENTSETTINGS_USERNOTICESENABLED: "false",
      MM_EMAILSETTINGS_SENDEMAILNOTIFICATIONS: "false",
      MM_EMAILSETTINGS_ENABLESIGNUPWITHEMAIL: "true",
      MM_FILESETTINGS_DIRECTORY: join(this.dir, "files"),
      MM_RATELIMITSETTINGS_ENABLE: "false",
    };
  }
}

export interface MattermostPerson {
  id: string;
  username: string;
  token: string;
  client: Client4;
}

/** What `seedMattermost` makes: an admin, a bot with its token, a team, a channel and people. */
export interface MattermostWorld {
  url: string;
  admin: MattermostPerson;
  bot: { id: string; username: string; token: string };
  team: { id: string; name: string };
  channel: { id: string; name: string };
  people: Record<string, MattermostPerson>;
}

export function clientFor(url: string, token: string): Client4 {
  const client = new Client4();
  client.setUrl(url);
  client.setToken(token);
  return client;
}

/**
 * Seeds a fresh server through its REST API as a person would: the first user (who becomes
 * system admin), a team and an open channel, a bot account with an access token, and the named
 * people as team and channel members.
 */
export async function seedMattermost(url: string, people: readonly string[]): Promise<MattermostWorld> {
  const anonymous = new Client4();
  anonymous.setUrl(url);
  const password = "Soc-fleet-test-1!";
  const signUp = async (username: string): Promise<MattermostPerson> => {
    const user = await anonymous.createUser(
      { username, email: `${username}@example.com`, password } as Parameters<Client4["createUser"]>[0],
      "",
      "",
    );
    const session = new Client4();
    session.setUrl(url);
    await session.login(username, password);
    return { id: user.id, username, token: session.getToken(), client: session };
  };
  const admin = await signUp("socadmin");
  const team = await admin.client.createTeam({
    name: "security",
    display_name: "Security",
    type: "O",
  } as Parameters<Client4["createTeam"]>[0]);
  const channel = await admin.client.createChannel({
    team_id: team.id,
    name: "soc-cases",
    display_name: "SOC cases",
    type: "O",
  });
  const bot = await admin.client.createBot({ username: "soc-fleet", display_name: "soc-fleet" });
  const botToken = await admin.client.createUserAccessToken(bot.user_id, "soc-fleet bot");
  const members: Record<string, MattermostPerson> = {};
  await admin.client.addToTeam(team.id, bot.user_id);
  // Managing the team's slash commands (the bot registers /soc) is a team admin's permission.
  await admin.client.updateTeamMemberSchemeRoles(team.id, bot.user_id, true, true);
  await admin.client.addToChannel(bot.user_id, channel.id);
  for (const username of people) {
    const person = await signUp(username);
    await admin.client.addToTeam(team.id, person.id);
    await admin.client.addToChannel(person.id, channel.id);
    members[username] = person;
  }
  return {
    url,
    admin,
    bot: { id: bot.user_id, username: bot.username, token: botToken.token ?? "" },
    team: { id: team.id, name: team.name },
    channel: { id: channel.id, name: channel.name },
    people: members,
  };
}
