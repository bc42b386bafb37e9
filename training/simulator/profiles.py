"""Five clusters that differ in what runs on them, and so in which rules make up their noise.

saas-web         EKS, ~55 microservices in team namespaces, Istio in some, probes and IMDS noise.
data-platform    GKE, Kafka/ZooKeeper, Airflow task pods, Spark, JupyterHub, Ceph volumes.
ci-heavy         EKS, GitLab runners: new binaries, package installs and kubectl all day long.
regulated-quiet  On-prem CRI-O cluster behind an egress proxy; few workloads, change windows.
multi-tenant     Bare metal, Cilium and MetalLB, ~300 small tenant namespaces.
"""

from dataclasses import dataclass

import names
from cluster import HOUR, Cluster, Workload, make_nodes, new_tag
from jobs import ARCHETYPES as JOB_ARCHETYPES
from jobs import gitlab_projects
from people import NODE_DEBUGGER
from workloads import ARCHETYPES as APP_ARCHETYPES
from workloads import configure, sendmail, thumbnail

ARCHETYPES = {**APP_ARCHETYPES, **JOB_ARCHETYPES, NODE_DEBUGGER.key: NODE_DEBUGGER}


@dataclass(frozen=True)
class Profile:
    name: str
    summary: str
    build: object                      # function(rng, cluster)
    provider: str
    region: str
    tz: float
    sessions_per_day: float
    copies_per_day: float
    ssh_per_day: float
    episodes_per_day: float = 25
    host_activities: tuple = ("logrotate",)
    episode_weights: tuple = ()


def add(rng, cluster, kind, namespace, name, archetype, replicas=1, traits=(), **options):
    """Register a workload; options are Workload fields or archetype parameters."""
    spec = ARCHETYPES[archetype]
    image = options.pop("image", spec.image or f"{cluster.registry}/{namespace}/{name}")
    tag = options.pop("tag", spec.tag)
    fields = {k: options.pop(k) for k in list(options) if k in Workload.__dataclass_fields__}
    workload = Workload(kind, name, namespace, spec, image, tag, replicas=replicas, **fields)
    workload.params = configure(rng, cluster, workload, traits=tuple(traits), third_party=bool(spec.image), **options)
    if not spec.image:
        workload.tag = new_tag(rng, workload)
    cluster.workloads.append(workload)
    return workload


def hours_in(rng, cluster, low, high):
    """A time during the window, as a fraction of it: new deploys land mid-window."""
    return cluster.start + int((cluster.end - cluster.start) * rng.uniform(low, high))


def app_traits(rng, imds_share=0.3):
    traits = [t for t, share in (("decode", 0.35), ("tracing", 0.45), ("imds_start", imds_share)) if rng.random() < share]
    if "imds_start" in traits and rng.random() < 0.7:
        traits.append("imds_refresh")
    return traits


def microservice(rng, cluster, namespace, name, archetype, meshed=False, **options):
    replicas = options.pop("replicas", rng.choice((2, 3, 3, 4, 6)))
    options.setdefault("hpa_extra", rng.choice((0, 0, 1, 2, 4)) if replicas > 1 else 0)
    traits = options.pop("traits", app_traits(rng))
    return add(rng, cluster, "Deployment", namespace, name, archetype, replicas, traits, meshed=meshed,
               rollouts_per_day=options.pop("rollouts_per_day", rng.uniform(0.2, 1.4)), **options)


def platform_daemons(rng, cluster, cni):
    add(rng, cluster, "DaemonSet", "monitoring", "node-exporter", "node-exporter", pool="all", debug_weight=0)
    add(rng, cluster, "DaemonSet", "logging", "fluent-bit", "fluent-bit", pool="all", debug_weight=0)
    if cni == "aws":
        add(rng, cluster, "DaemonSet", "kube-system", "aws-node", "aws-node", pool="all", debug_weight=0,
            imds_per_h=rng.uniform(3, 6))
    elif cni == "cilium":
        add(rng, cluster, "DaemonSet", "kube-system", "cilium", "cilium", pool="all", debug_weight=0.1)


def cronjob(rng, cluster, namespace, name, archetype, period_s, duration_s=(20, 240), **options):
    return add(rng, cluster, "CronJob", namespace, name, archetype, period_s=period_s,
               offset_s=rng.randrange(0, min(period_s, 3600), 60), duration_s=duration_s, debug_weight=0, **options)


def housekeeping(rng, cluster, aws):
    cronjob(rng, cluster, "ops", "failed-pod-reaper", "kubectl-cleanup", 3600,
            kubectl_args="delete pods -A --field-selector=status.phase==Failed --ignore-not-found")
    if aws:
        cronjob(rng, cluster, "ops", "ecr-regcred-refresh", "ecr-refresher", 6 * 3600, secret="ecr-pull", target_ns="default")
    add(rng, cluster, "Job", "default", "node-debugger", "node-debugger", per_day=rng.uniform(0.3, 1.0), debug_weight=0)


def service_names(cluster):
    cluster.service_names = sorted({f"{w.name}.{w.namespace}" for w in cluster.workloads if w.kind in ("Deployment", "StatefulSet")})


# --- saas-web --------------------------------------------------------------------------------

SAAS_TEAMS = {
    "shop": [("storefront", "nginx-static"), ("checkout", "py-api"), ("cart", "java-svc"), ("catalog", "java-svc"),
             ("search", "java-svc"), ("recommendations", "py-api"), ("pricing", "go-svc"), ("reviews", "node-svc"),
             ("wishlist", "node-svc"), ("promotions", "java-svc")],
    "payments": [("payments-api", "java-svc"), ("ledger", "go-svc"), ("fraud-scoring", "py-api"), ("payouts", "java-svc"),
                 ("webhooks", "node-svc"), ("refunds", "java-svc"), ("tax", "go-svc")],
    "identity": [("auth", "java-svc"), ("users", "go-svc"), ("sessions", "node-svc"), ("mfa", "go-svc"), ("consent", "py-api")],
    "content": [("cms", "php-fpm"), ("media", "php-fpm"), ("doc-converter", "doc-converter"), ("sitemap", "node-svc"),
                ("translations", "py-api")],
    "growth": [("notifications", "node-svc"), ("email-worker", "celery-worker"), ("email-scheduler", "celery-beat"),
               ("experiments", "go-svc"), ("referrals", "py-api"), ("campaigns", "java-svc")],
    "support": [("helpdesk", "php-fpm"), ("chat-gateway", "node-svc"), ("kb-search", "py-api"), ("callbacks", "java-svc")],
    "reporting": [("reports-api", "py-api"), ("exports", "java-svc"), ("dashboards", "node-svc")],
    "logistics": [("shipping", "java-svc"), ("tracking", "go-svc"), ("warehouse-sync", "py-api"), ("carrier-hooks", "node-svc"),
                  ("returns", "java-svc"), ("label-printer", "doc-converter")],
    "mobile": [("mobile-bff", "node-svc"), ("push-gateway", "go-svc"), ("app-config", "node-svc"), ("deeplinks", "go-svc")],
    "partners": [("partner-api", "java-svc"), ("affiliate", "php-fpm"), ("feeds", "py-api"), ("partner-portal", "nginx-static")],
}


def build_saas_web(rng, cluster):
    make_nodes(rng, cluster, 26)
    platform_daemons(rng, cluster, "aws")
    meshed = {"shop", "payments", "identity", "logistics", "mobile"}
    alpine = sorted(n for services in SAAS_TEAMS.values() for n, a in services if a in ("node-svc", "nginx-static"))
    probed = set(rng.sample(alpine, 3))                 # teams that wrote exec probes with busybox wget
    for team, services in SAAS_TEAMS.items():
        for name, archetype in services:
            options = {}
            if archetype == "php-fpm":
                options = {"php_commands": [sendmail] if name != "media" else [thumbnail, thumbnail, sendmail],
                           "shell_per_h": 20.0 if name == "media" else rng.uniform(0.8, 3.0)}
                if name == "helpdesk":
                    options["traits"] = ["crontab"]
            if archetype == "doc-converter":
                options["shell_per_h"] = rng.uniform(6, 14)
            if name in probed:
                options["traits"] = app_traits(rng) + ["wget_probe"]
                options["probe_s"] = rng.choice((20, 30, 30))
                options.update(replicas=rng.choice((2, 3)), hpa_extra=0)
            if archetype == "java-svc" and rng.random() < 0.4:
                options["traits"] = app_traits(rng) + ["k8s_client", "k8s_watch"]
            if archetype == "celery-beat":
                options["replicas"] = 1
            microservice(rng, cluster, team, name, archetype, meshed=team in meshed, **options)
    # deployed during the day: new services come with their own habits
    microservice(rng, cluster, "shop", "recommendations-v2", "py-api", meshed=True, appear_at=hours_in(rng, cluster, 0.55, 0.7),
                 traits=["decode", "tracing", "imds_start", "imds_refresh"])
    microservice(rng, cluster, "growth", "loyalty", "node-svc", appear_at=hours_in(rng, cluster, 0.4, 0.6),
                 traits=["wget_probe", "tracing"], probe_s=15)
    for name in ("orders-db", "payments-db", "identity-db", "logistics-db", "content-db"):
        add(rng, cluster, "StatefulSet", "databases", name, "postgres", 2, pvc=True, debug_weight=2.0, wal_per_h=rng.uniform(10, 40))
    add(rng, cluster, "StatefulSet", "databases", "redis", "redis", 3, pvc=True)
    add(rng, cluster, "StatefulSet", "messaging", "rabbitmq", "rabbitmq", 3, pvc=True)
    for name, archetype in (("argocd-application-controller", "argocd-controller"), ("argocd-server", "argocd-server")):
        add(rng, cluster, "Deployment", "argocd", name, archetype, 1, debug_weight=0)
    add(rng, cluster, "Deployment", "cert-manager", "cert-manager", "cert-manager", 1, debug_weight=0)
    add(rng, cluster, "Deployment", "external-dns", "external-dns", "external-dns", 1, debug_weight=0)
    add(rng, cluster, "Deployment", "keda", "keda-operator", "keda", 1, debug_weight=0)
    add(rng, cluster, "Deployment", "ops", "netshoot", "netshoot", 1, debug_weight=6.0)
    add(rng, cluster, "DaemonSet", "security", "siem-forwarder", "siem-forwarder", pool="all", debug_weight=0, harvest_s=900)
    cronjob(rng, cluster, "databases", "db-maintenance", "kubectl-cleanup", 86400,
            kubectl_args="exec -n databases orders-db-0 -c database -- psql -c VACUUM (ANALYZE)")
    cronjob(rng, cluster, "databases", "uploads-backup", "backup-tar", 3600, data_dir="/data/uploads",
            files=[f"/data/uploads/{names.hex_string(rng, 2)}/{names.uuid4(rng)}.jpg" for _ in range(30)])
    cronjob(rng, cluster, "reporting", "daily-kpi-extract", "report-job", 15 * 60,
            extract_url="https://api.analytics.example.com/v2/export?format=json")
    housekeeping(rng, cluster, aws=True)


# --- data-platform ---------------------------------------------------------------------------

DAG_NAMES = ("orders_hourly", "clickstream_15m", "finance_daily", "crm_sync", "ml_features", "partner_feeds", "dq_checks",
             "inventory_snapshot", "ads_attribution", "search_logs", "churn_scores", "fx_rates", "returns_etl", "ga4_import",
             "payments_recon", "email_events", "product_catalog", "support_tickets", "web_vitals", "stock_levels")


def airflow_dags(rng):
    """DAGs with schedules from every 15 minutes to daily; each task's kind decides what its pod does."""
    dags = []
    for dag_id in DAG_NAMES:
        period = rng.choice((900, 1800, 3600, 3600, 3600, 4 * 3600, 86400))
        tasks = rng.sample(("extract", "load", "transform", "validate", "publish", "compact", "notify", "submit_spark", "score"),
                           rng.randint(2, 5))
        kinds = {task: rng.choice(("cloud", "cloud", "download", "python", "venv")) for task in tasks}
        if "submit_spark" in tasks:
            kinds["submit_spark"] = "spark"
        dags.append({"id": dag_id.replace("_", "-"), "period_s": period, "offset_s": rng.randrange(0, min(period, 3600), 60),
                     "tasks": tasks, "kinds": kinds, "task_s": rng.choice((120, 300, 600)), "decode": rng.random() < 0.3,
                     "url": f"https://{rng.choice(('api.partner-a.example', 'feeds.vendor.example', 'export.crm.example'))}/v1/{dag_id}"})
    return dags


def build_data_platform(rng, cluster):
    make_nodes(rng, cluster, 28)
    platform_daemons(rng, cluster, "calico")
    add(rng, cluster, "DaemonSet", "kube-system", "anetd", "cilium", pool="all", debug_weight=0,     # GKE Dataplane V2
        image="gke.gcr.io/cilium/cilium", tag="v1.14.12-gke6.200")
    add(rng, cluster, "DaemonSet", "logging", "fluentd", "fluentd", pool="all", debug_weight=0.2, exec_s=300,
        exec_cmd=rng.choice(("df -P -k /var/lib/containerd", "/etc/fluent/scripts/node-disk-stats.sh")))
    add(rng, cluster, "DaemonSet", "rook-ceph", "csi-rbdplugin", "csi-rbdplugin", pool="all", debug_weight=0.1)
    add(rng, cluster, "DaemonSet", "security", "siem-forwarder", "siem-forwarder", pool="all", debug_weight=0, harvest_s=3600)
    add(rng, cluster, "StatefulSet", "kafka", "zookeeper", "zookeeper", 3, pvc=True, probe_s=10, debug_weight=1.5)
    add(rng, cluster, "StatefulSet", "kafka", "kafka", "kafka", 5, pvc=True, debug_weight=1.5)
    add(rng, cluster, "Deployment", "airflow", "airflow-scheduler", "airflow-scheduler", 2, reconnect_per_h=rng.uniform(4, 8))
    add(rng, cluster, "Deployment", "airflow", "airflow-webserver", "py-api", 2, traits=["decode"])
    add(rng, cluster, "Job", "airflow", "airflow-task", "airflow-task", dags=airflow_dags(rng), debug_weight=0.3)
    apps = [{"name": name, "period_s": period, "offset_s": rng.randrange(0, min(period, 3600), 60), "executors": rng.randint(4, 12),
             "max_s": rng.choice((900, 1800, 2700))}
            for name, period in (("sessionize", 3600), ("orders-rollup", 3600), ("feature-build", 4 * 3600), ("compaction", 2 * 3600),
                                 ("clickstream-agg", 1800), ("identity-graph", 6 * 3600))]
    add(rng, cluster, "Job", "spark-jobs", "spark-app", "spark-app", apps=apps, runtime_uid=rng.choice((1000, 1001, 185000)),
        main_class="com.example.etl.Main", jar="etl-assembly-4.2.1.jar", debug_weight=0.3)
    add(rng, cluster, "Deployment", "spark-jobs", "spark-operator", "spark-operator", 1, debug_weight=0)
    users = sorted({rng.choice(("ana", "bo", "chen", "dmitri", "elif", "farah", "gus", "hana", "ivan", "jo", "kemal", "lea", "mo",
                                "nina", "oscar", "pia", "quinn", "raj", "sara", "tomas", "uma", "vik", "wen", "xia", "yusuf", "zoe"))
                    + str(rng.randint(1, 9)) for _ in range(26)})
    add(rng, cluster, "Job", "jupyterhub", "jupyter", "jupyter", users=users, sessions_per_day=0.9, actions_per_h=rng.uniform(1.5, 2.5),
        debug_weight=0.5)
    add(rng, cluster, "Deployment", "jupyterhub", "hub", "py-api", 1, traits=["decode"])
    add(rng, cluster, "StatefulSet", "trino", "trino-worker", "trino", 6, debug_weight=1.0)
    add(rng, cluster, "Deployment", "trino", "trino-coordinator", "trino", 1, debug_weight=1.0)
    for name in ("airflow-db", "hive-metastore-db"):
        add(rng, cluster, "StatefulSet", "databases", name, "postgres", 2, pvc=True, wal_per_h=rng.uniform(10, 30), debug_weight=1.5)
    for name, archetype in (("events-ingest", "java-svc"), ("cdc-router", "java-svc"), ("schema-registry", "java-svc"),
                            ("metrics-api", "py-api"), ("lineage", "py-api"), ("quality-gate", "go-svc")):
        microservice(rng, cluster, "ingest" if "ingest" in name or "cdc" in name else "platform", name, archetype,
                     traits=app_traits(rng, imds_share=0.6))
    microservice(rng, cluster, "ingest", "clickstream-enricher", "java-svc", appear_at=hours_in(rng, cluster, 0.55, 0.7),
                 traits=["imds_start", "imds_refresh", "tracing"])
    for name, period in (("dq-snapshot", 15 * 60), ("partition-repair", 3600), ("export-partners", 3600), ("freshness-probe", 5 * 60),
                         ("sla-sensor", 10 * 60), ("ads-spend-pull", 30 * 60)):
        cronjob(rng, cluster, "batch", name, "report-job", period, extract_url=f"https://warehouse.internal.example/api/{name}")
    cronjob(rng, cluster, "batch", "exports-retention", "retention-purge", 86400, prefixes=["partner-a", "partner-b", "crm"], max_files=12)
    cronjob(rng, cluster, "backup", "notebooks-backup", "backup-tar", 4 * 3600, data_dir="/data/home",
            files=[f"/data/home/{u}/{rng.choice(('analysis', 'scratch', 'model'))}-{i}.ipynb" for u in users[:10] for i in range(3)])
    housekeeping(rng, cluster, aws=False)


# --- ci-heavy --------------------------------------------------------------------------------

def build_ci_heavy(rng, cluster):
    make_nodes(rng, cluster, 18, pools=(("default", 1), ("ci", 2)))
    platform_daemons(rng, cluster, "aws")
    for index, share in enumerate((0.65, 0.35)):
        add(rng, cluster, "Deployment", "gitlab-runner", f"gitlab-runner-{index}", "gitlab-runner", 1,
                     reconnect_per_h=rng.uniform(6, 12), debug_weight=0.3)
        add(rng, cluster, "Job", "gitlab-runner", f"ci-jobs-{index}", "gitlab-job", container="build", pool="ci",
            projects=gitlab_projects(rng, 45 if index == 0 else 25), pipelines_per_day=3000 * share,
            token=names.pick(rng, names.LOWER_ALNUM, 8), concurrent=40, debug_weight=0.4)
    for name, archetype in (("sonarqube", "java-svc"), ("nexus", "java-svc"), ("docs-portal", "nginx-static"),
                            ("release-bot", "py-api"), ("flaky-test-tracker", "node-svc"), ("artifact-proxy", "go-svc")):
        options = {"traits": app_traits(rng, imds_share=0.5)}
        if name == "docs-portal":
            options = {"traits": ["wget_probe"], "probe_s": 30}
        microservice(rng, cluster, "devtools", name, archetype, replicas=2, **options)
    microservice(rng, cluster, "shop-staging", "checkout-v2", "py-api", replicas=1, appear_at=hours_in(rng, cluster, 0.5, 0.75),
                 traits=["decode", "imds_start", "k8s_client"])
    for env in ("staging", "preview"):
        for name, archetype in (("checkout", "py-api"), ("catalog", "java-svc"), ("storefront", "nginx-static"), ("search", "java-svc")):
            microservice(rng, cluster, f"shop-{env}", name, archetype, replicas=1, rollouts_per_day=rng.uniform(4, 12))
    add(rng, cluster, "StatefulSet", "devtools", "sonarqube-db", "postgres", 1, pvc=True, wal_per_h=rng.uniform(2, 6))
    add(rng, cluster, "StatefulSet", "devtools", "ci-cache", "redis", 1, pvc=True)
    add(rng, cluster, "Deployment", "argocd", "argocd-application-controller", "argocd-controller", 1, debug_weight=0)
    add(rng, cluster, "Deployment", "ops", "netshoot", "netshoot", 1, debug_weight=4.0)
    cronjob(rng, cluster, "devtools", "nexus-blobstore-backup", "backup-tar", 6 * 3600, data_dir="/nexus-data/blobs",
            files=[f"/nexus-data/blobs/default/content/vol-{rng.randint(1, 43):02d}/chap-{rng.randint(1, 47):02d}/{names.uuid4(rng)}.bytes" for _ in range(40)])
    housekeeping(rng, cluster, aws=True)


# --- regulated-quiet -------------------------------------------------------------------------

def build_regulated_quiet(rng, cluster):
    make_nodes(rng, cluster, 6)
    add(rng, cluster, "DaemonSet", "security", "host-integrity-agent", "security-agent", pool="all", debug_weight=0, scan_s=12 * 3600)
    add(rng, cluster, "DaemonSet", "monitoring", "node-exporter", "node-exporter", pool="all", debug_weight=0)
    for name in ("accounts", "transfers", "statements", "customer-profile"):
        microservice(rng, cluster, "core-banking", name, "java-svc", replicas=2, rollouts_per_day=0.08,
                     traits=["passwd", "decode"] + (["tracing"] if rng.random() < 0.5 else []), runtime_uid=rng.randint(1000600000, 1000699999))
    microservice(rng, cluster, "channels", "customer-portal", "nginx-static", replicas=2, rollouts_per_day=0.08,
                 traits=["wget_probe"], probe_s=120, health="/healthz")
    microservice(rng, cluster, "channels", "payments-gateway", "java-svc", replicas=2, rollouts_per_day=0.05,
                 traits=["passwd"], runtime_uid=rng.randint(1000600000, 1000699999))
    change_window = cluster.start + int(((20.5 - cluster.tz) % 24) * HOUR)       # the evening change window
    microservice(rng, cluster, "channels", "open-banking-api", "java-svc", replicas=2, rollouts_per_day=0, hpa_extra=0,
                 appear_at=change_window if change_window < cluster.end else None, traits=["passwd", "decode", "k8s_client"],
                 runtime_uid=rng.randint(1000600000, 1000699999))
    add(rng, cluster, "StatefulSet", "databases", "core-db", "postgres", 2, pvc=True, wal_per_h=rng.uniform(1.5, 4), debug_weight=2.0)
    cronjob(rng, cluster, "batch", "statement-run", "report-job", 86400, extract_url="https://ledger.core-banking.svc:8443/api/statements/pending")
    cronjob(rng, cluster, "batch", "export-retention", "retention-purge", 86400, prefixes=["regulator-feed", "aml-extract"], max_files=4)
    cronjob(rng, cluster, "batch", "config-backup", "backup-tar", 86400, data_dir="/srv/config",
            files=[f"/srv/config/{name}.yaml" for name in ("accounts", "transfers", "statements", "portal", "gateway", "limits")])
    cronjob(rng, cluster, "ops", "failed-pod-reaper", "kubectl-cleanup", 3600,
            kubectl_args="delete pods -A --field-selector=status.phase==Failed --ignore-not-found")
    add(rng, cluster, "Job", "default", "node-debugger", "node-debugger", per_day=0.15, debug_weight=0)


# --- multi-tenant ----------------------------------------------------------------------------

TENANT_SYLLABLES = ("ac", "al", "bel", "bri", "cor", "dax", "el", "fen", "gal", "hol", "ir", "jun", "kel", "lum", "mar", "nov",
                    "or", "pel", "quin", "ros", "sol", "tav", "ul", "ver", "wil", "xan", "yor", "zel")


def tenant_names(rng, count):
    found = set()
    while len(found) < count:
        name = "".join(rng.choice(TENANT_SYLLABLES) for _ in range(rng.randint(2, 3)))
        found.add(f"t-{name}{rng.choice(('', '', '-shop', '-labs', '-io', '-dev'))}")
    return sorted(found)


def build_multi_tenant(rng, cluster):
    make_nodes(rng, cluster, 30)
    platform_daemons(rng, cluster, "cilium")
    add(rng, cluster, "DaemonSet", "metallb-system", "speaker", "metallb-speaker", pool="all", debug_weight=0)
    add(rng, cluster, "Deployment", "platform", "tenant-operator", "tenant-operator", 2, reconnect_per_h=rng.uniform(2, 5), debug_weight=0)
    add(rng, cluster, "Deployment", "cert-manager", "cert-manager", "cert-manager", 1, debug_weight=0)
    tenants = tenant_names(rng, 300)
    for index, tenant in enumerate(tenants):
        archetype = rng.choices(("wordpress", "node-svc", "py-api", "nginx-static", "php-fpm"), (5, 3, 2, 2, 1))[0]
        options = {"replicas": rng.choice((1, 1, 2)), "rollouts_per_day": rng.uniform(0.02, 0.3), "traits": []}
        if archetype in ("wordpress", "php-fpm"):
            options.update(shell_per_h=rng.uniform(0.3, 1.5), php_commands=[sendmail])
        if archetype in ("node-svc", "nginx-static") and rng.random() < 0.2:
            options.update(traits=["wget_probe"], probe_s=rng.choice((60, 60, 120)))
        if index > len(tenants) * 0.9:
            options["appear_at"] = hours_in(rng, cluster, 0.2, 0.9)   # tenants onboarded today
        microservice(rng, cluster, tenant, "web" if archetype in ("wordpress", "nginx-static", "php-fpm") else "app", archetype, **options)
        if archetype == "wordpress" and rng.random() < 0.3:
            add(rng, cluster, "StatefulSet", tenant, "mariadb", "mariadb", 1, pvc=True)
        if archetype == "wordpress" and rng.random() < 0.5:
            cronjob(rng, cluster, tenant, "wp-cron", "http-cron", 900, duration_s=(2, 20),
                    cron_url=f"http://web.{tenant}.svc/wp-cron.php?doing_wp_cron")
        if rng.random() < 0.3:                                   # the tenant bought the backup add-on
            cronjob(rng, cluster, tenant, "nightly-backup", "backup-tar", 86400, duration_s=(30, 400), data_dir="/srv/data",
                    files=[f"/srv/data/{rng.choice(('uploads', 'config', 'db', 'cache'))}/{names.hex_string(rng, 8)}.{rng.choice(('png', 'json', 'sql.gz', 'yaml'))}"
                           for _ in range(rng.randint(4, 24))])
    for name in ("shared-pg-a", "shared-pg-b"):
        add(rng, cluster, "StatefulSet", "databases", name, "postgres", 2, pvc=True, wal_per_h=rng.uniform(8, 20), debug_weight=1.5)
    add(rng, cluster, "Deployment", "ops", "netshoot", "netshoot", 1, debug_weight=5.0)
    cronjob(rng, cluster, "backup", "tenant-uploads-backup", "backup-tar", 2 * 3600, data_dir="/backup/uploads",
            files=[f"/backup/uploads/{rng.choice(tenants)}/wp-content/uploads/2026/{rng.randint(1, 11):02d}/{names.hex_string(rng, 10)}.png" for _ in range(40)])
    housekeeping(rng, cluster, aws=False)


PROFILES = {p.name: p for p in (
    Profile("saas-web", "EKS with ~55 microservices in team namespaces, Istio, exec probes and IMDS noise",
            build_saas_web, "eks", "eu-west-1", 1.0, sessions_per_day=22, copies_per_day=3, ssh_per_day=0.4),
    Profile("data-platform", "GKE running Kafka, Airflow task pods, Spark, JupyterHub and Ceph-backed volumes",
            build_data_platform, "gke", "us-central1", -6.0, sessions_per_day=30, copies_per_day=5, ssh_per_day=0.8,
            episode_weights=(("webshell", 0.3), ("revshell", 0.3), ("fileless", 2.0), ("exfil", 2.0), ("tokentheft", 1.5))),
    Profile("ci-heavy", "EKS with GitLab runners building, testing and deploying all day",
            build_ci_heavy, "eks", "us-east-1", -5.0, sessions_per_day=14, copies_per_day=2, ssh_per_day=0.3,
            episode_weights=(("npmsupply", 4.0), ("apiabuse", 3.0), ("miner", 2.0), ("dropper", 2.0))),
    Profile("regulated-quiet", "On-prem CRI-O cluster behind an egress proxy; few workloads and rare changes",
            build_regulated_quiet, "metal", "dc1.bank.internal", 1.0, sessions_per_day=3, copies_per_day=0.5, ssh_per_day=0.2,
            host_activities=("logrotate", "integrity", "upgrades"), episode_weights=(("webshell", 0.2), ("revshell", 0.2))),
    Profile("multi-tenant", "Bare-metal hosting cluster: ~300 small tenant namespaces on Cilium and MetalLB",
            build_multi_tenant, "metal", "fra1.hosting.example", 1.0, sessions_per_day=35, copies_per_day=4, ssh_per_day=0.6,
            host_activities=("logrotate", "upgrades"),
            episode_weights=(("webshell", 2.0), ("traversal", 2.5), ("logwipe", 2.0), ("symlink", 2.0), ("miner", 1.5))),
)}

CLUSTER_DEFAULTS = {
    "saas-web": dict(registry="123456789012.dkr.ecr.eu-west-1.amazonaws.com", api_ip="172.20.0.1", rotated_logs=("/var/log/aws-routed-eni/ipamd.log", "/var/log/aws-routed-eni/plugin.log")),
    "data-platform": dict(registry="us-central1-docker.pkg.dev/acme-data/platform", api_ip="34.118.224.1", rotated_logs=("/var/log/kube-proxy.log", "/var/log/fluentd.log")),
    "ci-heavy": dict(registry="210987654321.dkr.ecr.us-east-1.amazonaws.com", api_ip="172.20.0.1", rotated_logs=("/var/log/aws-routed-eni/ipamd.log",)),
    "regulated-quiet": dict(registry="quay.bank.internal", runtime="crio", imds=False, egress_proxy="http://proxy.bank.internal:3128",
                            api_ip="172.30.0.1", rotated_logs=("/var/log/kube-apiserver/audit.log", "/var/log/openvswitch/ovs-vswitchd.log", "/var/log/cron")),
    "multi-tenant": dict(registry="registry.hosting.example", imds=False, rotated_logs=("/var/log/syslog", "/var/log/kern.log", "/var/log/auth.log")),
}


def build_cluster(rng, profile, start, hours, scale):
    """The profile's cluster with all its workloads registered (pods are built by cluster.build_pods)."""
    cluster = Cluster(name=profile.name.replace("-", ""), provider=profile.provider, region=profile.region, tz=profile.tz,
                      start=start, end=start + int(hours * HOUR), scale=scale, **CLUSTER_DEFAULTS[profile.name])
    profile.build(rng, cluster)
    service_names(cluster)
    cluster.attacker_namespaces = sorted({w.namespace for w in cluster.workloads})[:3] + ["default", "kube-system"]
    return cluster
