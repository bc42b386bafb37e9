import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { alive, stopChild, track } from "./children.js";
import { freePorts } from "./ports.js";
import { kafkaClasspath } from "./tools/kafka.js";

export { kafkaClientOptions, kafkaRetry } from "../runtime/kafka.js";
export { KAFKA_VERSION } from "./tools/kafka.js";

/** Runs a command to completion, with stdout and stderr together for error messages. */
function run(command: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

/**
 * A SASL_SSL listener beside the plain one, as Strimzi's `tls` listener with `scram-sha-512`
 * authentication: TLS with `keystore` (PEM: the broker's PKCS#8 key and certificate), clients
 * authenticated by SCRAM-SHA-512 against the credentials the storage is formatted with.
 */
interface SecureListener {
  port: number;
  keystore: string;
}

function serverProperties(
  dir: string,
  port: number,
  controllerPort: number,
  secure?: SecureListener,
): string {
  const listeners = [
    `PLAINTEXT://127.0.0.1:${port}`,
    `CONTROLLER://127.0.0.1:${controllerPort}`,
    ...(secure ? [`SASL_SSL://127.0.0.1:${secure.port}`] : []),
  ].join(",");
  return `${[
    "process.roles=broker,controller",
    "node.id=1",
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=${listeners}`,
    `advertised.listeners=${listeners}`,
    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL",
    ...(secure
      ? [
          "sasl.enabled.mechanisms=SCRAM-SHA-512",
          "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;",
          "listener.name.sasl_ssl.ssl.keystore.type=PEM",
          `listener.name.sasl_ssl.ssl.keystore.location=${secure.keystore}`,
        ]
      : []),
    "controller.listener.names=CONTROLLER",
    "inter.broker.listener.name=PLAINTEXT",
    `log.dirs=${join(dir, "data")}`,
    // Internal topics default to 3 replicas, which one broker can never host: groups would not work.
    "offsets.topic.replication.factor=1",
    "transaction.state.log.replication.factor=1",
    "transaction.state.log.min.isr=1",
    "share.coordinator.state.topic.replication.factor=1",
    "share.coordinator.state.topic.min.isr=1",
    // After a kill -9 the controller refuses the new incarnation until the old one's session expires
    // (9 s by default); one node on loopback misses no heartbeats, so 4 heartbeats' grace is plenty.
    "broker.heartbeat.interval.ms=1000",
    "broker.session.timeout.ms=4000",
    // The default 3 s wait for more members only slows every test's first consumer down.
    "group.initial.rebalance.delay.ms=0",
  ].join("\n")}\n`;
}

/**
 * A Kafka cluster id: 16 random bytes in URL-safe base64, never starting with "-" (the storage
 * tool would read one that does as an option, as Kafka's own Uuid generator avoids).
 */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

export interface KafkaBrokerOptions {
  port?: number;
  controllerPort?: number;
  /** Kept after stop() when given; a fresh temporary directory, removed on stop(), otherwise. */
  dir?: string;
  /** Told when the classpath has to be resolved first (a one-off of about ten seconds). */
  log?: (line: string) => void;
  readyTimeoutMs?: number;
  /**
   * Also a SASL_SSL listener (`secureBrokers`): TLS with the certificate `tls.cert` and key
   * `tls.key` (PEM, PKCS#8), and these SCRAM-SHA-512 users.
   */
  secure?: { tls: { cert: string; key: string }; users: { name: string; password: string }[] };
}

/**
 * A real Apache Kafka broker, KRaft, one node (broker and controller) on 127.0.0.1, for tests,
 * benchmarks and `npm start` without KAFKA_BROKERS. Its output goes to `<dir>/broker.log`.
 */
export class KafkaBroker {
  readonly brokers: string[];
  /** The SASL_SSL listener's address, when started with `secure`. */
  secureBrokers: string[] = [];
  #child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly controllerPort: number,
    readonly dir: string,
    private readonly classpath: string,
    private readonly ownsDir: boolean,
    private readonly readyTimeoutMs: number,
  ) {
    this.brokers = [`127.0.0.1:${port}`];
  }

  static async start(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
    const classpath = kafkaClasspath(options.log);
    const [freePort = 0, freeControllerPort = 0, securePort = 0] = await freePorts(3);
    const ownsDir = options.dir === undefined;
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), "soc-kafka-"));
    mkdirSync(dir, { recursive: true });
    const port = options.port ?? freePort;
    const controllerPort = options.controllerPort ?? freeControllerPort;
    const readyTimeoutMs = options.readyTimeoutMs ?? 90_000;
    const broker = new KafkaBroker(port, controllerPort, dir, classpath, ownsDir, readyTimeoutMs);
    try {
      const config = join(dir, "server.properties");
      let secure: SecureListener | undefined;
      const scram: string[] = [];
      if (options.secure) {
        secure = { port: securePort, keystore: join(dir, "broker.pem") };
        const { key, cert } = options.secure.tls;
        writeFileSync(secure.keystore, `${readFileSync(key, "utf8")}\n${readFileSync(cert, "utf8")}`, {
          mode: 0o600,
        });
        for (const { name, password } of options.secure.users)
          scram.push("--add-scram", `SCRAM-SHA-512=[name=${name},password=${password}]`);
        broker.secureBrokers = [`127.0.0.1:${securePort}`];
      }
      writeFileSync(config, serverProperties(dir, port, controllerPort, secure));
      // A given dir keeps the cluster id it has (--ignore-formatted).
      const clusterId = newClusterId();
      const tool = ["kafka.tools.StorageTool", "format", "--ignore-formatted", "-t", clusterId, ...scram];
      const format = await run("java", ["-cp", classpath, ...tool, "-c", config]);
      if (format.code !== 0)
        throw new Error(`formatting Kafka storage failed:\n${format.output.slice(-4_000)}`);
      await broker.#launch();
    } catch (error) {
      await broker.stop();
      throw error;
    }
    return broker;
  }

  get running(): boolean {
    return alive(this.#child);
  }

  /** Graceful shutdown (SIGTERM, SIGKILL after the grace), then the temporary directory goes. */
  async stop(graceMs = 20_000): Promise<void> {
    await stopChild(this.#child, "SIGTERM", graceMs);
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }

  /** The JVM dies at once, as on a crash; the data stays for restart(). */
  async kill(): Promise<void> {
    await stopChild(this.#child, "SIGKILL", 0);
  }

  /** Starts the broker again on the same ports and data, stopping it first if it still runs. */
  async restart(): Promise<void> {
    await stopChild(this.#child, "SIGTERM", 20_000);
    await this.#launch();
  }

  async #launch(): Promise<void> {
    // Without a Log4j 2 configuration nothing is logged, and readiness is read from the log.
    const jvm = ["-Xms512m", "-Xmx512m", "-XX:+UseG1GC", "-Djava.awt.headless=true", "-Dlog4j2.level=INFO"];
    const args = [...jvm, "-cp", this.classpath, "kafka.Kafka", join(this.dir, "server.properties")];
    const child = spawn("java", args, { stdio: ["ignore", "pipe", "pipe"] });
    this.#child = track(child);
    const logFile = createWriteStream(join(this.dir, "broker.log"), { flags: "a" });
    child.once("exit", () => logFile.end());
    const tail: string[] = [];
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (reason: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.kill("SIGKILL");
        reject(new Error(`Kafka broker on port ${this.port} ${reason}; last lines:\n${tail.join("\n")}`));
      };
      const timer = setTimeout(() => fail(`not ready within ${this.readyTimeoutMs} ms`), this.readyTimeoutMs);
      const onLine = (line: string): void => {
        logFile.write(`${line}\n`);
        if (settled) return;
        tail.push(line);
        if (tail.length > 30) tail.shift();
        // Only this JVM's own output counts: a port probe could answer from a previous broker.
        if (line.includes("Kafka Server started")) {
          settled = true;
          clearTimeout(timer);
          resolve();
        }
      };
      createInterface({ input: child.stdout }).on("line", onLine);
      createInterface({ input: child.stderr }).on("line", onLine);
      child.once("error", (error) => fail(`could not start: ${error.message}`));
      child.once("exit", (code, signal) => fail(`exited (${signal ?? `code ${code}`}) before it was ready`));
    });
  }
}
