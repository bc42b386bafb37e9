"""The software that runs in the simulated clusters and the benign alerts each piece of it raises.

Every activity describes one real behaviour (an exec probe, an archive command, an operator
reconnecting to the API server, ...) and emits the rule Falco reports for it: the first rule in
load order whose condition the syscall satisfies, since Falco's default is `rule_matching: first`.
Comments name the condition that makes the rule fire where it is not obvious.
"""

import names
from behaviour import Activity, Archetype, Emit, Every, OnStart, Rate, exec_proc, fetch_rule, main_proc
from cluster import NS
from procs import ROOT, User, connect, execve, openat, syscall

WWW_DATA = User("www-data", 33, 33, "www-data")
NGINX = User("nginx", 101, 101, "nginx")
NODE = User("node", 1000, 1000, "node")
NONROOT = User("nonroot", 65532, 65532, "nonroot")
APP = User("app", 10001, 10001, "app")
POSTGRES = User("postgres", 26, 26, "postgres")
BITNAMI = User(None, 1001, 0, "root")         # Bitnami images run as 1001 without a passwd entry
JOVYAN = User("jovyan", 1000, 100, "users")
SPRING = User("spring", 1000, 1000, "spring")

API_NAME = "kubernetes.default.svc.cluster.local"
IMDS_IP = "169.254.169.254"
ALL_CAPS = ("CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID CAP_KILL CAP_SETGID CAP_SETUID "
            "CAP_SETPCAP CAP_LINUX_IMMUTABLE CAP_NET_BIND_SERVICE CAP_NET_BROADCAST CAP_NET_ADMIN CAP_NET_RAW "
            "CAP_IPC_LOCK CAP_IPC_OWNER CAP_SYS_MODULE CAP_SYS_RAWIO CAP_SYS_CHROOT CAP_SYS_PTRACE CAP_SYS_PACCT "
            "CAP_SYS_ADMIN CAP_SYS_BOOT CAP_SYS_NICE CAP_SYS_RESOURCE CAP_SYS_TIME CAP_SYS_TTY_CONFIG CAP_MKNOD "
            "CAP_LEASE CAP_AUDIT_WRITE CAP_AUDIT_CONTROL CAP_SETFCAP CAP_MAC_OVERRIDE CAP_MAC_ADMIN CAP_SYSLOG "
            "CAP_WAKE_ALARM CAP_BLOCK_SUSPEND CAP_AUDIT_READ CAP_PERFMON CAP_BPF CAP_CHECKPOINT_RESTORE")


def ms(rng, low, high):
    return int(rng.uniform(low, high) * 1_000_000)


def secs(rng, low, high):
    return int(rng.uniform(low, high) * NS)


def entrypoint_proc(ctx, **changes):
    """The entrypoint script that ran before exec'ing the application (comm is the script's name)."""
    script = ctx.params.get("entrypoint", "/docker-entrypoint.sh")
    interpreter = "/bin/busybox" if ctx.workload.archetype.distro == "alpine" else "/usr/bin/bash"
    proc = main_proc(ctx).with_(name=script.rsplit("/", 1)[1], exepath=interpreter, args=script,
                                layer="lower")
    return proc.with_(**changes) if changes else proc


def api_connect(ctx, rng, t, proc):
    values = connect(proc, ctx.pod.ip, names.ephemeral_port(rng), ctx.cluster.api_ip, 443, remote_name=API_NAME)
    return Emit(t, "Contact K8S API Server From Container", ctx.container, values)


def imds_connects(ctx, rng, t, proc, count=1):
    """AWS SDKs and the GKE metadata server both live at 169.254.169.254; one TCP connection per request."""
    if not ctx.cluster.imds:
        return []
    out = []
    for _ in range(count):
        values = connect(proc, ctx.pod.ip, names.ephemeral_port(rng), IMDS_IP, 80)
        out.append(Emit(t, "Contact EC2 Instance Metadata Service From Container", ctx.container, values))
        t += ms(rng, 2, 40)
    return out


def dropped(proc, t, rng, age_s=(0.5, 30.0)):
    """execve of a file written after the container started (overlayfs upper layer)."""
    age = secs(rng, *age_s)
    return execve(proc, **{"proc.exe_ino.ctime": t - age, "proc.exe_ino.mtime": t - age - ms(rng, 0, 5),
                           "proc.exe_ino.ctime_duration_proc_start": age})


# --- web applications ------------------------------------------------------------------------

def wget_probe(ctx, rng, t):
    """An exec readiness probe `wget --spider` (busybox) every few seconds."""
    p = ctx.params
    proc = exec_proc(ctx, "wget", "/bin/busybox", f"-q --spider http://127.0.0.1:{p['port']}{p['health']}")
    return [Emit(t, fetch_rule(ctx, "wget"), ctx.container, execve(proc))]


def php_worker(ctx):
    master = main_proc(ctx)
    return master.spawn("php-fpm", master.exepath, master.args, user=WWW_DATA)


def php_shell_out(ctx, rng, t):
    """PHP's mail() and exec() go through /bin/sh; php-fpm is a web server for the sandbox rule."""
    command = rng.choice(ctx.params["php_commands"])(rng)
    shell = php_worker(ctx).spawn("sh", "/usr/bin/dash", f"-c {command}")
    return [Emit(t, "Web Server Spawned Shell", ctx.container, execve(shell))]


def apache_shell_out(ctx, rng, t):
    """mod_php under Apache: apache2 is a protected shell spawner, so the stable rule matches first."""
    master = main_proc(ctx)
    worker = master.spawn("apache2", master.exepath, master.args, user=WWW_DATA)
    shell = worker.spawn("sh", "/usr/bin/dash", f"-c /usr/sbin/sendmail -t -i -f wordpress@{ctx.workload.namespace}.example.net")
    return [Emit(t, "Run shell untrusted", ctx.container, execve(shell))]


def gunicorn_shell_out(ctx, rng, t):
    """A document service converting uploads by shelling out from its gunicorn workers."""
    worker = main_proc(ctx)
    job = names.hex_string(rng, 12)
    command = rng.choice((
        f"libreoffice --headless --convert-to pdf --outdir /tmp/out-{job} /tmp/in-{job}.docx",
        f"pdftoppm -r 110 -png /tmp/in-{job}.pdf /tmp/out-{job}/page",
        f"gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -dPDFSETTINGS=/ebook -sOutputFile=/tmp/out-{job}.pdf /tmp/in-{job}.pdf",
    ))
    shell = worker.spawn("gunicorn", worker.exepath, worker.args).spawn("sh", "/usr/bin/dash", f"-c {command}")
    return [Emit(t, "Web Server Spawned Shell", ctx.container, execve(shell))]


def decode_secret(ctx, rng, t):
    """Entrypoints that turn a base64 environment variable into a file (keystores, service-account keys)."""
    path = "/bin/busybox" if ctx.workload.archetype.distro == "alpine" else "/usr/bin/base64"
    base64 = entrypoint_proc(ctx).spawn("base64", path, "-d")
    return [Emit(t, "Decoding Payload in Container", ctx.container, execve(base64))]


def tracing_udp(ctx, rng, t):
    """Jaeger clients connect() a UDP socket to the node's agent on 6831 at start-up."""
    values = connect(main_proc(ctx), ctx.pod.ip, names.ephemeral_port(rng), ctx.pod.node.ip, 6831, proto="udp")
    return [Emit(t, "Unexpected UDP Traffic", ctx.container, values)]


def sdk_credentials(ctx, rng, t):
    """An AWS/GCP SDK without workload identity fetching node credentials: token plus credentials."""
    return imds_connects(ctx, rng, t, main_proc(ctx), count=rng.choice((1, 2, 2, 3)))


def celery_schedule(ctx, rng, t):
    """celery beat started without --schedule keeps its shelve file in the working directory, /."""
    return [Emit(t, "Write below root", ctx.container, openat(main_proc(ctx), "/celerybeat-schedule", "O_RDWR|O_CREAT|O_CLOEXEC"))]


def passwd_entry(ctx, rng, t):
    """Entrypoints that add the arbitrary runtime uid to /etc/passwd (nss trick for OpenShift-style uids)."""
    uid = ctx.params.get("runtime_uid", 1000650000)
    proc = entrypoint_proc(ctx, user=User(None, uid, 0, "root"))
    return [Emit(t, "Write below etc", ctx.container, openat(proc, "/etc/passwd", "O_WRONLY|O_CREAT|O_APPEND"))]


def install_crontab(ctx, rng, t):
    """Legacy images that run cron inside the container install their crontab at start."""
    crontab = entrypoint_proc(ctx).spawn("crontab", "/usr/bin/crontab", "/etc/crontabs/app")
    return [Emit(t, "Schedule Cron Jobs", ctx.container, execve(crontab))]


def api_clients_start(ctx, rng, t):
    """Informers and leader election open a few API connections right after start."""
    proc = main_proc(ctx)
    return [api_connect(ctx, rng, t + i * ms(rng, 5, 900), proc) for i in range(rng.randint(1, 3))]


def api_reconnect(ctx, rng, t):
    return [api_connect(ctx, rng, t, main_proc(ctx))]


APP_ACTIVITIES = {
    "wget_probe": Activity(Every("probe_s"), wget_probe),
    "decode": Activity(OnStart(delay_s=(0.05, 0.6)), decode_secret),
    "tracing": Activity(OnStart(delay_s=(2.0, 9.0)), tracing_udp),
    "imds_start": Activity(OnStart(delay_s=(3.0, 20.0)), sdk_credentials),
    "imds_refresh": Activity(Rate(0.9, "flat"), sdk_credentials),
    "passwd": Activity(OnStart(delay_s=(0.02, 0.3)), passwd_entry),
    "crontab": Activity(OnStart(delay_s=(0.3, 2.0)), install_crontab),
    "k8s_client": Activity(OnStart(delay_s=(4.0, 25.0)), api_clients_start),       # e.g. Spring Cloud Kubernetes
    "k8s_watch": Activity(Rate("reconnect_per_h", "flat"), api_reconnect),
}


def app_archetype(key, activities, **fields):
    """An archetype whose optional behaviours are switched on per workload by params['traits']."""
    optional = tuple(Activity(a.trigger, a.run, trait=name) for name, a in APP_ACTIVITIES.items())
    return Archetype(key=key, activities=tuple(activities) + optional, **fields)


def sendmail(rng):
    return "/usr/sbin/sendmail -t -i"


def thumbnail(rng):
    return (f"convert /tmp/php{names.pick(rng, names.LOWER_ALNUM + 'ABCDEFGHIJ', 6)} -auto-orient -resize 1600x1600> "
            f"-quality 82 /var/www/html/storage/app/public/media/{rng.randint(10000, 999999)}.jpg")


ARCHETYPES = {
    "nginx-static": app_archetype(
        "nginx-static", (), user=NGINX, main=("nginx", "/usr/sbin/nginx", "-g daemon off;"), distro="alpine",
        shell=("sh", "/bin/busybox"), pkg="apk"),
    "php-fpm": app_archetype(
        "php-fpm", (Activity(Rate("shell_per_h"), php_shell_out),), user=ROOT,
        main=("php-fpm", "/usr/local/sbin/php-fpm", ""), shell=("bash", "/usr/bin/bash"), pkg="apt-get",
        cwd="/var/www/html"),
    "wordpress": app_archetype(
        "wordpress", (Activity(Rate("shell_per_h"), apache_shell_out),), user=ROOT,
        main=("apache2", "/usr/sbin/apache2", "-DFOREGROUND"), shell=("bash", "/usr/bin/bash"), pkg="apt-get",
        cwd="/var/www/html"),
    "py-api": app_archetype(
        "py-api", (), user=APP,
        main=("gunicorn", "/usr/local/bin/python3.12", "/usr/local/bin/gunicorn --bind 0.0.0.0:{port} --workers 4 {module}.wsgi:application"),
        shell=("bash", "/usr/bin/bash"), pkg="apt-get", cwd="/app"),
    "doc-converter": app_archetype(
        "doc-converter", (Activity(Rate("shell_per_h"), gunicorn_shell_out),), user=APP,
        main=("gunicorn", "/usr/local/bin/python3.11", "/usr/local/bin/gunicorn --bind 0.0.0.0:{port} --timeout 120 converter.app:app"),
        shell=("bash", "/usr/bin/bash"), pkg="apt-get", cwd="/app"),
    "java-svc": app_archetype(
        "java-svc", (), user=SPRING,
        main=("java", "/opt/java/openjdk/bin/java", "-XX:MaxRAMPercentage=75.0 -Dspring.profiles.active={env} -jar /app/app.jar"),
        shell=("bash", "/usr/bin/bash"), pkg="apt-get", cwd="/app"),
    "node-svc": app_archetype(
        "node-svc", (), user=NODE, main=("node", "/usr/local/bin/node", "dist/server.js"), distro="alpine",
        shell=("sh", "/bin/busybox"), pkg="apk", cwd="/home/node/app"),
    "go-svc": app_archetype(
        "go-svc", (), user=NONROOT, main=("{binary}", "/app/{binary}", "--config=/etc/{binary}/config.yaml"),
        distro="distroless", shell=None),
    "celery-beat": app_archetype(
        "celery-beat", (Activity(Rate(18, "flat"), celery_schedule),), user=ROOT,
        main=("celery", "/usr/local/bin/python3.12", "/usr/local/bin/celery -A {module} beat -l INFO"),
        shell=("bash", "/usr/bin/bash"), pkg="apt-get"),
    "celery-worker": app_archetype(
        "celery-worker", (), user=APP,
        main=("celery", "/usr/local/bin/python3.12", "/usr/local/bin/celery -A {module} worker -l INFO --concurrency 4"),
        shell=("bash", "/usr/bin/bash"), pkg="apt-get", cwd="/app"),
}


# --- data stores -----------------------------------------------------------------------------

def pg_archive(ctx, rng, t):
    """Crunchy's archive_command runs `sh -c pgbackrest ...`; bash then execs pgbackrest in place.

    The shell is a child of a postgres process (a protected spawner) and pgbackrest, after the
    exec, is too: two rules for one WAL segment.
    """
    if not ctx.pod.name.endswith("-0"):        # only the primary archives
        return []
    segment = ctx.params["wal"] = ctx.params.get("wal", rng.randint(0x200, 0x4000)) + 1
    wal = f"00000001{segment >> 8:08X}{segment & 0xFF:08X}"
    postmaster = main_proc(ctx)
    archiver = postmaster.spawn("postgres", postmaster.exepath, postmaster.args)
    shell = archiver.spawn("sh", "/usr/bin/bash", f'-c pgbackrest --stanza=db archive-push "pg_wal/{wal}"')
    pgbackrest = archiver.spawn("pgbackrest", "/usr/bin/pgbackrest", f"--stanza=db archive-push pg_wal/{wal}")
    return [Emit(t, "Run shell untrusted", ctx.container, execve(shell)),
            Emit(t + ms(rng, 0.4, 3), "DB program spawned process", ctx.container, execve(pgbackrest))]


def zookeeper_probe(ctx, rng, t):
    """Bitnami ZooKeeper's liveness probe pipes `ruok` through netcat every 10 s."""
    shell = exec_proc(ctx, "bash", "/usr/bin/bash", '-ec echo "ruok" | timeout 2 nc -w 2 localhost 2181 | grep imok')
    nc = shell.spawn("timeout", "/usr/bin/timeout", "2 nc -w 2 localhost 2181").spawn("nc", "/usr/bin/nc.openbsd", "-w 2 localhost 2181")
    return [Emit(t + ms(rng, 1, 4), "Launch Suspicious Network Tool in Container", ctx.container, execve(nc))]


ARCHETYPES.update({
    "postgres": Archetype(
        "postgres", image="registry.developers.crunchydata.com/crunchydata/crunchy-postgres", tag="ubi8-16.4-1",
        user=POSTGRES, main=("postgres", "/usr/pgsql-16/bin/postgres", "-D /pgdata/pg16"), distro="ubi",
        shell=("bash", "/usr/bin/bash"), pkg="microdnf", activities=(Activity(Rate("wal_per_h"), pg_archive),)),
    "redis": Archetype(
        "redis", image="docker.io/bitnami/redis", tag="7.4.1-debian-12-r2", user=BITNAMI,
        main=("redis-server", "/opt/bitnami/redis/bin/redis-server", "*:6379"), shell=("bash", "/usr/bin/bash")),
    "zookeeper": Archetype(
        "zookeeper", image="docker.io/bitnami/zookeeper", tag="3.9.3-debian-12-r0", user=BITNAMI,
        main=("java", "/opt/bitnami/java/bin/java", "-Dzookeeper.log.dir=/opt/bitnami/zookeeper/logs -cp /opt/bitnami/zookeeper/lib/* org.apache.zookeeper.server.quorum.QuorumPeerMain /opt/bitnami/zookeeper/conf/zoo.cfg"),
        shell=("bash", "/usr/bin/bash"), activities=(Activity(Every("probe_s"), zookeeper_probe),)),
    "kafka": Archetype(
        "kafka", image="docker.io/bitnami/kafka", tag="3.8.1-debian-12-r0", user=BITNAMI,
        main=("java", "/opt/bitnami/java/bin/java", "-Xmx2g -server -XX:+UseG1GC -cp /opt/bitnami/kafka/libs/* kafka.Kafka /opt/bitnami/kafka/config/server.properties"),
        shell=("bash", "/usr/bin/bash")),
    "rabbitmq": Archetype(
        "rabbitmq", image="docker.io/library/rabbitmq", tag="3.13-management", user=User("rabbitmq", 999, 999, "rabbitmq"),
        main=("beam.smp", "/usr/local/lib/erlang/erts-14.2.5/bin/beam.smp", "-W w -MBas ageffcbf -- -root /usr/local/lib/erlang -progname erl -- -home /var/lib/rabbitmq"),
        shell=("bash", "/usr/bin/bash")),
    "elasticsearch": Archetype(
        "elasticsearch", image="docker.elastic.co/elasticsearch/elasticsearch", tag="8.15.3",
        user=User("elasticsearch", 1000, 0, "root"),
        main=("java", "/usr/share/elasticsearch/jdk/bin/java", "-Xms4g -Xmx4g -cp /usr/share/elasticsearch/lib/* org.elasticsearch.bootstrap.Elasticsearch"),
        shell=("bash", "/usr/bin/bash")),
    "mariadb": Archetype(
        "mariadb", image="docker.io/library/mariadb", tag="11.4", user=User("mysql", 999, 999, "mysql"),
        main=("mariadbd", "/usr/sbin/mariadbd", "--user=mysql"), shell=("bash", "/usr/bin/bash")),
    "trino": Archetype(
        "trino", image="docker.io/trinodb/trino", tag="463", user=User("trino", 1000, 1000, "trino"),
        main=("java", "/usr/lib/jvm/temurin/jdk-23/bin/java", "-cp /usr/lib/trino/lib/* -server -Xmx16G io.trino.server.TrinoServer"),
        shell=("bash", "/usr/bin/bash"), distro="ubi"),
})


# --- platform components ---------------------------------------------------------------------

def operator(key, image, tag, binary, args, user=NONROOT):
    return Archetype(key, image=image, tag=tag, user=user, main=(binary.rsplit("/", 1)[1], binary, args),
                     distro="distroless", shell=None,
                     activities=(Activity(OnStart(delay_s=(0.5, 4.0)), api_clients_start),
                                 Activity(Rate("reconnect_per_h", "flat"), api_reconnect)))


def fluentd_exec(ctx, rng, t):
    """fluentd's in_exec input runs its command through sh; fluentd is a protected shell spawner."""
    supervisor = main_proc(ctx)
    worker = supervisor.spawn("fluentd", supervisor.exepath, supervisor.args + " --under-supervisor")
    shell = worker.spawn("sh", "/usr/bin/dash", f"-c {ctx.params['exec_cmd']}")
    return [Emit(t, "Run shell untrusted", ctx.container, execve(shell))]


def host_fim_scan(ctx, rng, t):
    """A security agent's file-integrity scan of the host filesystem mounted at /host."""
    proc = main_proc(ctx)
    files = rng.sample(HOST_FIM_FILES, rng.randint(4, len(HOST_FIM_FILES)))
    return [Emit(t + i * ms(rng, 3, 120), "Container Access to Host Sensitive Paths", ctx.container,
                 openat(proc, path)) for i, path in enumerate(sorted(files))]


def log_harvest(ctx, rng, t):
    """A SIEM log shipper reopening the node's auth and audit logs through its /hostfs mount."""
    proc = main_proc(ctx)
    files = rng.sample(HOST_LOG_FILES, rng.randint(1, 3))
    return [Emit(t + i * ms(rng, 1, 50), "Container Access to Host Sensitive Paths", ctx.container, openat(proc, path))
            for i, path in enumerate(files)]


HOST_LOG_FILES = ["/hostfs/var/log/auth.log", "/hostfs/var/log/syslog", "/hostfs/var/log/audit/audit.log",
                  "/hostfs/var/log/secure", "/hostfs/var/log/messages"]

HOST_FIM_FILES = ["/host/etc/shadow", "/host/etc/passwd", "/host/etc/group", "/host/etc/sudoers",
                  "/host/etc/ssh/sshd_config", "/host/root/.ssh/authorized_keys", "/host/etc/crontab",
                  "/host/etc/kubernetes/kubelet.conf", "/host/etc/hosts", "/host/etc/pam.d/common-auth",
                  "/host/var/lib/kubelet/config.yaml"]


def container_started(rule, caps=None):
    """The container's first process (vpid 1) starting: the audit rules about how a container runs."""
    def run(ctx, rng, t):
        values = execve(main_proc(ctx), **{"thread.cap_permitted": caps or ctx.container.caps or ALL_CAPS})
        return [Emit(t, rule, ctx.container, values)]
    return run


def speaker_sockets(ctx, rng, t):
    """MetalLB's L2 speaker opens an AF_PACKET socket per interface to answer ARP."""
    proc = main_proc(ctx)
    out = []
    for index in range(rng.randint(1, 3)):
        fd = 7 + index
        out.append(Emit(t + index * ms(rng, 1, 20), "Packet socket created in container", ctx.container,
                        syscall(proc, "socket", res=str(fd), **{"evt.args": f"fd={fd}(<p>) domain=17(AF_PACKET) type=3 proto=1544"})))
    return out


def aws_node_imds(ctx, rng, t):
    """The VPC CNI's ipamd polls instance metadata for ENI and IP state."""
    return imds_connects(ctx, rng, t, main_proc(ctx), count=rng.choice((1, 1, 2, 4)))


ARCHETYPES.update({
    "argocd-controller": operator("argocd-controller", "quay.io/argoproj/argocd", "v2.12.6", "/usr/local/bin/argocd-application-controller",
                                  "--status-processors 20 --operation-processors 10", user=User("argocd", 999, 999, "argocd")),
    "argocd-server": operator("argocd-server", "quay.io/argoproj/argocd", "v2.12.6", "/usr/local/bin/argocd-server",
                              "--insecure", user=User("argocd", 999, 999, "argocd")),
    "cert-manager": operator("cert-manager", "quay.io/jetstack/cert-manager-controller", "v1.16.1", "/app/cmd/controller/controller",
                             "--v=2 --cluster-resource-namespace=$(POD_NAMESPACE) --leader-election-namespace=kube-system"),
    "external-dns": Archetype(
        "external-dns", image="registry.k8s.io/external-dns/external-dns", tag="v0.15.0", user=NONROOT,
        main=("external-dns", "/bin/external-dns", "--source=service --source=ingress --provider=aws --registry=txt --interval=1m"),
        distro="distroless", shell=None,
        activities=(Activity(OnStart(delay_s=(0.5, 3.0)), api_clients_start), Activity(Rate("reconnect_per_h", "flat"), api_reconnect),
                    Activity(Rate(1.0, "flat"), sdk_credentials))),
    "keda": operator("keda", "ghcr.io/kedacore/keda", "2.15.1", "/keda", "--leader-elect --zap-log-level=info"),
    "tenant-operator": operator("tenant-operator", "", "", "/manager", "--leader-elect --health-probe-bind-address=:8081"),
    "spark-operator": operator("spark-operator", "docker.io/kubeflow/spark-operator", "2.0.2", "/usr/bin/spark-operator",
                               "controller start --zap-log-level=info --namespaces=spark-jobs", user=User(None, 185, 185, None)),
    "gitlab-runner": operator("gitlab-runner", "registry.gitlab.com/gitlab-org/gitlab-runner", "alpine-v17.5.2",
                              "/usr/bin/gitlab-runner", "run --user=gitlab-runner --working-directory=/home/gitlab-runner",
                              user=User("gitlab-runner", 999, 999, "gitlab-runner")),
    "airflow-scheduler": operator("airflow-scheduler", "docker.io/apache/airflow", "2.10.3-python3.11", "/home/airflow/.local/bin/airflow",
                                  "scheduler", user=User("airflow", 50000, 0, "root")),
    "fluentd": Archetype(
        "fluentd", image="docker.io/fluent/fluentd-kubernetes-daemonset", tag="v1.17.1-debian-elasticsearch8-1.0", user=ROOT,
        main=("fluentd", "/usr/local/bin/ruby", "/fluentd/vendor/bundle/ruby/3.2.0/bin/fluentd -c /fluentd/etc/fluent.conf -p /fluentd/plugins"),
        shell=("bash", "/usr/bin/bash"), activities=(Activity(Every("exec_s"), fluentd_exec),)),
    "fluent-bit": Archetype(
        "fluent-bit", image="cr.fluentbit.io/fluent/fluent-bit", tag="3.1.9", user=ROOT,
        main=("fluent-bit", "/fluent-bit/bin/fluent-bit", "-c /fluent-bit/etc/conf/fluent-bit.conf"), distro="distroless", shell=None),
    "node-exporter": Archetype(
        "node-exporter", image="quay.io/prometheus/node-exporter", tag="v1.8.2", host_network=True, user=NONROOT,
        main=("node_exporter", "/bin/node_exporter", "--path.procfs=/host/proc --path.sysfs=/host/sys --path.rootfs=/host/root"),
        distro="distroless", shell=None,
        mounts="/proc:/host/proc::false:rprivate,/sys:/host/sys::false:rprivate,/:/host/root::false:rslave",
        activities=(Activity(OnStart(delay_s=(0.0, 0.05)), container_started("Launch Sensitive Mount Container")),)),
    "security-agent": Archetype(
        "security-agent", image="docker.io/wazuh/wazuh-agent", tag="4.9.2", host_network=True, user=ROOT,
        main=("wazuh-syscheckd", "/var/ossec/bin/wazuh-syscheckd", ""), shell=("bash", "/usr/bin/bash"),
        mounts="/:/host::false:rslave",
        activities=(Activity(OnStart(delay_s=(0.0, 0.05)), container_started("Launch Sensitive Mount Container")),
                    Activity(Every("scan_s"), host_fim_scan))),
    "siem-forwarder": Archetype(
        "siem-forwarder", image="docker.elastic.co/beats/filebeat", tag="8.15.3", host_network=True, user=ROOT,
        main=("filebeat", "/usr/share/filebeat/filebeat", "-e -c /etc/filebeat.yml -system.hostfs=/hostfs"),
        shell=("bash", "/usr/bin/bash"), mounts="/:/hostfs::false:rslave",
        activities=(Activity(OnStart(delay_s=(0.0, 0.05)), container_started("Launch Sensitive Mount Container")),
                    Activity(Every("harvest_s"), log_harvest))),
    "cilium": Archetype(
        "cilium", image="quay.io/cilium/cilium", tag="v1.16.3", host_network=True, user=ROOT,
        main=("cilium-agent", "/usr/bin/cilium-agent", "--config-dir=/tmp/cilium/config-map"), privileged=True,
        activities=(Activity(OnStart(delay_s=(0.0, 0.05)), container_started("Launch Privileged Container")),)),
    "aws-node": Archetype(
        "aws-node", image="602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni", tag="v1.18.5-eksbuild.1", host_network=True, user=ROOT,
        main=("aws-k8s-agent", "/app/aws-k8s-agent", ""), privileged=True, activities=(Activity(Rate("imds_per_h", "flat"), aws_node_imds),)),
    "metallb-speaker": Archetype(
        "metallb-speaker", image="quay.io/metallb/speaker", tag="v0.14.8", host_network=True, user=ROOT,
        main=("speaker", "/speaker", "--port=7472 --log-level=info"), distro="distroless", shell=None,
        caps="CAP_NET_RAW CAP_NET_ADMIN CAP_SYS_ADMIN",
        activities=(Activity(OnStart(delay_s=(0.5, 3.0)), speaker_sockets),)),
    "csi-rbdplugin": Archetype(
        "csi-rbdplugin", image="quay.io/cephcsi/cephcsi", tag="v3.12.2", host_network=True, user=ROOT,
        main=("cephcsi", "/usr/local/bin/cephcsi", "--nodeid=$(NODE_ID) --type=rbd --nodeserver=true --endpoint=unix:///csi/csi.sock"),
        privileged=True, distro="ubi", shell=("bash", "/usr/bin/bash"),
        activities=(Activity(OnStart(delay_s=(0.0, 0.05)), container_started("Launch Privileged Container")),)),
    "netshoot": Archetype(
        "netshoot", image="docker.io/nicolaka/netshoot", tag="v0.13", user=ROOT,
        main=("sleep", "/bin/sleep", "infinity"), distro="alpine", shell=("bash", "/bin/bash"), pkg="apk"),
})


# --- CronJobs --------------------------------------------------------------------------------

def tar_backup(ctx, rng, t):
    """A backup Job whose container command is tar itself: tar with a runtime parent and no tty
    reading files is exactly what the kubectl-cp exfiltration rule describes."""
    stamp = f"{t // NS // 60}"
    tar = main_proc(ctx, args=f"-czf /backup/{ctx.workload.name}-{stamp}.tar.gz -C {ctx.params['data_dir']} .")
    files = rng.sample(ctx.params["files"], rng.randint(max(1, len(ctx.params["files"]) // 2), len(ctx.params["files"])))
    out, when = [], t
    for path in files:
        when += ms(rng, 3, 250)
        out.append(Emit(when, "Exfiltrating Artifacts via Kubernetes Control Plane", ctx.container, openat(tar, path)))
    return out


def kubectl_cleanup(ctx, rng, t):
    """A housekeeping CronJob running kubectl from its image (lower layer, so not 'drop and execute')."""
    kubectl = main_proc(ctx)
    return [Emit(t, "Kubernetes Client Tool Launched in Container", ctx.container, execve(kubectl)),
            api_connect(ctx, rng, t + ms(rng, 40, 400), kubectl)]


def registry_credentials(ctx, rng, t):
    """The classic ECR pull-secret refresher: aws cli on node credentials, kubectl twice."""
    shell = main_proc(ctx)
    aws = shell.spawn("aws", "/usr/local/aws-cli/v2/current/dist/aws", f"ecr get-login-password --region {ctx.cluster.region}")
    token = names.pick(rng, names.LOWER_ALNUM + "ABCDEFGHIJKLMNOPQRSTUVWXYZ", 88)
    render = shell.spawn("kubectl", "/usr/local/bin/kubectl",
                         f"create secret docker-registry {ctx.params['secret']} --docker-server={ctx.cluster.registry.split('/')[0]} "
                         f"--docker-username=AWS --docker-password={token} --namespace={ctx.params['target_ns']} --dry-run=client -o yaml")
    apply = shell.spawn("kubectl", "/usr/local/bin/kubectl", f"apply -n {ctx.params['target_ns']} -f -")
    out = imds_connects(ctx, rng, t + ms(rng, 300, 900), aws, count=2)
    t2 = t + secs(rng, 1.5, 4)
    out.append(Emit(t2, "Kubernetes Client Tool Launched in Container", ctx.container, execve(render)))
    out.append(Emit(t2 + ms(rng, 1, 8), "Kubernetes Client Tool Launched in Container", ctx.container, execve(apply)))
    out.append(api_connect(ctx, rng, t2 + ms(rng, 80, 500), apply))
    return out


def shred_exports(ctx, rng, t):
    """A retention job that securely deletes yesterday's data exports."""
    script = main_proc(ctx)
    out, when = [], t
    for index in range(rng.randint(1, ctx.params.get("max_files", 6))):
        when += ms(rng, 50, 2500)
        path = f"/exports/{rng.choice(ctx.params['prefixes'])}-{index:03d}-{names.hex_string(rng, 8)}.csv.gz"
        out.append(Emit(when, "Remove Bulk Data from Disk", ctx.container,
                        execve(script.spawn("shred", "/usr/bin/shred", f"-u -n 3 -z {path}"))))
    return out


def report_job(ctx, rng, t):
    """A reporting CronJob: decode a service-account key, download an extract with curl -o."""
    entry = entrypoint_proc(ctx)
    out = [Emit(t, "Decoding Payload in Container", ctx.container, execve(entry.spawn("base64", "/usr/bin/base64", "-d")))]
    curl = entry.spawn("curl", "/usr/bin/curl",
                       f"-sSf --retry 3 -o /tmp/extract-{names.hex_string(rng, 6)}.json {ctx.params['extract_url']}")
    out.append(Emit(t + secs(rng, 0.5, 3), fetch_rule(ctx, "curl"), ctx.container, execve(curl)))
    return out


ARCHETYPES.update({
    "backup-tar": Archetype("backup-tar", image="docker.io/library/alpine", tag="3.20", user=ROOT,
                            main=("tar", "/bin/tar", ""), distro="alpine", activities=(Activity(OnStart(delay_s=(0.1, 1.0)), tar_backup),)),
    "kubectl-cleanup": Archetype("kubectl-cleanup", image="docker.io/bitnami/kubectl", tag="1.31.2", user=BITNAMI,
                                 main=("kubectl", "/opt/bitnami/kubectl/bin/kubectl", "{kubectl_args}"),
                                 activities=(Activity(OnStart(delay_s=(0.05, 0.5)), kubectl_cleanup),)),
    "ecr-refresher": Archetype("ecr-refresher", user=ROOT, main=("bash", "/usr/bin/bash", "/scripts/refresh-regcred.sh"),
                               activities=(Activity(OnStart(delay_s=(0.05, 0.5)), registry_credentials),)),
    "retention-purge": Archetype("retention-purge", user=ROOT, main=("bash", "/usr/bin/bash", "/opt/jobs/purge-exports.sh"),
                                 distro="ubi", activities=(Activity(OnStart(delay_s=(0.5, 3.0)), shred_exports),)),
    "http-cron": Archetype("http-cron", image="docker.io/curlimages/curl", tag="8.10.1", user=User("curl_user", 100, 101, "curl_group"),
                           main=("curl", "/usr/bin/curl", "-fsS -m 60 {cron_url}"), distro="alpine", shell=("sh", "/bin/busybox")),
    "report-job": Archetype("report-job", user=APP, main=("python3", "/usr/local/bin/python3.12", "-m reports.run"),
                            activities=(Activity(OnStart(delay_s=(0.05, 0.6)), report_job),)),
})


def configure(rng, cluster, workload, **overrides):
    """Per-workload parameters: ports, probe periods, module names. Drawn once, so stable for the day."""
    base = workload.name.replace("-", "_")
    params = {"port": rng.choice((8000, 8080, 8080, 3000, 9000)), "health": rng.choice(("/healthz", "/health", "/ready", "/-/ready")),
              "probe_s": rng.choice((10, 15, 20, 30)), "module": base, "binary": workload.name, "env": "production",
              "entrypoint": rng.choice(("/docker-entrypoint.sh", "/entrypoint.sh", "/usr/local/bin/start.sh")),
              "shell_per_h": 1.0, "reconnect_per_h": rng.uniform(0.3, 1.5), "wal_per_h": rng.uniform(4, 20),
              "exec_s": 300, "scan_s": 12 * 3600, "harvest_s": 1800, "imds_per_h": 4.0}
    params.update(overrides)
    return params
