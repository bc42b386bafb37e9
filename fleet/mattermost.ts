import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client4 } from "../bot/mattermost/client4.js";
import { alive, stopChild, track } from "./children.js";
import { freePorts } from "./ports.js";
import type { PostgresServer } from "./postgres.js";
import { mattermostServer, type MattermostInstall } from "./tools/mattermost.js";

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
    private readonly server: MattermostInstall,
    private readonly datasource: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  static async start(postgres: PostgresServer, log?: (line: string) => void): Promise<MattermostServer> {
    const installed = mattermostServer(log);
    const dir = mkdtempSync(join(tmpdir(), "soc-mattermost-"));
    const [port = 0] = await freePorts(1);
    const server = new MattermostServer(dir, port, installed, postgres.createDatabase(`mattermost_${port}`));
    await server.start();
    return server;
  }

  get running(): boolean {
    return alive(this.#child);
  }

  /** Starts (or starts again) on the same port and database; resolves once the API answers. */
  async start(timeoutMs = 120_000): Promise<void> {
    const child = spawn(this.server.binary, ["server"], {
      cwd: this.dir,
      env: { ...process.env, ...this.server.env, ...this.#settings() },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#child = track(child);
    const logFile = createWriteStream(join(this.dir, "mattermost.log"), { flags: "a" });
    child.stdout?.pipe(logFile, { end: false });
    child.stderr?.pipe(logFile, { end: false });
    child.once("exit", () => logFile.end());
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
    await stopChild(this.#child, "SIGTERM", graceMs);
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
