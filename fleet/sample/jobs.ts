import type { SyscallRule } from "./catalogue.js";
import { K8S_SUFFIX, container, proc } from "./scenario.js";
import { DAY, Every, type Profile, type Stream } from "./stream.js";
import { BATCH_NODES, podIp } from "./workloads.js";

/**
 * Benign profile of scheduled work: a CronJob every two minutes, a nightly ETL run and a nightly
 * database dump, each in a pod of its own.
 */

const API_SERVER = "10.43.0.1:443";
const SHELL = "Run shell untrusted" satisfies SyscallRule;
const APP = ["app", 10001] as const;

function batchNode(stream: Stream): string {
  return stream.rng.pick(BATCH_NODES);
}

/** The report CronJob every two minutes, a nightly ETL run and a nightly database dump. */
export function batchProfile(stream: Stream): Profile {
  const reports = new Every(stream, 120, 0);
  let run = 28_374_000;
  const shells = [
    "sh -c gzip -9 /tmp/out/orders.csv",
    "sh -c gzip -9 /tmp/out/refunds.csv",
    "sh -c sha256sum /tmp/out/*.gz > /tmp/out/SHA256SUMS",
    "sh -c df -h /tmp",
  ];
  const java = proc(
    "java",
    "java -XX:MaxRAMPercentage=75 -jar /app/report.jar --period=PT2M",
    "containerd-shim",
    "/opt/java/openjdk/bin/java",
    [...APP],
  );
  const rsync = proc(
    "rsync",
    "rsync -az /tmp/out/ rsync://reports@backup.data.svc.cluster.local/reports/",
    "sh",
    "/usr/bin/rsync",
    [...APP],
  );
  const copy = "Launch Remote File Copy Tools in Container" satisfies SyscallRule;
  return {
    run(from, to) {
      reports.run(to, (t0) => {
        const node = batchNode(stream);
        const job = container(stream.rng, [
          "batch",
          `report-${run++}-${stream.rng.chars(5, K8S_SUFFIX)}`,
          "report",
          "ghcr.io/acme/report",
          "2.4.1",
          node,
        ]);
        stream.emit(
          t0 + stream.uniform(1, 3),
          "Contact K8S API Server From Container",
          job,
          java,
          "connect",
          `${podIp(stream.rng, node)}:${stream.rng.int(32768, 60999)}->${API_SERVER}`,
        );
        for (let s = stream.rng.int(3, 5); s > 0; s--) {
          stream.emit(
            t0 + stream.uniform(5, 50),
            SHELL,
            job,
            proc("sh", stream.rng.pick(shells), "java", "/bin/sh", [...APP]),
            "execve",
          );
        }
        stream.emit(t0 + stream.uniform(55, 65), copy, job, rsync, "execve");
      });
      for (let day = Math.ceil(from / DAY) * DAY; day < to; day += DAY) {
        const etl = container(stream.rng, [
          "batch",
          `etl-${run}-${stream.rng.chars(5, K8S_SUFFIX)}`,
          "etl",
          "ghcr.io/acme/etl",
          "5.2.0",
          batchNode(stream),
        ]);
        const partitions = stream.rng.int(40, 120);
        for (let i = 0; i < partitions; i++) {
          const cmd = `sh -c zstd -q -19 /data/part-${String(i).padStart(5, "0")}.parquet`;
          stream.emit(
            day + 7200 + i * stream.uniform(8, 12),
            SHELL,
            etl,
            proc("sh", cmd, "python3", "/bin/sh", [...APP]),
            "execve",
          );
        }
        const scp = proc(
          "scp",
          "scp -q /data/export.tar.zst etl@archive.data.svc:/exports/",
          "python3",
          "/usr/bin/scp",
          [...APP],
        );
        stream.emit(day + 7200 + partitions * 12 + 30, copy, etl, scp, "execve");

        const dump = container(stream.rng, [
          "data",
          `pg-backup-${run}-${stream.rng.chars(5, K8S_SUFFIX)}`,
          "pg-backup",
          "docker.io/library/postgres",
          "16.6",
          batchNode(stream),
        ]);
        const cmd = "sh -c pg_dumpall -h postgres-0.postgres -U backup | zstd > /backup/all.sql.zst";
        stream.emit(
          day + 10_800 + stream.uniform(0, 60),
          SHELL,
          dump,
          proc("sh", cmd, "tini", "/bin/sh", ["postgres", 999]),
          "execve",
        );
        const up = proc("rsync", "rsync -a /backup/ rsync://backup.data.svc/pg/", "sh", "/usr/bin/rsync", [
          "postgres",
          999,
        ]);
        stream.emit(day + 11_400 + stream.uniform(0, 300), copy, dump, up, "execve");
      }
    },
  };
}
