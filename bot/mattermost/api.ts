import type { Command as SlashCommand } from "@mattermost/types/integrations";
import type { Post } from "@mattermost/types/posts";
import { Client4, ClientError } from "./client4.js";

/** A message attachment's button: `integration.context` reaches only the bot, never the clients. */
export interface Button {
  id: string;
  type: "button";
  name: string;
  style: "primary" | "danger" | "default";
  integration: { url: string; context: unknown };
}

export interface Attachment {
  fallback: string;
  color: string;
  title?: string;
  pretext?: string;
  text?: string;
  fields?: { title: string; value: string; short: boolean }[];
  actions?: Button[];
  footer?: string;
}

export interface NewPost {
  channel_id: string;
  message: string;
  root_id?: string;
  props?: Record<string, unknown>;
}

export interface Dialog {
  callback_id: string;
  title: string;
  submit_label: string;
  state: string;
  elements: {
    type: "textarea" | "text";
    name: string;
    display_name: string;
    min_length?: number;
    max_length?: number;
    help_text?: string;
  }[];
}

/**
 * True when Mattermost could not take the request now (down, restarting, overloaded) and the same
 * request may succeed later; false when it refused it for good.
 */
export function unreachable(error: unknown): boolean {
  if (!(error instanceof ClientError)) return true;
  const status = (error as { status_code?: number }).status_code;
  return status === undefined || status >= 500 || status === 429;
}

/** The calls the bot makes to Mattermost's REST API v4, as the bot account. */
export class MattermostApi {
  readonly client: Client4;

  constructor(
    readonly url: string,
    private readonly token: string,
    /**
     * How long a call may go unanswered before it is given up (and, by the outbox, tried again after
     * looking for what it made): a hung server never stalls the bot.
     */
    readonly timeoutMs = 10_000,
  ) {
    const client = new Client4();
    const options = client.getOptions.bind(client);
    client.getOptions = (request) => ({ ...options(request), signal: AbortSignal.timeout(timeoutMs) });
    client.setUrl(url);
    client.setToken(token);
    this.client = client;
  }

  me() {
    return this.client.getMe();
  }

  teamByName(name: string) {
    return this.client.getTeamByName(name);
  }

  channelByName(teamId: string, name: string) {
    return this.client.getChannelByName(teamId, name);
  }

  /** The team's custom slash commands, with their URLs and tokens (the full list blanks them). */
  commands(teamId: string) {
    return this.client.getCustomTeamCommands(teamId);
  }

  addCommand(command: Partial<SlashCommand>) {
    return this.client.addCommand(command as SlashCommand);
  }

  editCommand(command: SlashCommand) {
    return this.client.editCommand(command);
  }

  createPost(post: NewPost): Promise<Post> {
    return this.client.createPost(post);
  }

  patchPost(id: string, patch: { message: string; props: Record<string, unknown> }): Promise<Post> {
    return this.client.patchPost({ id, ...patch });
  }

  user(id: string) {
    return this.client.getUser(id);
  }

  userByUsername(username: string) {
    return this.client.getUserByUsername(username);
  }

  /** Posts of a channel created or changed since `since` (ms), threads included. */
  /** Every post of the channel created or changed since `since` (ms), oldest first. */
  async postsSince(channelId: string, since: number): Promise<Post[]> {
    const list = await this.client.getPostsSince(channelId, since);
    // Every post the answer holds, whatever its `order` lists.
    return Object.values(list.posts).sort((a, b) => a.create_at - b.create_at);
  }

  /** Opens an interactive dialog for the user who clicked (Client4 has no call for it). */
  async openDialog(triggerId: string, url: string, dialog: Dialog): Promise<void> {
    const response = await fetch(`${this.url}/api/v4/actions/dialogs/open`, {
      method: "POST",
      headers: { authorization: `Bearer ${this.token}`, "content-type": "application/json" },
      body: JSON.stringify({ trigger_id: triggerId, url, dialog }),
    });
    if (!response.ok)
      throw new Error(`opening the dialog failed: HTTP ${response.status} ${await response.text()}`);
  }
}
