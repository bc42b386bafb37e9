import type { SyscallRule } from "./catalogue.js";
import type { Proc } from "./rules.js";
import { container, loginShell, proc, tty } from "./scenario.js";
import type { Profile, Stream } from "./stream.js";
import { BATCH_NODES, podIp, type Cluster } from "./workloads.js";

/**
 * Benign profiles of people: CI pipelines that developers push and engineers debugging by hand.
 * They bring most of the benign Warning, Error and even Critical alerts (a CI job running the test
 * binary it just built is "Drop and execute new binary" to Falco), which is what makes forwarding
 * every Warning expensive.
 */

const API_SERVER = "10.43.0.1:443";
const PKG = "Launch Package Management Process in Container" satisfies SyscallRule;

interface Project {
  id: number;
  image: string;
  tag: string;
  steps: (stream: Stream) => [rule: SyscallRule, p: Proc, evt: string][];
}

const ROOT = ["root", 0] as const;
const projects: Project[] = [
  {
    id: 412,
    image: "docker.io/library/golang",
    tag: "1.23",
    steps: (s) => [
      [
        PKG,
        proc(
          "apt-get",
          "apt-get install -y --no-install-recommends protobuf-compiler",
          "sh",
          "/usr/bin/apt-get",
          [...ROOT],
        ),
        "execve",
      ],
      ...Array.from({ length: s.rng.int(1, 4) }, (_, i): [SyscallRule, Proc, string] => {
        const pkg = ["api", "store", "auth", "billing"][i] ?? "api";
        const dir = `/tmp/go-build${s.rng.int(100_000_000, 999_999_999)}/b00${i + 1}`;
        return [
          "Drop and execute new binary in container",
          proc(
            `${pkg}.test`,
            `${dir}/${pkg}.test -test.v=true -test.timeout=10m0s`,
            "go",
            `${dir}/${pkg}.test`,
            [...ROOT],
          ),
          "execve",
        ];
      }),
    ],
  },
  {
    id: 415,
    image: "docker.io/library/node",
    tag: "22",
    steps: () => [
      [
        PKG,
        proc("npm", "npm ci --no-audit --prefer-offline", "sh", "/usr/local/bin/npm", [...ROOT]),
        "execve",
      ],
      [
        "Drop and execute new binary in container",
        proc(
          "esbuild",
          "/builds/acme/web/node_modules/@esbuild/linux-x64/bin/esbuild --service=0.24.0 --ping",
          "node",
          "/builds/acme/web/node_modules/@esbuild/linux-x64/bin/esbuild",
          [...ROOT],
        ),
        "execve",
      ],
    ],
  },
  {
    id: 418,
    image: "docker.io/library/python",
    tag: "3.12",
    steps: () => [
      [PKG, proc("pip", "pip install -r requirements.txt", "sh", "/usr/local/bin/pip", [...ROOT]), "execve"],
    ],
  },
];

/** GitLab runner jobs: busy on weekdays, a scheduled pipeline now and then at night. */
export function ciProfile(stream: Stream): Profile {
  let job = 8_812_000;
  return {
    run(from, to) {
      stream.poisson(
        from,
        to,
        16,
        (t) => stream.office(t, 8, 19, 0.08),
        (t0) => {
          const project = stream.rng.pick(projects);
          const node = stream.rng.pick(BATCH_NODES);
          const pod = `runner-${stream.rng.chars(8, "abcdefghijklmnopqrstuvwxyz0123456789")}-project-${project.id}-concurrent-${stream.rng.int(0, 3)}`;
          const build = container(stream.rng, ["ci", pod, "build", project.image, project.tag, node]);
          let t = t0;
          for (const [rule, p, evt] of project.steps(stream))
            stream.emit((t += stream.uniform(5, 90)), rule, build, p, evt);
          job++;
          if (!stream.rng.chance(0.3)) return;
          // Deploy stage: kubectl in its own job pod.
          const deploy = container(stream.rng, [
            "ci",
            pod.replace(/concurrent-\d/, "concurrent-9"),
            "build",
            "docker.io/bitnami/kubectl",
            "1.31",
            node,
          ]);
          const kubectl = proc(
            "kubectl",
            `kubectl apply -f k8s/ --namespace=shop --prune -l app.kubernetes.io/part-of=acme --record=job-${job}`,
            "sh",
            "/opt/bitnami/kubectl/bin/kubectl",
            ["1001", 1001],
          );
          stream.emit(
            (t += stream.uniform(30, 120)),
            "The docker client is executed in a container",
            deploy,
            kubectl,
            "execve",
          );
          stream.emit(
            t + 0.2,
            "Contact K8S API Server From Container",
            deploy,
            kubectl,
            "connect",
            `${podIp(stream.rng, node)}:${stream.rng.int(32768, 60999)}->${API_SERVER}`,
          );
        },
      );
    },
  };
}

/** Engineers on call `kubectl exec -it` into a pod and poke around. */
export function engineerProfile(stream: Stream, cluster: Cluster): Profile {
  const actions: [weight: number, rule: SyscallRule, p: Proc, evt: string, fd?: string][] = [
    [3, PKG, tty("apt-get", "apt-get update", "bash", "/usr/bin/apt-get"), "execve"],
    [
      3,
      PKG,
      tty("apt-get", "apt-get install -y --no-install-recommends tcpdump curl", "bash", "/usr/bin/apt-get"),
      "execve",
    ],
    [
      2,
      "Packet socket created in container",
      tty("tcpdump", "tcpdump -i eth0 -nn -c 200 port 5432", "bash", "/usr/bin/tcpdump"),
      "socket",
    ],
    [
      2,
      "PTRACE attached to process",
      tty("strace", "strace -f -p 1 -e trace=network", "bash", "/usr/bin/strace"),
      "ptrace",
    ],
    [
      2,
      "Read environment variable from /proc files",
      tty("cat", "cat /proc/1/environ", "bash", "/usr/bin/cat"),
      "openat",
      "/proc/1/environ",
    ],
    [
      2,
      "Launch Suspicious Network Tool in Container",
      tty("nc", "nc -zv postgres-0.postgres.data 5432", "bash", "/usr/bin/nc"),
      "execve",
    ],
    [
      1,
      "Launch Ingress Remote File Copy Tools in Container",
      tty(
        "curl",
        "curl -sS -o /tmp/heap.hprof http://localhost:8081/actuator/heapdump",
        "bash",
        "/usr/bin/curl",
      ),
      "execve",
    ],
    [
      1,
      "Clear Log Activities",
      tty("truncate", "truncate -s 0 /var/log/nginx/error.log", "bash", "/usr/bin/truncate"),
      "openat",
      "/var/log/nginx/error.log",
    ],
  ];
  const total = actions.reduce((sum, [w]) => sum + w, 0);
  const pickAction = () => {
    let r = stream.rng.float() * total;
    for (const action of actions) if ((r -= action[0]) < 0) return action;
    return actions[0];
  };
  return {
    run(from, to) {
      stream.poisson(
        from,
        to,
        1.5,
        (t) => stream.office(t, 9, 18, 0),
        (t0) => {
          const target = stream.rng.pick(cluster.all);
          stream.emit(t0, "Terminal shell in container", target.on, loginShell, "execve");
          let t = t0;
          for (let n = stream.rng.int(1, 4); n > 0; n--) {
            const action = pickAction();
            if (action === undefined) continue;
            const [, rule, p, evt, fd] = action;
            stream.emit((t += stream.uniform(20, 400)), rule, target.on, p, evt, fd);
          }
        },
      );
    },
  };
}
