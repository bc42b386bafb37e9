"""Pods created on demand: GitLab CI job pods, JupyterHub notebook servers, Airflow task pods and
Spark applications. They are short-lived, named afresh every time, and (for CI) legitimately do
what attackers do: download tools, write below /usr/local/bin, run binaries that are not in the
image, install packages and call the API server.
"""

import names
from behaviour import Activity, Archetype, Emit, OnStart, Rate, container_env, fetch_rule, main_proc
from cluster import DAY, HOUR, NS, Container, poisson_times
from procs import OPEN_TRUNC, OPEN_WRITE, ROOT, Proc, User, execve, openat, syscall
from workloads import JOVYAN, api_connect, dropped, imds_connects, ms, secs


# --- GitLab CI -------------------------------------------------------------------------------

LANG_JOBS = {
    "go": ("lint", "go-test", "build", "deploy"),
    "node": ("lint", "node-build", "build", "deploy"),
    "python": ("python-test", "build", "deploy"),
    "infra": ("lint", "terraform"),
    "rust": ("rust-build", "build"),
}

JOB_IMAGES = {
    "go-test": ("docker.io/library/golang", ("1.22-bookworm", "1.23-bookworm", "1.23")),
    "node-build": ("docker.io/library/node", ("20-bookworm", "22-bookworm-slim", "20-alpine")),
    "python-test": ("docker.io/library/python", ("3.11-slim", "3.12-slim", "3.12-bookworm")),
    "kaniko": ("gcr.io/kaniko-project/executor", ("v1.23.2-debug",)),
    "docker-build": ("docker.io/library/docker", ("27", "27-cli")),
    "deploy": ("docker.io/bitnami/kubectl", ("1.30.6", "1.31.2")),
    "terraform": ("docker.io/hashicorp/terraform", ("1.9.8", "1.9")),
    "lint": ("docker.io/library/alpine", ("3.20",)),
    "rust-build": ("docker.io/library/rust", ("1.82-slim-bookworm",)),
}

JOB_MINUTES = {"go-test": (3, 14), "node-build": (3, 12), "python-test": (2, 10), "kaniko": (3, 15), "docker-build": (3, 12),
               "deploy": (1, 6), "terraform": (2, 8), "lint": (1, 3), "rust-build": (6, 20)}

WORDS = ("billing", "checkout", "catalog", "identity", "search", "ledger", "notify", "gateway", "reports",
         "pricing", "inventory", "shipping", "profile", "media", "ingest", "scheduler", "audit", "metrics",
         "portal", "mobile-bff", "fraud", "risk", "docs", "infra-live", "platform-modules", "tooling")
GROUPS = ("platform", "payments", "commerce", "data", "growth", "core", "mobile", "sre", "security")
GO_PACKAGES = ("internal/api", "internal/store", "internal/auth", "internal/config", "internal/worker", "pkg/client",
               "pkg/retry", "pkg/metrics", "internal/handlers", "internal/queue", "pkg/validation", "cmd/server")


def gitlab_projects(rng, count):
    """The projects whose pipelines run on this runner, each with a language and a few habits."""
    projects, used = [], set()
    for index in range(count):
        name = rng.choice(WORDS)
        if name in used:
            name = f"{name}-{rng.choice(('svc', 'api', 'worker', 'lib', 'v2'))}"
        used.add(name)
        lang = rng.choices(("go", "node", "python", "infra", "rust"), (5, 4, 4, 2, 0.5))[0]
        projects.append({
            "group": rng.choice(GROUPS), "project": name, "pid": rng.randint(40, 2400), "lang": lang,
            "packages": rng.sample(GO_PACKAGES, rng.randint(3, 10)),
            "tools": rng.random() < 0.35, "deploy_key": rng.random() < 0.2, "secret_lint": rng.random() < 0.3,
            "in_cluster_deploy": rng.random() < 0.6, "devshm": rng.random() < 0.04,
            "builder": rng.choice(("kaniko", "kaniko", "docker-build")),
            "weight": rng.paretovariate(1.3),
        })
    return projects


def gitlab_arrivals(rng, cluster, workload):
    """Pipelines from pushes during the working day plus nightly scheduled pipelines; each pipeline
    runs its project's jobs one after another, every job in a fresh pod."""
    params = workload.params
    projects = params["projects"]
    weights = [p["weight"] for p in projects]
    starts = poisson_times(rng, cluster.start, cluster.end, params["pipelines_per_day"] * cluster.scale / 24, "human", cluster.tz)
    nightly = cluster.start + int(((2.0 - cluster.tz) % 24) * HOUR)
    while nightly < cluster.end:
        starts += [nightly + secs(rng, 0, 1200) for _ in range(max(1, len(projects) // 3))]
        nightly += DAY
    jobs = []
    for start in sorted(starts):
        project = rng.choices(projects, weights)[0]
        t = start
        stages = LANG_JOBS[project["lang"]]
        for job in stages[: rng.randint(2, len(stages))]:
            job = project["builder"] if job == "build" else job
            duration = secs(rng, JOB_MINUTES[job][0] * 60, JOB_MINUTES[job][1] * 60)
            name = (f"runner-{params['token']}-project-{project['pid']}-concurrent-{rng.randint(0, params['concurrent'] - 1)}-"
                    f"{names.pick(rng, names.LOWER_ALNUM, 8)}")
            jobs.append({"start": t, "end": t + duration, "name": name, "extra": {"job": job, **project}})
            t += duration + secs(rng, 5, 90)
    return jobs


def ci_shell(ctx):
    """The k8s executor's build container runs the generated job script in bash (sh on Alpine)."""
    extra, alpine = ctx.pod.extra, ctx.container.tag.endswith("alpine") or ctx.pod.extra["job"] == "lint"
    name, exepath = ("sh", "/bin/busybox") if alpine else ("bash", "/usr/bin/bash")
    if extra["job"] == "kaniko":
        name, exepath = "sh", "/busybox/sh"
    return Proc(name=name, exepath=exepath, user=ROOT, cwd=f"/builds/{extra['group']}/{extra['project']}",
                env=container_env(ctx), ancestors=ctx.cluster.ancestry(ctx.container))


def drop_exec(ctx, rng, t, parent, name, path, args, cwd=None):
    proc = parent.spawn(name, path, args, layer="upper", exe=path, cwd=cwd or parent.cwd)
    return Emit(t, "Drop and execute new binary in container", ctx.container, dropped(proc, t, rng))


def package_run(ctx, t, parent, name, path, args):
    """A package manager from the image: the audit rule for drift in running containers."""
    return Emit(t, "Launch Package Management Process in Container", ctx.container, execve(parent.spawn(name, path, args)))


def go_test_job(ctx, rng, t, shell):
    extra, out = ctx.pod.extra, []
    t += secs(rng, 8, 60)                                   # go mod download
    go = shell.spawn("go", "/usr/local/go/bin/go", "test -count=1 ./...")
    build_dir = "/dev/shm" if extra["devshm"] else f"/tmp/go-build{rng.randint(10 ** 8, 10 ** 9 - 1)}"
    for package in extra["packages"]:
        t += secs(rng, 1, 25)
        short = package.rsplit("/", 1)[1]
        binary = f"{build_dir}/b{rng.randint(1, 480):03d}/{short}.test"
        cwd = f"{shell.cwd}/{package}"
        if extra["devshm"]:                                  # tmpfs is not the overlay upper layer
            test = go.spawn(f"{short}.test", binary, "-test.paniconexit0 -test.timeout=10m0s", layer="tmpfs", exe=binary, cwd=cwd)
            out.append(Emit(t, "Execution from /dev/shm", ctx.container, execve(test, **{"fd.name": None})))
        else:
            out.append(drop_exec(ctx, rng, t, go, f"{short}.test", binary, "-test.paniconexit0 -test.timeout=10m0s -test.count=1", cwd))
    if rng.random() < 0.5:
        t += secs(rng, 10, 50)
        out.append(drop_exec(ctx, rng, t, shell, extra["project"], f"{shell.cwd}/bin/{extra['project']}", "--version"))
    return out


def node_build_job(ctx, rng, t, shell):
    extra, out = ctx.pod.extra, []
    npm_path = "/usr/local/lib/node_modules/npm/bin/npm-cli.js"
    if ctx.container.tag.endswith("alpine"):
        out.append(package_run(ctx, t, shell, "apk", "/sbin/apk", "add --no-cache git openssh-client"))
        t += secs(rng, 3, 15)
    out.append(package_run(ctx, t, shell, "npm", npm_path, "ci --no-audit --prefer-offline"))
    esbuild = f"{shell.cwd}/node_modules/@esbuild/linux-x64/bin/esbuild"
    t += secs(rng, 20, 90)
    install = shell.spawn("npm", npm_path, "ci").spawn("sh", "/usr/bin/dash" if "alpine" not in ctx.container.tag else "/bin/busybox",
                                                        "-c node install.js").spawn("node", "/usr/local/bin/node", "install.js")
    out.append(drop_exec(ctx, rng, t, install, "esbuild", esbuild, "--version"))
    for script in ("run build", "test -- --ci"):
        t += secs(rng, 10, 120)
        out.append(package_run(ctx, t, shell, "npm", npm_path, script))
    return out


def python_test_job(ctx, rng, t, shell):
    out = [package_run(ctx, t, shell, "apt-get", "/usr/bin/apt-get", "update -qq")]
    t += secs(rng, 4, 20)
    out.append(package_run(ctx, t, shell, "apt-get", "/usr/bin/apt-get",
                            f"install -y -qq --no-install-recommends {' '.join(rng.sample(('libpq-dev', 'gcc', 'git', 'libxml2-dev', 'build-essential', 'curl'), 2))}"))
    t += secs(rng, 15, 60)
    out.append(package_run(ctx, t, shell, "pip", "/usr/local/bin/pip", "install --no-cache-dir -r requirements.txt -r requirements-dev.txt"))
    if rng.random() < 0.4:
        t += secs(rng, 20, 90)
        out.append(package_run(ctx, t, shell, "pip", "/usr/local/bin/pip", "install -e ."))
    return out


KANIKO_STEPS = {
    "debian": [("sh", "/usr/bin/dash", "-c apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata && rm -rf /var/lib/apt/lists/*"),
               ("apt-get", "/usr/bin/apt-get", "update"), ("http", "/usr/lib/apt/methods/http", ""), ("http", "/usr/lib/apt/methods/http", ""),
               ("gpgv", "/usr/bin/gpgv", "--homedir /tmp/apt-key-gpghome.Xw --keyring /etc/apt/trusted.gpg.d/debian-archive-bookworm-automatic.asc"),
               ("apt-get", "/usr/bin/apt-get", "install -y --no-install-recommends ca-certificates tzdata"),
               ("dpkg", "/usr/bin/dpkg", "--status-fd 31 --no-triggers --unpack --auto-deconfigure /var/cache/apt/archives/tzdata_2024b-0+deb12u1_all.deb"),
               ("dpkg", "/usr/bin/dpkg", "--status-fd 31 --configure --pending"),
               ("sh", "/usr/bin/dash", "-c useradd --system --uid 10001 --no-create-home app"), ("useradd", "/usr/sbin/useradd", "--system --uid 10001 --no-create-home app")],
    "python": [("sh", "/usr/bin/dash", "-c pip install --no-cache-dir -r requirements.txt"), ("pip", "/usr/local/bin/pip", "install --no-cache-dir -r requirements.txt"),
               ("python3.12", "/usr/local/bin/python3.12", "-m pip wheel --no-deps -w /tmp/pip-wheel-b8k2 /tmp/pip-install-x1/psycopg"),
               ("sh", "/usr/bin/dash", "-c python -m compileall -q /app"), ("python", "/usr/local/bin/python3.12", "-m compileall -q /app")],
    "golang": [("sh", "/bin/busybox", "-c go mod download"), ("go", "/usr/local/go/bin/go", "mod download"),
               ("sh", "/bin/busybox", "-c CGO_ENABLED=0 go build -trimpath -ldflags=-s -o /out/app ./cmd/server"),
               ("go", "/usr/local/go/bin/go", "build -trimpath -ldflags=-s -o /out/app ./cmd/server"),
               ("compile", "/usr/local/go/pkg/tool/linux_amd64/compile", "-o $WORK/b001/_pkg_.a -trimpath -p main -lang=go1.23 -complete -buildid x -c=4 -nolocalimports"),
               ("compile", "/usr/local/go/pkg/tool/linux_amd64/compile", "-o $WORK/b012/_pkg_.a -trimpath -p internal/api -lang=go1.23 -complete -c=4"),
               ("asm", "/usr/local/go/pkg/tool/linux_amd64/asm", "-p runtime -trimpath -I $WORK/b011/ -gensymabis -o $WORK/b011/symabis"),
               ("link", "/usr/local/go/pkg/tool/linux_amd64/link", "-o $WORK/b001/exe/a.out -importcfg $WORK/b001/importcfg.link -buildmode=exe -s")],
    "alpine": [("sh", "/bin/busybox", "-c apk add --no-cache ca-certificates tzdata"), ("apk", "/sbin/apk", "add --no-cache ca-certificates tzdata"),
               ("sh", "/bin/busybox", "-c addgroup -S app && adduser -S -G app app"), ("addgroup", "/bin/busybox", "-S app"), ("adduser", "/bin/busybox", "-S -G app app")],
}


def kaniko_job(ctx, rng, t, shell):
    """kaniko unpacks the base image into its own container, so every RUN step executes files from
    the container's upper layer: a burst of 'drop and execute' per build."""
    extra = ctx.pod.extra
    registry = ctx.cluster.registry or "registry.example.com"
    executor = shell.spawn("executor", "/kaniko/executor",
                           f"--context dir:///builds/{extra['group']}/{extra['project']} --dockerfile Dockerfile "
                           f"--destination {registry}/{extra['group']}/{extra['project']}:{names.git_sha(rng, 8)} --cache=true")
    family = {"go": "golang", "python": "python", "node": "debian", "rust": "debian"}.get(extra["lang"], "alpine")
    steps = KANIKO_STEPS[family] + (KANIKO_STEPS["debian"] if family == "python" else [])
    out, t = [], t + secs(rng, 20, 90)
    step_shell = None
    for name, path, args in steps:
        t += ms(rng, 30, 4000)
        parent = executor if name == "sh" else (step_shell or executor)
        proc = parent.spawn(name, path, args, layer="upper", exe=path, cwd="/")
        if name == "sh":
            step_shell = proc
        out.append(Emit(t, "Drop and execute new binary in container", ctx.container, dropped(proc, t, rng, (20, 200))))
        if name == "dpkg" and rng.random() < 0.25:
            out.append(Emit(t + ms(rng, 50, 900), "Set Setuid or Setgid bit", ctx.container,
                            syscall(proc, "fchmodat", **{"evt.arg.filename": "/usr/bin/passwd", "evt.arg.fd": None,
                                                         "evt.arg.mode": "S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISUID"})))
    return out


def docker_build_job(ctx, rng, t, shell):
    """`docker build` against a docker:dind service: the docker client counts as a Kubernetes client
    tool, and the service container is privileged."""
    extra = ctx.pod.extra
    service = ctx.pod.containers["svc-0"]
    dockerd = Proc("dockerd-entrypoi", "/bin/busybox", "/usr/local/bin/dockerd-entrypoint.sh dockerd --host=tcp://0.0.0.0:2375",
                   ancestors=ctx.cluster.ancestry(service))
    out = [Emit(service.start + ms(rng, 0, 40), "Launch Privileged Container", service, execve(dockerd))]
    image = f"{ctx.cluster.registry or 'registry.example.com'}/{extra['group']}/{extra['project']}:{names.git_sha(rng, 8)}"
    for args in (f"login -u gitlab-ci-token --password-stdin {image.split('/')[0]}", f"build --pull -t {image} .", f"push {image}"):
        docker = shell.spawn("docker", "/usr/local/bin/docker", args)
        out.append(Emit(t, "Kubernetes Client Tool Launched in Container", ctx.container, execve(docker)))
        t += secs(rng, 2, 140)
    return out


def deploy_job(ctx, rng, t, shell):
    extra = ctx.pod.extra
    out = [Emit(t, "Decoding Payload in Container", ctx.container, execve(shell.spawn("base64", "/usr/bin/base64", "-d")))]
    env = rng.choice(("staging", "staging", "production"))
    for args in (f"apply -k deploy/overlays/{env}", f"rollout status deployment/{extra['project']} -n {extra['group']}-{env} --timeout=5m"):
        t += secs(rng, 1, 8)
        kubectl = shell.spawn("kubectl", "/opt/bitnami/kubectl/bin/kubectl", args)
        out.append(Emit(t, "Kubernetes Client Tool Launched in Container", ctx.container, execve(kubectl)))
        if extra["in_cluster_deploy"]:
            out.append(api_connect(ctx, rng, t + ms(rng, 30, 300), kubectl))
    return out


def terraform_job(ctx, rng, t, shell):
    """Providers are downloaded by `terraform init` and then executed: new binaries, every run."""
    out = []
    terraform = shell.spawn("terraform", "/bin/terraform", "plan -input=false -lock-timeout=5m -out=plan.tfplan")
    t += secs(rng, 20, 80)
    for provider, version in rng.sample((("aws", "5.74.0"), ("kubernetes", "2.33.0"), ("helm", "2.16.1"), ("random", "3.6.3")), rng.randint(1, 3)):
        t += ms(rng, 100, 3000)
        path = (f"{shell.cwd}/.terraform/providers/registry.terraform.io/hashicorp/{provider}/{version}/linux_amd64/"
                f"terraform-provider-{provider}_v{version}_x5")
        out.append(drop_exec(ctx, rng, t, terraform, f"terraform-provider-{provider}_v{version}_x5", path, ""))
        if provider == "aws":
            out.extend(imds_connects(ctx, rng, t + ms(rng, 50, 800), terraform.spawn("terraform-provi", path, ""), count=2))
    return out


def lint_job(ctx, rng, t, shell):
    extra, out = ctx.pod.extra, []
    if extra["secret_lint"]:
        grep = shell.spawn("grep", "/bin/busybox", '-rIl -e "BEGIN RSA PRIVATE KEY" -e "BEGIN OPENSSH PRIVATE KEY" --exclude-dir=.git .')
        out.append(Emit(t, "Search Private Keys or Passwords", ctx.container, execve(grep)))
        t += secs(rng, 2, 10)
    return out


def tool_install(ctx, rng, t, shell):
    """`curl -o /usr/local/bin/<tool>` then run it: ingress copy, write below a monitored dir, new binary."""
    tool, url = rng.choice((("yq", "https://github.com/mikefarah/yq/releases/download/v4.44.3/yq_linux_amd64"),
                            ("helm", "https://get.helm.sh/helm-v3.16.2-linux-amd64.tar.gz"),
                            ("kustomize", "https://github.com/kubernetes-sigs/kustomize/releases/download/kustomize%2Fv5.5.0/kustomize_v5.5.0_linux_amd64.tar.gz"),
                            ("jq", "https://github.com/jqlang/jq/releases/download/jq-1.7.1/jq-linux-amd64")))
    path = f"/usr/local/bin/{tool}"
    curl = shell.spawn("curl", "/usr/bin/curl", f"-sSL -o {path} {url}")
    out = [Emit(t, fetch_rule(ctx, "curl"), ctx.container, execve(curl)),
           Emit(t + ms(rng, 200, 1500), "Write below monitored dir", ctx.container, openat(curl, path, "O_WRONLY|O_CREAT|O_TRUNC"))]
    t += secs(rng, 2, 8)
    out.append(drop_exec(ctx, rng, t, shell, tool, path, "--version"))
    return out


def deploy_key(ctx, rng, t, shell):
    """Jobs that clone over ssh write their key and known_hosts below /root/.ssh (a monitored dir)."""
    return [Emit(t, "Write below monitored dir", ctx.container, openat(shell, "/root/.ssh/id_ed25519", OPEN_TRUNC)),
            Emit(t + ms(rng, 300, 2500), "Write below monitored dir", ctx.container, openat(shell, "/root/.ssh/known_hosts", OPEN_WRITE))]


def rust_job(ctx, rng, t, shell):
    rustup = shell.spawn("rustup-init", f"{shell.cwd}/rustup-init", "-y --profile minimal --default-toolchain 1.82.0")
    out = [Emit(t + ms(rng, 200, 900) * i, "Modify Shell Configuration File", ctx.container, openat(rustup, path, OPEN_WRITE))
           for i, path in enumerate(("/root/.profile", "/root/.bashrc"), start=1)]
    t += secs(rng, 60, 300)
    cargo = shell.spawn("cargo", "/root/.cargo/bin/cargo", "test --locked")
    for crate in rng.sample(("core", "api", "storage", "cli", "proto"), 3):
        t += secs(rng, 5, 60)
        path = f"{shell.cwd}/target/debug/deps/{crate}-{names.hex_string(rng, 16)}"
        out.append(drop_exec(ctx, rng, t, cargo, path.rsplit("/", 1)[1], path, "--test-threads 4"))
    return out


JOB_SCRIPTS = {"go-test": go_test_job, "node-build": node_build_job, "python-test": python_test_job, "kaniko": kaniko_job,
               "docker-build": docker_build_job, "deploy": deploy_job, "terraform": terraform_job, "lint": lint_job,
               "rust-build": rust_job}


def run_ci_job(ctx, rng, t):
    extra = ctx.pod.extra
    shell = ci_shell(ctx)
    out = []
    if extra["deploy_key"] and extra["job"] != "kaniko":
        out += deploy_key(ctx, rng, t, shell)
        t += secs(rng, 2, 6)
    if extra["tools"] and extra["job"] in ("lint", "deploy", "go-test"):
        out += tool_install(ctx, rng, t, shell)
        t += secs(rng, 5, 20)
    out += JOB_SCRIPTS[extra["job"]](ctx, rng, t, shell)
    return [e for e in out if e.t < ctx.pod.end]


class GitlabJob(Archetype):
    """Job pods take their image from the job; docker builds add a privileged dind service container."""

    def make_containers(self, rng, cluster, workload, pod, tag):
        repository, tags = JOB_IMAGES[pod.extra["job"]]
        begin = pod.start + secs(rng, 1, 4)
        pod.containers["build"] = Container(id=names.container_id(rng), name="build", image=repository,
                                            tag=rng.choice(tags), start=begin, pod=pod)
        if pod.extra["job"] == "docker-build":
            pod.containers["svc-0"] = Container(id=names.container_id(rng), name="svc-0", image="docker.io/library/docker",
                                                tag="27-dind", start=begin - ms(rng, 100, 900), pod=pod, privileged=True)


# --- JupyterHub ------------------------------------------------------------------------------

def notebook_sessions(rng, cluster, workload):
    """Each user starts a server some working days; the hub culls it after it idles."""
    sessions = []
    for user in workload.params["users"]:
        for start in poisson_times(rng, cluster.start, cluster.end, workload.params["sessions_per_day"] / 24, "human", cluster.tz):
            if not any(s["name"] == f"jupyter-{user}" and s["end"] > start for s in sessions):
                sessions.append({"start": start, "end": start + secs(rng, 1800, 9 * 3600), "name": f"jupyter-{user}"})
    return sessions


def notebook_action(ctx, rng, t):
    """Someone working in a notebook or its terminal; people do reach for pip, curl and their ssh keys."""
    server = main_proc(ctx)
    kernel = server.spawn("python", "/opt/conda/bin/python3.11",
                          f"-m ipykernel_launcher -f /home/jovyan/.local/share/jupyter/runtime/kernel-{names.uuid4(rng)}.json")
    terminal = server.spawn("bash", "/usr/bin/bash", "-l", tty=34816 + rng.randint(0, 2))
    choice = rng.choices(("pip", "conda", "curl", "wget", "ssh", "conda-init"), (5, 1.5, 2, 1.5, 0.5, 0.25))[0]
    package = rng.choice(("polars", "pyarrow==17.0.0", "great-expectations", "lightgbm", "s3fs", "plotly", "duckdb", "scikit-learn==1.5.2"))
    if choice == "pip":
        parent = kernel.spawn("sh", "/usr/bin/dash", f"-c pip install -q {package}") if rng.random() < 0.6 else terminal
        return [package_run(ctx, t, parent, "pip", "/opt/conda/bin/pip", f"install -q {package}")]
    if choice == "conda":
        return [package_run(ctx, t, terminal, "conda", "/opt/conda/bin/conda", f"install -y -c conda-forge {package.split('==')[0]}")]
    if choice in ("curl", "wget"):
        dataset = f"{rng.choice(('taxi', 'orders', 'events', 'sensors', 'census'))}_{rng.randint(2019, 2026)}.parquet"
        args = (f"-sSL -o /home/jovyan/work/{dataset} https://data.example.org/exports/{dataset}" if choice == "curl"
                else f"-q https://data.example.org/exports/{dataset} -O /home/jovyan/work/{dataset}")
        parent = kernel.spawn("sh", "/usr/bin/dash", f"-c {choice} {args}")
        return [Emit(t, fetch_rule(ctx, choice), ctx.container, execve(parent.spawn(choice, f"/usr/bin/{choice}", args)))]
    if choice == "ssh":
        cat = terminal.spawn("cat", "/usr/bin/cat", "/home/jovyan/.ssh/id_ed25519.pub")
        return [Emit(t, "Read ssh information", ctx.container, openat(cat, "/home/jovyan/.ssh/id_ed25519.pub"))]
    conda = terminal.spawn("conda", "/opt/conda/bin/python3.11", "/opt/conda/bin/conda init bash")
    return [Emit(t, "Modify Shell Configuration File", ctx.container, openat(conda, "/home/jovyan/.bashrc", OPEN_TRUNC))]


# --- Airflow task pods and Spark applications ------------------------------------------------

def scheduled_runs(rng, cluster, period_s, offset_s):
    period, t = period_s * NS, cluster.start - cluster.start % (period_s * NS) + offset_s * NS
    while t < cluster.end:
        if t >= cluster.start:
            yield t
        t += period


def airflow_arrivals(rng, cluster, workload):
    """Every DAG run starts its tasks one after the other, each in its own pod (KubernetesExecutor)."""
    pods = []
    for dag in workload.params["dags"]:
        for run in scheduled_runs(rng, cluster, dag["period_s"], dag["offset_s"]):
            t = run + secs(rng, 2, 30)
            for task in dag["tasks"]:
                duration = secs(rng, 30, dag["task_s"])
                name = f"{dag['id']}-{task}-{names.pick(rng, names.LOWER_ALNUM, 8)}"[:63]
                pods.append({"start": t, "end": t + duration, "name": name, "extra": {"dag": dag, "task": task}})
                t += duration + secs(rng, 3, 25)
    return pods


def airflow_task(ctx, rng, t):
    """What the task does depends on its kind: cloud SDK calls, a curl download, a spark-submit."""
    dag, task = ctx.pod.extra["dag"], ctx.pod.extra["task"]
    runner = main_proc(ctx, args=f"/home/airflow/.local/bin/airflow tasks run {dag['id']} {task} scheduled__{t // NS} --local --subdir DAGS_FOLDER/{dag['id']}.py")
    out = []
    if dag.get("decode"):
        out.append(Emit(t, "Decoding Payload in Container", ctx.container,
                        execve(runner.spawn("bash", "/usr/bin/bash", "-c echo $GCP_SA_KEY | base64 -d > /tmp/sa.json").spawn("base64", "/usr/bin/base64", "-d"))))
    kind = dag["kinds"].get(task, "python")
    t += secs(rng, 4, 20)
    if kind == "cloud":
        out += imds_connects(ctx, rng, t, runner, count=rng.randint(1, 3))
    elif kind == "download":
        bash = runner.spawn("bash", "/usr/bin/bash", f"-c curl -sSf -o /tmp/{task}.json {dag['url']}")
        out.append(Emit(t, fetch_rule(ctx, "curl"), ctx.container, execve(bash.spawn("curl", "/usr/bin/curl", f"-sSf -o /tmp/{task}.json {dag['url']}"))))
    elif kind == "venv":                                        # PythonVirtualenvOperator installs its requirements
        venv = f"/tmp/venv{names.pick(rng, names.LOWER_ALNUM, 8)}"
        pip = runner.spawn("pip", "/usr/local/bin/python3.11", f"{venv}/bin/pip install -q -r {venv}/requirements.txt")
        out.append(Emit(t, "Launch Package Management Process in Container", ctx.container, execve(pip)))
    elif kind == "spark":
        submit = runner.spawn("java", "/usr/lib/jvm/java-17-openjdk-amd64/bin/java", "-cp /opt/spark/jars/* org.apache.spark.deploy.SparkSubmit --master k8s://https://kubernetes.default.svc")
        out += [api_connect(ctx, rng, t + i * secs(rng, 0.2, 3), submit) for i in range(rng.randint(1, 3))]
    return out


def spark_arrivals(rng, cluster, workload):
    """A driver pod per application run, then its executors a few seconds later."""
    pods = []
    for app in workload.params["apps"]:
        for run in scheduled_runs(rng, cluster, app["period_s"], app["offset_s"]):
            app_id = f"{app['name']}-{names.hex_string(rng, 16)}"
            start = run + secs(rng, 5, 60)
            end = start + secs(rng, 120, app["max_s"])
            pods.append({"start": start, "end": end, "name": f"{app_id}-driver", "extra": {"role": "driver"}})
            for index in range(1, rng.randint(2, app["executors"]) + 1):
                begin = start + secs(rng, 8, 30)
                pods.append({"start": begin, "end": end - secs(rng, 1, 20), "name": f"{app_id}-exec-{index}", "extra": {"role": "executor"}})
    return pods


def spark_pod(ctx, rng, t):
    """Drivers create and watch executors through the API server; executors run Spark's
    entrypoint.sh, which adds the anonymous runtime uid to /etc/passwd."""
    if ctx.pod.extra["role"] == "driver":
        driver = main_proc(ctx, args="-cp /opt/spark/conf/:/opt/spark/jars/* org.apache.spark.deploy.SparkSubmit --deploy-mode client --class "
                                      f"{ctx.params['main_class']} local:///opt/spark/work-dir/{ctx.params['jar']}")
        return [api_connect(ctx, rng, t + i * secs(rng, 0.5, 6), driver) for i in range(rng.randint(2, 4))]
    entry = main_proc(ctx).with_(name="entrypoint.sh", exepath="/usr/bin/bash", args="/opt/entrypoint.sh executor",
                                 user=User(None, ctx.params["runtime_uid"], 0, "root"))
    return [Emit(t, "Write below etc", ctx.container, openat(entry, "/etc/passwd", "O_WRONLY|O_CREAT|O_APPEND"))]


ARCHETYPES = {
    "gitlab-job": GitlabJob(
        "gitlab-job", user=ROOT, main=("bash", "/usr/bin/bash", ""),
        activities=(Activity(OnStart(delay_s=(2.0, 8.0)), run_ci_job),), job_arrivals=gitlab_arrivals),
    "jupyter": Archetype(
        "jupyter", image="quay.io/jupyter/pyspark-notebook", tag="2024-10-21", user=JOVYAN,
        main=("jupyterhub-singleuser", "/opt/conda/bin/python3.11", "/opt/conda/bin/jupyterhub-singleuser --ip=0.0.0.0 --port=8888"),
        cwd="/home/jovyan", shell=("bash", "/usr/bin/bash"), pkg="pip",
        activities=(Activity(Rate("actions_per_h", "human"), notebook_action),), job_arrivals=notebook_sessions),
    "airflow-task": Archetype(
        "airflow-task", image="docker.io/apache/airflow", tag="2.10.3-python3.11", user=User("airflow", 50000, 0, "root"),
        main=("airflow", "/usr/local/bin/python3.11", ""), cwd="/opt/airflow", shell=("bash", "/usr/bin/bash"),
        activities=(Activity(OnStart(delay_s=(1.0, 6.0)), airflow_task),), job_arrivals=airflow_arrivals),
    "spark-app": Archetype(
        "spark-app", image="docker.io/apache/spark", tag="3.5.3-scala2.12-java17-python3-ubuntu", user=User("spark", 185, 185, "spark"),
        main=("java", "/opt/java/openjdk/bin/java", "-cp /opt/spark/conf/:/opt/spark/jars/* org.apache.spark.executor.CoarseGrainedExecutorBackend"),
        cwd="/opt/spark/work-dir", shell=("bash", "/usr/bin/bash"),
        activities=(Activity(OnStart(delay_s=(0.05, 2.0)), spark_pod),), job_arrivals=spark_arrivals),
}
