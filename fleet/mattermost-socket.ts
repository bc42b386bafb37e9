import type { Post } from "@mattermost/types/posts";
import WebSocket from "ws";

export interface SocketEvent {
  event: string;
  data: Record<string, unknown>;
}

/** A person's Mattermost websocket: where ephemeral messages and dialogs to open arrive. */
export class PersonSocket {
  readonly events: SocketEvent[] = [];
  private constructor(private readonly socket: WebSocket) {
    socket.on("message", (raw: Buffer) => {
      const message = JSON.parse(raw.toString()) as Partial<SocketEvent>;
      if (message.event) this.events.push({ event: message.event, data: message.data ?? {} });
    });
  }

  static async open(url: string, token: string): Promise<PersonSocket> {
    const socket = new WebSocket(`${url.replace(/^http/, "ws")}/api/v4/websocket`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const person = new PersonSocket(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      const hello = setInterval(() => {
        if (person.events.some((e) => e.event === "hello")) {
          clearInterval(hello);
          resolve();
        }
      }, 20);
    });
    return person;
  }

  async next(event: string, after: number, timeoutMs = 15_000): Promise<SocketEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.slice(after).find((e) => e.event === event);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${event} on the websocket within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** The text of the next ephemeral message after `after`. */
  async ephemeral(after: number): Promise<string> {
    const { data } = await this.next("ephemeral_message", after);
    return (JSON.parse(String(data.post)) as Post).message;
  }

  close(): void {
    this.socket.close();
  }
}
