import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { freePorts } from "./ports.js";

/** Debian's PostgreSQL binaries (the `postgresql` package), newest major first. */
function pgBin(tool: string): string {
  const root = "/usr/lib/postgresql";
  const majors = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const found = majors.map((major) => join(root, major, "bin", tool)).find((path) => existsSync(path));
  if (!found) throw new Error(`PostgreSQL's ${tool} not found under ${root}: apt-get install postgresql`);
  return found;
}

/**
 * A throwaway PostgreSQL cluster on 127.0.0.1 with trust authentication, for tests and
 * benchmarks. PostgreSQL refuses to run as root, so as root it runs as the `postgres` user.
 */
export class PostgresServer {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static async start(): Promise<PostgresServer> {
    const dir = mkdtempSync(join(tmpdir(), "soc-pg-"));
    const [port = 0] = await freePorts(1);
    const server = new PostgresServer(dir, port);
    try {
      if (userInfo().uid === 0) {
        chmodSync(dir, 0o777);
        execFileSync("chown", ["postgres:postgres", dir]);
      }
      server.#as(pgBin("initdb"), ["-D", join(dir, "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8"]);
      server.#as(pgBin("pg_ctl"), [
        "-D",
        join(dir, "data"),
        "-l",
        join(dir, "postgres.log"),
        "-w",
        "-o",
        `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
        "start",
      ]);
    } catch (error) {
      server.stop();
      throw error;
    }
    return server;
  }

  /** Creates a database and returns its connection URL. */
  createDatabase(name: string): string {
    this.#as(pgBin("createdb"), ["-h", "127.0.0.1", "-p", String(this.port), "-U", "postgres", name]);
    return `postgres://postgres@127.0.0.1:${this.port}/${name}?sslmode=disable&connect_timeout=10`;
  }

  stop(): void {
    if (existsSync(join(this.dir, "data", "postmaster.pid"))) {
      try {
        this.#as(pgBin("pg_ctl"), ["-D", join(this.dir, "data"), "-m", "immediate", "-w", "stop"]);
      } catch {
        // Already gone: nothing to stop.
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  #as(tool: string, args: string[]): void {
    const [command, argv] =
      userInfo().uid === 0 ? ["runuser", ["-u", "postgres", "--", tool, ...args]] : [tool, args];
    execFileSync(command, argv, { stdio: ["ignore", "pipe", "pipe"], cwd: this.dir });
  }
}
