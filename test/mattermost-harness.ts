import type { Post } from "@mattermost/types/posts";
import { clientFor, MattermostServer, seedMattermost, type MattermostWorld } from "../fleet/mattermost.js";
import { LocalFleet } from "../fleet/local.js";
import { PostgresServer } from "../fleet/postgres.js";

export { PersonSocket } from "../fleet/mattermost-socket.js";

/** A known secret, so that tests can forge, expire and replay grants the way an attacker would try. */
export const BOT_SECRET = "0123456789abcdef0123456789abcdef-test-secret";

/**
 * PostgreSQL, a real Mattermost server seeded through its REST API (alice and bob approve,
 * mallory is only a channel member), and the fleet with Mattermost as its front end.
 */
export class MattermostStage {
  private constructor(
    readonly postgres: PostgresServer,
    readonly server: MattermostServer,
    readonly world: MattermostWorld,
    readonly fleet: LocalFleet,
  ) {}

  static async start(
    env: Record<string, string> = {},
    {
      sample = false,
      database = false,
    }: {
      sample?: boolean;
      /** The fleet's state in a database of its own on Mattermost's PostgreSQL (SOC_DATABASE_URL). */
      database?: boolean;
    } = {},
  ): Promise<MattermostStage> {
    const postgres = await PostgresServer.start();
    try {
      const server = await MattermostServer.start(postgres);
      const world = await seedMattermost(server.url, ["alice", "bob", "carol", "mallory"]);
      const fleet = await LocalFleet.start({
        sample,
        env: {
          ...(database ? { SOC_DATABASE_URL: postgres.createDatabase("soc") } : {}),
          // The priority baseline makes each verdict path deterministic; the model has its own tests.
          SOC_PREFILTER: "priority",
          MATTERMOST_URL: server.url,
          MATTERMOST_BOT_TOKEN: world.bot.token,
          MATTERMOST_TEAM: world.team.name,
          MATTERMOST_CHANNEL: world.channel.name,
          SOC_APPROVERS: "alice:incident-commander,bob:incident-commander,carol:responder",
          SOC_BOT_SECRET: BOT_SECRET,
          ...env,
        },
      });
      return new MattermostStage(postgres, server, world, fleet);
    } catch (error) {
      postgres.stop();
      throw error;
    }
  }

  get callbackBase(): string {
    return `http://127.0.0.1:${Number(this.fleet.env.SOC_PORT_BASE) + 12}`;
  }

  person(name: string) {
    const person = this.world.people[name];
    if (!person) throw new Error(`no seeded person ${name}`);
    return person;
  }

  /** Runs `/soc …` in the channel (or another) as `name`, as typing it in the message box does. */
  command(name: string, text: string, channelId = this.world.channel.id) {
    return this.person(name).client.executeCommand(`/soc ${text}`, {
      channel_id: channelId,
      team_id: this.world.team.id,
    });
  }

  /** Every post of the channel, oldest first. */
  async posts(): Promise<Post[]> {
    const list = await clientFor(this.world.url, this.world.admin.token).getPosts(
      this.world.channel.id,
      0,
      200,
    );
    return list.order
      .map((id) => list.posts[id])
      .filter((p): p is Post => p !== undefined)
      .reverse();
  }

  /** The escalation post of a case, once it is there. */
  escalationPost(caseId: string, timeoutMs = 30_000): Promise<Post> {
    return this.fleet.waitFor(
      async () => (await this.posts()).find((p) => p.message.includes(`Escalated \`${caseId}\``)),
      timeoutMs,
      `the escalation post of ${caseId}`,
    );
  }

  async stop(): Promise<void> {
    await this.fleet.stop();
    await this.server.destroy();
    this.postgres.stop();
  }
}
