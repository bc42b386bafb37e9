import type { Command as SlashCommand } from "@mattermost/types/integrations";
import type { UserProfile } from "@mattermost/types/users";
import { commands } from "../../commands/index.js";
import { SocError } from "../../runtime/errors.js";
import { unreachable, type MattermostApi } from "./api.js";

export interface BotSettings {
  url: string;
  team: string;
  channel: string;
  publicUrl: string;
  /** SOC_APPROVERS: Mattermost user ids or usernames, with their roles. */
  approvers: Readonly<Record<string, readonly string[]>>;
}

export interface Workspace {
  botId: string;
  botUsername: string;
  teamId: string;
  channelId: string;
  channelName: string;
  /** The `/soc` command's token: every slash request must carry it. */
  commandToken: string;
  /**
   * Each approver's Mattermost user id, to the name SOC_APPROVERS gives it: who decides is found
   * by the id a request's user_id names, so a renamed approver stays one and whoever takes the old
   * username does not become one.
   */
  approvers: ReadonlyMap<string, string>;
}

export const callbackPaths = {
  command: "/mattermost/command",
  action: "/mattermost/action",
  dialog: "/mattermost/dialog",
};

/**
 * Checks the bot's token, finds its team and channel, and creates or updates the `/soc` command.
 * Every problem is reported at once, with what to change on which side. Throws `unreachable` errors
 * as they are, so the caller can wait for Mattermost and try again.
 */
export async function setUp(api: MattermostApi, settings: BotSettings): Promise<Workspace> {
  const problems: string[] = [];
  const attempt = async <T>(what: () => Promise<T>, problem: string): Promise<T | undefined> => {
    try {
      return await what();
    } catch (error) {
      if (unreachable(error)) throw error;
      problems.push(`${problem} (${error instanceof Error ? error.message : String(error)})`);
      return undefined;
    }
  };
  const me = await attempt(
    () => api.me(),
    "MATTERMOST_BOT_TOKEN is not accepted: give the bot account's access token",
  );
  if (!me) throw configurationError(problems);
  const clientConfig = await attempt(
    () => api.client.getClientConfig(),
    "cannot read the server's client configuration",
  );
  if (clientConfig && !clientConfig.SiteURL) {
    problems.push(
      "Mattermost has no ServiceSettings.SiteURL: set it (System Console › Web server › Site URL), custom slash commands fail without it",
    );
  }
  const team = await attempt(
    () => api.teamByName(settings.team),
    `MATTERMOST_TEAM "${settings.team}" not found, or the bot @${me.username} is not a member: add the bot to the team`,
  );
  const channel = team
    ? await attempt(
        () => api.channelByName(team.id, settings.channel),
        `MATTERMOST_CHANNEL "${settings.channel}" not found in team "${settings.team}", or the bot cannot see it: add @${me.username} to the channel`,
      )
    : undefined;
  const command = team
    ? await attempt(
        () => registerCommand(api, team.id, settings.publicUrl),
        `cannot create the /soc command in "${settings.team}": give @${me.username} the permission to manage slash commands (make it a team admin)`,
      )
    : undefined;
  const approvers = await resolveApprovers(api, Object.keys(settings.approvers), problems);
  if (!team || !channel || !command || problems.length > 0) throw configurationError(problems);
  return {
    botId: me.id,
    botUsername: me.username,
    teamId: team.id,
    channelId: channel.id,
    channelName: channel.name,
    commandToken: command.token,
    approvers,
  };
}

/** A Mattermost id: 26 lowercase letters and digits. */
export const mattermostId = /^[a-z0-9]{26}$/;

/**
 * Finds the user each SOC_APPROVERS entry names, by id or by username, once at start. An entry that
 * names no user, a deactivated user or a bot is a configuration problem: a decision is never made
 * for an account that cannot be held to it.
 */
async function resolveApprovers(
  api: MattermostApi,
  names: readonly string[],
  problems: string[],
): Promise<Map<string, string>> {
  const approvers = new Map<string, string>();
  for (const name of names) {
    let user: UserProfile;
    try {
      user = await (mattermostId.test(name) ? api.user(name) : api.userByUsername(name));
    } catch (error) {
      if (unreachable(error)) throw error;
      problems.push(
        `SOC_APPROVERS names ${name}, who is not a Mattermost user: give a user id or a username`,
      );
      continue;
    }
    if (user.delete_at > 0) problems.push(`SOC_APPROVERS names ${name}, a deactivated user: remove it`);
    else if (user.is_bot) problems.push(`SOC_APPROVERS names ${name}, a bot: approvers are people`);
    else approvers.set(user.id, name);
  }
  return approvers;
}

async function registerCommand(api: MattermostApi, teamId: string, publicUrl: string): Promise<SlashCommand> {
  const wanted = {
    team_id: teamId,
    trigger: "soc",
    method: "P" as const,
    url: `${publicUrl}${callbackPaths.command}`,
    display_name: "soc-fleet",
    description: "Decide and inspect soc-fleet security cases",
    auto_complete: true,
    auto_complete_desc: "Cases escalated by soc-fleet: decide, trace, status",
    auto_complete_hint: commands.map((c) => c.name).join(" | "),
    username: "",
    icon_url: "",
  };
  const existing = (await api.commands(teamId)).find((c) => c.trigger === "soc" && c.delete_at === 0);
  if (!existing) return api.addCommand(wanted);
  const changed = Object.entries(wanted).some(
    ([key, value]) => existing[key as keyof SlashCommand] !== value,
  );
  return changed ? api.editCommand({ ...existing, ...wanted }) : existing;
}

function configurationError(problems: string[]): SocError {
  return new SocError(
    "mattermost_configuration",
    [
      "the Mattermost front end cannot start:",
      ...problems.map((p) => `  - ${p}`),
      "  Mattermost must also be allowed to call the bot back: add its host to ServiceSettings.AllowedUntrustedInternalConnections when it is a private address.",
    ].join("\n"),
  );
}
