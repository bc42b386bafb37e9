import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { install, quiet, toolCacheDir, type CachedTool, type Log } from "./cache.js";
import { exec } from "./exec.js";

export const KAFKA_VERSION = "4.1.2";
/**
 * Kafka's poms name no Log4j (its release tarball adds the jars); 2.25.3 is the Log4j 2 line Kafka
 * moved to, with the fix for CVE-2025-68161, and binds SLF4J 1.7 as Kafka 4.1 needs.
 */
export const LOG4J_VERSION = "2.25.3";

/** The pom sits in the source tree: next to this file, or three levels up from the build (dist/fleet/tools/). */
const pom = [
  join(import.meta.dirname, "kafka-pom.xml"),
  join(import.meta.dirname, "..", "..", "..", "fleet", "tools", "kafka-pom.xml"),
].find((path) => existsSync(path));

function pomFile(): string {
  if (!pom)
    throw new Error("fleet/tools/kafka-pom.xml not found next to fleet/tools/kafka.ts or in the source tree");
  return pom;
}

/** Keyed by the pom and the versions: a change to either makes a new entry. */
function recipe(): string {
  return createHash("sha256")
    .update(readFileSync(pomFile()))
    .update(`${KAFKA_VERSION} ${LOG4J_VERSION}`)
    .digest("hex")
    .slice(0, 12);
}

/**
 * An Apache Kafka broker's jars, as its release's `libs/`: Kafka and the Log4j 2 binding from Maven
 * Central, resolved by Maven (its local repository in the tool cache's `m2/`).
 */
export function kafkaJars(): CachedTool {
  return {
    entry: `kafka-${KAFKA_VERSION}-${recipe()}`,
    holds: [`libs/kafka_2.13-${KAFKA_VERSION}.jar`, `libs/log4j-core-${LOG4J_VERSION}.jar`],
    building: `resolving Apache Kafka ${KAFKA_VERSION} from Maven Central (first run only, about a minute)…`,
    build(dir) {
      exec("mvn", [
        "--batch-mode",
        "--quiet",
        "-f",
        pomFile(),
        `-Dmaven.repo.local=${join(toolCacheDir(), "m2")}`,
        `-Dkafka.version=${KAFKA_VERSION}`,
        `-Dlog4j.version=${LOG4J_VERSION}`,
        "-Dmdep.includeScope=runtime",
        `-DoutputDirectory=${join(dir, "libs")}`,
        "dependency:copy-dependencies",
      ]);
    },
  };
}

/** The broker's Java classpath: every jar of the cached entry. */
export function kafkaClasspath(log: Log = quiet): string {
  const libs = join(install(kafkaJars(), log), "libs");
  return readdirSync(libs)
    .filter((file) => file.endsWith(".jar"))
    .sort()
    .map((file) => join(libs, file))
    .join(delimiter);
}
