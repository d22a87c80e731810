{{/* Chart name, possibly overridden. */}}
{{- define "peterrec.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-scoped name: <release>-<chart> unless the release name already contains the chart name. */}}
{{- define "peterrec.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "peterrec.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "peterrec.labels" -}}
helm.sh/chart: {{ include "peterrec.chart" . }}
{{ include "peterrec.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: peterrec
{{- end }}

{{- define "peterrec.selectorLabels" -}}
app.kubernetes.io/name: {{ include "peterrec.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Selector labels of one role's pods: (dict "ctx" $ "component" "ingest" ["task" "rec"]). */}}
{{- define "peterrec.componentSelectorLabels" -}}
{{ include "peterrec.selectorLabels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- with .task }}
peterrec.io/task: {{ . | quote }}
{{- end }}
{{- end }}

{{- define "peterrec.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "peterrec.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "peterrec.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "peterrec.cudaImage" -}}
{{- printf "%s:%s" .Values.image.repository (default (printf "%s-cuda" .Chart.AppVersion) .Values.image.cudaTag) }}
{{- end }}

{{- define "peterrec.secretName" -}}
{{- default (include "peterrec.fullname" .) .Values.existingSecret }}
{{- end }}

{{/*
ConfigMap/Secret data for one configuration section: (dict "section" "Ingest" "values" .Values.ingest.config).
Each key becomes PETERREC_<section>__<key> (ServiceDefaults reads PETERREC_-prefixed variables, "__" separates
sections); a list becomes <key>__0, <key>__1, ...; empty strings, nulls and empty lists render nothing, so the
code's default applies. Keys are sorted so the rendered objects (and their checksums) are stable.
*/}}
{{- define "peterrec.sectionEnv" -}}
{{- $section := .section }}
{{- range $key := keys .values | sortAlpha }}
{{- $value := get $.values $key }}
{{- if kindIs "slice" $value }}
{{- range $i, $item := $value }}
{{ printf "PETERREC_%s__%s__%d" $section $key $i }}: {{ include "peterrec.envValue" $item | quote }}
{{- end }}
{{- else if kindIs "map" $value }}
{{- range $entry := keys $value | sortAlpha }}
{{ printf "PETERREC_%s__%s__%s" $section $key $entry }}: {{ include "peterrec.envValue" (get $value $entry) | quote }}
{{- end }}
{{- else if and (not (kindIs "invalid" $value)) (ne (toString $value) "") }}
{{ printf "PETERREC_%s__%s" $section $key }}: {{ include "peterrec.envValue" $value | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/*
One value as the string the .NET configuration binder parses. Helm reads every number in values as float64, which
prints 2592000 as "2.592e+06" (not an int): integral numbers are printed as integers.
*/}}
{{- define "peterrec.envValue" -}}
{{- if and (kindIs "float64" .) (eq . (floor .)) }}{{ int64 . }}{{ else }}{{ toString . }}{{ end }}
{{- end }}

{{/* Kafka:BootstrapServers: required unless BootstrapFile (the dev broker's) is set. */}}
{{- define "peterrec.kafkaBootstrap" -}}
{{- if .Values.config.Kafka.BootstrapServers }}
{{- .Values.config.Kafka.BootstrapServers }}
{{- else if not .Values.config.Kafka.BootstrapFile }}
{{- fail "config.Kafka.BootstrapServers is required: host:port[,host:port] of your Kafka cluster (the chart installs no Kafka; see deploy/README.md)" }}
{{- end }}
{{- end }}

{{/* Redis:Configuration: required. */}}
{{- define "peterrec.redisConfiguration" -}}
{{- if .Values.config.Redis.Configuration }}
{{- .Values.config.Redis.Configuration }}
{{- else }}
{{- fail "config.Redis.Configuration is required: host:port of your Redis (the chart installs no Redis; see deploy/README.md)" }}
{{- end }}
{{- end }}

{{/* Pod annotations that roll the pods when their configuration changes (env is read once, at start). */}}
{{- define "peterrec.configChecksums" -}}
checksum/common: {{ include (print .ctx.Template.BasePath "/common/configmap.yaml") .ctx | sha256sum }}
checksum/secret: {{ include (print .ctx.Template.BasePath "/common/secret.yaml") .ctx | sha256sum }}
checksum/role: {{ include (print .ctx.Template.BasePath "/" .component "/configmap.yaml") .ctx | sha256sum }}
{{- end }}

{{/* envFrom shared by every role: the common ConfigMap, the role's ConfigMap, the credentials Secret. */}}
{{- define "peterrec.envFrom" -}}
- configMapRef:
    name: {{ include "peterrec.fullname" .ctx }}-common
- configMapRef:
    name: {{ .configMap }}
- secretRef:
    name: {{ include "peterrec.secretName" .ctx }}
    optional: true
{{- end }}

{{/* Probes on the role's HTTP port: startup and liveness on /healthz, readiness on /readyz. */}}
{{- define "peterrec.probes" -}}
{{- $p := .Values.probes }}
startupProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: {{ $p.startup.periodSeconds }}
  failureThreshold: {{ $p.startup.failureThreshold }}
livenessProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: {{ $p.liveness.periodSeconds }}
  timeoutSeconds: {{ $p.liveness.timeoutSeconds }}
  failureThreshold: {{ $p.liveness.failureThreshold }}
readinessProbe:
  httpGet: {path: /readyz, port: http}
  periodSeconds: {{ $p.readiness.periodSeconds }}
  timeoutSeconds: {{ $p.readiness.timeoutSeconds }}
  failureThreshold: {{ $p.readiness.failureThreshold }}
{{- end }}

{{/* Volumes every role mounts: a writable /tmp (read-only root filesystem), the optional Kafka CA and Redis TLS files. */}}
{{- define "peterrec.baseVolumes" -}}
- name: tmp
  emptyDir: {}
{{- with .Values.kafkaCaSecret }}
- name: kafka-ca
  secret:
    secretName: {{ . }}
{{- end }}
{{- with .Values.redisTlsSecret }}
- name: redis-tls
  secret:
    secretName: {{ . }}
{{- end }}
{{- end }}

{{- define "peterrec.baseVolumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.kafkaCaSecret }}
- name: kafka-ca
  mountPath: /etc/peterrec/kafka-ca
  readOnly: true
{{- end }}
{{- if .Values.redisTlsSecret }}
- name: redis-tls
  mountPath: /etc/peterrec/redis-tls
  readOnly: true
{{- end }}
{{- end }}

{{/* The model artifacts volume (read-only). */}}
{{- define "peterrec.modelVolume" -}}
- name: model
{{- if .Values.model.volume }}
{{ toYaml .Values.model.volume | indent 2 }}
{{- else if .Values.model.existingClaim }}
  persistentVolumeClaim:
    claimName: {{ .Values.model.existingClaim }}
    readOnly: true
{{- else }}
{{- fail "model.existingClaim or model.volume is required: trainer and serving read the pretrained backbone from it" }}
{{- end }}
{{- end }}

{{- define "peterrec.backboneDir" -}}
{{- printf "%s/%s" (trimSuffix "/" .Values.model.mountPath) .Values.model.backboneDir }}
{{- end }}
