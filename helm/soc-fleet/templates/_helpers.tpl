{{/*
The fleet's components: the processes of fleet/components.ts, each with its port offset from
SOC_PORT_BASE (contracts/config.ts `ports`) and what it serves (A2A agent or MCP server). Resource
names are fixed, soc-<component>: the development certificates' SANs (fleet/certs.ts) and the
Kyverno policies (soc-remediate) use the same names, and one release runs per namespace.
*/}}
{{- define "soc-fleet.components" -}}
prefilter: { offset: 2, protocol: a2a }
coordinator: { offset: 3, protocol: a2a }
detect: { offset: 4, protocol: a2a }
analyst: { offset: 5, protocol: a2a }
reviewer: { offset: 6, protocol: a2a }
policy-engine: { offset: 7, protocol: mcp }
remediate: { offset: 8, protocol: a2a }
cluster-actions: { offset: 9, protocol: mcp }
notify: { offset: 10, protocol: a2a }
rules: { offset: 13, protocol: a2a }
{{- end }}

{{/*
Who calls each component's A2A or MCP port: an agent's, the callers of the skills it serves
(contracts/skills.ts) but `operator`, the terminal client, which comes through a port-forward; an
MCP server's, its `callers` (agents/<server>/server.ts), the agents whose AgentConfig lists its
tools. test/chart.e2e.test.ts derives the same from the code.
*/}}
{{- define "soc-fleet.callers" -}}
prefilter: [detect]
coordinator: [prefilter, notify]
detect: [coordinator]
analyst: [coordinator]
reviewer: [coordinator]
remediate: [coordinator]
notify: [coordinator]
rules: [coordinator]
policy-engine: [reviewer, prefilter, coordinator, rules]
cluster-actions: [remediate, detect, reviewer]
{{- end }}

{{/*
The services outside the fleet each component calls: Kafka (with KAFKA_BROKERS), PostgreSQL (with
database.urlSecret), Mattermost (with MATTERMOST_URL), a Git forge (with SOC_RULES_REPO), an OPA of its own (with SOC_OPA_URL), the Kubernetes API, a model server (the
agents of the skills that ask a model, with SOC_LLM=openai). Besides, the coordinator reads every
component's /readyz on its ops port (agents/coordinator/health.ts).
*/}}
{{- define "soc-fleet.uses" -}}
prefilter: [kafka]
coordinator: [kafka, postgres]
analyst: [llm]
reviewer: [llm]
notify: [mattermost, postgres]
rules: [forge, llm]
policy-engine: [opa]
cluster-actions: [kubernetes]
{{- end }}

{{/*
Whether a component calls the Kubernetes API ("true" or empty): cluster-actions, and with
config.SOC_AGENT_CONFIG=cluster every agent with an AgentConfig, which follows its resource
(fleet/run.ts). (dict "root" $ "name" <component>)
*/}}
{{- define "soc-fleet.callsKubernetes" -}}
{{- $uses := index (include "soc-fleet.uses" .root | fromYaml) .name | default list }}
{{- $follows := and (eq (toString .root.Values.config.SOC_AGENT_CONFIG) "cluster") (ne (.root.Files.Get (printf "files/agents/%s.yaml" .name)) "") }}
{{- if or (has "kubernetes" $uses) $follows }}true{{ end }}
{{- end }}

{{/*
What scales the prefilter: "autoscaling" (an HPA on CPU), "keda" (a ScaledObject on consumer lag)
or empty (its `replicas`), each the name of its block under components.prefilter. Refuses both at
once, KEDA without Kafka, and a minimum above the maximum.
*/}}
{{- define "soc-fleet.prefilterScaling" -}}
{{- $prefilter := .Values.components.prefilter | default dict }}
{{- $hpa := $prefilter.autoscaling | default dict }}
{{- $keda := $prefilter.keda | default dict }}
{{- $mode := "" }}
{{- if and $hpa.enabled $keda.enabled }}
{{- fail "components.prefilter.autoscaling.enabled and components.prefilter.keda.enabled are both true: KEDA scales the prefilter through an HPA of its own, and two autoscalers would fight over its replicas; turn one off" }}
{{- else if $hpa.enabled }}
{{- $mode = "autoscaling" }}
{{- else if $keda.enabled }}
{{- $mode = "keda" }}
{{- if not .Values.config.KAFKA_BROKERS }}
{{- fail "components.prefilter.keda.enabled needs config.KAFKA_BROKERS: KEDA scales on the lag of the prefilter's consumer group on falco.events" }}
{{- end }}
{{- end }}
{{- with $mode }}
{{- $on := index $prefilter . }}
{{- if gt (int $on.minReplicas) (int $on.maxReplicas) }}
{{- fail (printf "components.prefilter.%s.minReplicas (%d) is above maxReplicas (%d)" . (int $on.minReplicas) (int $on.maxReplicas)) }}
{{- end }}
{{- end }}
{{- $mode }}
{{- end }}

{{/* The port of a URL: its own, else the scheme's. */}}
{{- define "soc-fleet.urlPort" -}}
{{- $url := urlParse . }}
{{- $port := regexFind "[0-9]+$" (regexFind ":[0-9]+$" $url.host) }}
{{- $port | default (eq $url.scheme "https" | ternary "443" "80") }}
{{- end }}

{{/* Whether a URL names this host (127.0.0.1, localhost, ::1): a sidecar, no egress needed. */}}
{{- define "soc-fleet.loopback" -}}
{{- $host := regexReplaceAll ":[0-9]+$" ((urlParse .).host | replace "[" "" | replace "]" "") "" }}
{{- if or (hasPrefix "127." $host) (eq $host "localhost") (eq $host "::1") }}true{{ end }}
{{- end }}

{{/* Configuration names only the Mattermost bot reads: with MATTERMOST_URL set every process would demand the token. */}}
{{- define "soc-fleet.notifyOnly" -}}
^(MATTERMOST_|SOC_BOT_)
{{- end }}

{{/* Who may decide: the bot offers decisions, the coordinator checks them (agents/coordinator/deciders.ts). */}}
{{/* The rules agent's forge and Falco settings. */}}
{{- define "soc-fleet.rulesOnly" -}}
^(SOC_RULES_|SOC_FORGE|SOC_FALCO_)
{{- end }}

{{- define "soc-fleet.decidersOnly" -}}
^(SOC_APPROVERS|SOC_OPERATOR_APPROVER)$
{{- end }}

{{- define "soc-fleet.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "soc-fleet.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "soc-fleet.labels" -}}
helm.sh/chart: {{ include "soc-fleet.chart" . }}
app.kubernetes.io/part-of: soc-fleet
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}

{{/* Labels of one component's objects; (dict "root" $ "name" <component>). */}}
{{- define "soc-fleet.componentLabels" -}}
{{ include "soc-fleet.labels" .root }}
{{ include "soc-fleet.selectorLabels" . }}
{{- end }}

{{/* What a component's Service, NetworkPolicy and PodDisruptionBudget select. */}}
{{- define "soc-fleet.selectorLabels" -}}
app.kubernetes.io/name: soc-fleet
app.kubernetes.io/component: {{ .name }}
{{- end }}

{{/* A component's settings: componentDefaults overridden by components.<name>. */}}
{{- define "soc-fleet.settings" -}}
{{- $own := index .root.Values.components .name | default dict }}
{{- $settings := mergeOverwrite (deepCopy .root.Values.componentDefaults) (deepCopy $own) }}
{{- /* On PostgreSQL the coordinator and the bot keep nothing on a volume. */ -}}
{{- if and (has .name (list "coordinator" "notify")) .root.Values.database.urlSecret.name }}
{{- $_ := set $settings.persistence "enabled" false }}
{{- end }}
{{- /* Replicas share state in PostgreSQL; an action journal or a SQLite file has one writer. */ -}}
{{- if and (gt (int $settings.replicas) 1) (ne .name "prefilter") }}
{{- if eq .name "cluster-actions" }}
{{- fail "components.cluster-actions.replicas: one replica: its action journal (SQLite) has one writer, which is what keeps each action at most once" }}
{{- else if and (has .name (list "coordinator" "notify")) (not .root.Values.database.urlSecret.name) }}
{{- fail (printf "components.%s.replicas above 1 needs database.urlSecret: its replicas share their state in PostgreSQL" .name) }}
{{- end }}
{{- end }}
{{- $settings | toYaml }}
{{- end }}

{{/* The ServiceAccount a component runs as: cluster-actions is the remediation identity. */}}
{{- define "soc-fleet.serviceAccount" -}}
{{- if eq .name "cluster-actions" }}soc-remediate{{ else if eq .name "remediate" }}soc-remediate-agent{{ else }}soc-{{ .name }}{{ end }}
{{- end }}

{{- define "soc-fleet.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{- define "soc-fleet.trainingImage" -}}
{{- $repository := .Values.training.image.repository | default .Values.image.repository }}
{{- $tag := .Values.training.image.tag | default (printf "%s-training" (.Values.image.tag | default .Chart.AppVersion)) }}
{{- printf "%s:%s" $repository $tag }}
{{- end }}

{{/* Ports from SOC_PORT_BASE. */}}
{{- define "soc-fleet.port" -}}
{{- add (int .root.Values.config.SOC_PORT_BASE) .offset }}
{{- end }}

{{/* A value as an environment string: numbers stay integers (YAML gives Helm float64s). */}}
{{- define "soc-fleet.envValue" -}}
{{- if or (kindIs "float64" .) (kindIs "int64" .) (kindIs "int" .) }}{{ int64 . | toString | quote }}{{ else }}{{ toString . | quote }}{{ end }}
{{- end }}

{{/*
A component's environment: every non-empty name of `config` (the notify-only names only for
notify), the OPA sidecar's address for the policy engine, the Mattermost secrets for notify, then
`env` and the component's own env. (dict "root" $ "name" <component> "settings" <settings>)
*/}}
{{/*
Kafka's secrets as environment (runtime/kafka.ts reads them through contracts/config.ts): the
brokers' CA mounted by soc-fleet.kafkaVolume, the SASL password from its Secret. ($ root)
*/}}
{{- define "soc-fleet.kafkaEnv" -}}
{{- if and .Values.config.KAFKA_SASL_MECHANISM (not .Values.kafka.passwordSecret.name) }}
{{- fail "config.KAFKA_SASL_MECHANISM needs kafka.passwordSecret.name, the Secret with the user's password" }}
{{- end }}
{{- if and .Values.kafka.caSecret.name (ne (toString .Values.config.KAFKA_TLS) "true") }}
{{- fail "kafka.caSecret is the CA of TLS to the brokers: it needs config.KAFKA_TLS: \"true\"" }}
{{- end }}
{{- with .Values.kafka.caSecret.name }}
- name: KAFKA_CA_FILE
  value: /etc/soc-fleet/kafka/ca.crt
{{- end }}
{{- with .Values.kafka.passwordSecret.name }}
- name: KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.kafka.passwordSecret.key }}
{{- end }}
{{- end }}

{{/* The brokers' CA certificate, as soc-fleet.kafkaEnv's KAFKA_CA_FILE. ($ root) */}}
{{- define "soc-fleet.kafkaVolume" -}}
{{- with .Values.kafka.caSecret.name }}
- name: kafka-ca
  secret:
    secretName: {{ . }}
    items:
      - { key: {{ $.Values.kafka.caSecret.key }}, path: ca.crt }
{{- end }}
{{- end }}

{{- define "soc-fleet.kafkaMount" -}}
{{- if .Values.kafka.caSecret.name }}
- { name: kafka-ca, mountPath: /etc/soc-fleet/kafka, readOnly: true }
{{- end }}
{{- end }}

{{- define "soc-fleet.env" -}}
{{- $root := .root }}
{{- $config := $root.Values.config }}
{{- $notifyOnly := include "soc-fleet.notifyOnly" $root }}
{{- $decidersOnly := include "soc-fleet.decidersOnly" $root }}
{{- $rulesOnly := include "soc-fleet.rulesOnly" $root }}
{{- $kafka := has "kafka" (index (include "soc-fleet.uses" $root | fromYaml) .name | default list) }}
{{- /* Each pod by its name among its Deployment's replicas: the holder of its leases. */}}
- name: SOC_REPLICA
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
{{- range $key := keys $config | sortAlpha }}
{{- $value := index $config $key }}
{{- if and (not (kindIs "invalid" $value)) (ne (toString $value) "") (or (eq $.name "notify") (not (regexMatch $notifyOnly $key))) (or $kafka (not (hasPrefix "KAFKA_" $key))) (or (has $.name (list "notify" "coordinator")) (not (regexMatch $decidersOnly $key))) (or (eq $.name "rules") (not (regexMatch $rulesOnly $key))) }}
- name: {{ $key }}
  value: {{ include "soc-fleet.envValue" $value }}
{{- end }}
{{- end }}
{{- /* The V8 heap limit from the container's: two fifths of it (the prefilter's judging thread takes
three quarters of that again, agents/prefilter/judge.ts), so the heaps never grow into the limit. */ -}}
{{- $memory := toString (dig "limits" "memory" "" (.settings.resources | default dict)) }}
{{- $mi := 0 }}
{{- if hasSuffix "Gi" $memory }}{{ $mi = mul (trimSuffix "Gi" $memory | int) 1024 }}{{ else if hasSuffix "Mi" $memory }}{{ $mi = trimSuffix "Mi" $memory | int }}{{ end }}
{{- if gt (int $mi) 0 }}
- name: NODE_OPTIONS
  value: {{ printf "--max-old-space-size=%d" (div (mul $mi 2) 5) | quote }}
{{- end }}
{{- if and (eq .name "policy-engine") (not $config.SOC_OPA_URL) }}
- name: SOC_OPA_URL
  value: {{ printf "http://127.0.0.1:%d" (add (int $config.SOC_PORT_BASE) 11) | quote }}
{{- end }}
{{- if and (eq .name "notify") $config.MATTERMOST_URL }}
- name: MATTERMOST_BOT_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ required "secrets.existingSecret is required with config.MATTERMOST_URL" $root.Values.secrets.existingSecret }}
      key: {{ $root.Values.secrets.botTokenKey }}
- name: SOC_BOT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ $root.Values.secrets.existingSecret }}
      key: {{ $root.Values.secrets.botSecretKey }}
      optional: true
{{- end }}
{{- if and (eq .name "rules") $config.SOC_RULES_REPO }}
- name: SOC_FORGE_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ required "secrets.forge.existingSecret is required with config.SOC_RULES_REPO" $root.Values.secrets.forge.existingSecret }}
      key: {{ $root.Values.secrets.forge.tokenKey }}
{{- end }}
{{- if $kafka }}
{{- include "soc-fleet.kafkaEnv" $root }}
{{- end }}
{{- if and (has "postgres" (index (include "soc-fleet.uses" $root | fromYaml) .name | default list)) $root.Values.database.urlSecret.name }}
- name: SOC_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $root.Values.database.urlSecret.name }}
      key: {{ $root.Values.database.urlSecret.key }}
{{- end }}
{{- if and (has "llm" (index (include "soc-fleet.uses" $root | fromYaml) .name | default list)) $root.Values.secrets.llm.existingSecret }}
- name: OPENAI_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $root.Values.secrets.llm.existingSecret }}
      key: {{ $root.Values.secrets.llm.apiKeyKey }}
{{- end }}
{{- range $key, $value := merge (deepCopy (.settings.env | default dict)) (deepCopy ($root.Values.env | default dict)) }}
- name: {{ $key }}
  value: {{ include "soc-fleet.envValue" $value }}
{{- end }}
{{- end }}

{{/*
The policy bundle (files/policies, a copy of policies/ without tests) in one ConfigMap: keys are
flat, so a file's path is its key with "/" as "__", and the volume's items put it back in place
(OPA reads data.json by its directory: soc/settings/data.json is data.soc.settings).
*/}}
{{- define "soc-fleet.policyFiles" -}}
{{- range $path, $_ := .Files.Glob "files/policies/**" }}
{{ trimPrefix "files/policies/" $path | replace "/" "__" }}: {{ trimPrefix "files/policies/" $path }}
{{- end }}
{{- end }}

{{- define "soc-fleet.policyItems" -}}
items:
{{- range $key, $path := include "soc-fleet.policyFiles" . | fromYaml }}
  - { key: {{ $key | quote }}, path: {{ $path | quote }} }
{{- end }}
{{- end }}
