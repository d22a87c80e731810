{{/*
One role's Deployment. Arguments (dict):
  ctx        the root context
  component  ingest | serving | trainer
  command    the peterrec subcommand (ingest, serve, train)
  role       the role's values (replicas, autoscaling, resources, nodeSelector, tolerations, affinity, podLabels,
             podAnnotations, extraEnv, priorityClassName, topologySpreadConstraints, terminationGracePeriodSeconds)
  name       the Deployment's name
  configMap  the role's ConfigMap (its PETERREC_<Section>__* variables)
  task       (trainer) the task name, for labels
  gpu        (trainer) the effective gpu values
  model      mount the model volume
  checkpointClaim (trainer) PVC for the checkpoint directory; empty = emptyDir
*/}}
{{- define "peterrec.deployment" -}}
{{- $root := .ctx }}
{{- $role := .role }}
{{- $gpu := default (dict "enabled" false) .gpu }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .name }}
  labels:
    {{- include "peterrec.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
    {{- with .task }}
    peterrec.io/task: {{ . | quote }}
    {{- end }}
spec:
  {{- if eq .component "trainer" }}
  # One trainer per task: two would train the same patch twice and race on its version numbers.
  replicas: 1
  strategy:
    type: Recreate
  {{- else }}
  {{- if not $role.autoscaling.enabled }}
  replicas: {{ $role.replicas }}
  {{- end }}
  # One pod at a time, the new one ready (partitions assigned) before an old one leaves: one rebalance per step and
  # no partition waiting for a pod that is still loading (docs/runbook.md, "Scaling").
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  {{- end }}
  selector:
    matchLabels:
      {{- include "peterrec.componentSelectorLabels" (dict "ctx" $root "component" .component "task" .task) | nindent 6 }}
  template:
    metadata:
      labels:
        {{- $labels := include "peterrec.labels" $root | fromYaml }}
        {{- $_ := set $labels "app.kubernetes.io/component" .component }}
        {{- with .task }}{{ $_ := set $labels "peterrec.io/task" . }}{{ end }}
        {{- include "peterrec.extraPodMetadata" (dict "what" "podLabels" "chartSet" $labels "global" $root.Values.podLabels "role" $role.podLabels) | nindent 8 }}
      annotations:
        {{- $annotations := include "peterrec.configChecksums" (dict "ctx" $root "component" .component) | fromYaml }}
        {{- include "peterrec.extraPodMetadata" (dict "what" "podAnnotations" "chartSet" $annotations "global" $root.Values.podAnnotations "role" $role.podAnnotations) | nindent 8 }}
    spec:
      serviceAccountName: {{ include "peterrec.serviceAccountName" $root }}
      automountServiceAccountToken: false
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with (default $root.Values.priorityClassName $role.priorityClassName) }}
      priorityClassName: {{ . }}
      {{- end }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      # Kafka consumers leave their group and flush on SIGTERM; a trainer may be mid-checkpoint.
      terminationGracePeriodSeconds: {{ $role.terminationGracePeriodSeconds }}
      containers:
        - name: {{ .component }}
          image: {{ if $gpu.enabled }}{{ include "peterrec.cudaImage" $root }}{{ else }}{{ include "peterrec.image" $root }}{{ end }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          args: [{{ .command | quote }}]
          ports:
            - name: http
              containerPort: {{ $root.Values.config.Http.Port }}
              protocol: TCP
          envFrom:
            {{- include "peterrec.envFrom" (dict "ctx" $root "configMap" .configMap) | nindent 12 }}
          {{- $static := and $root.Values.kafkaStaticMembership (not $root.Values.config.Kafka.GroupInstanceId) }}
          {{- $extraEnv := include "peterrec.extraEnv" (list $root.Values.extraEnv $role.extraEnv) }}
          {{- if or $static $extraEnv }}
          # env wins over envFrom: these override the ConfigMaps.
          env:
            {{- if $static }}
            # Kafka static membership: a container restarted in this pod rejoins its groups as the same member.
            - name: PETERREC_Kafka__GroupInstanceId
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
            {{- end }}
            {{- with $extraEnv }}
            {{- . | nindent 12 }}
            {{- end }}
          {{- end }}
          {{- include "peterrec.probes" $root | nindent 10 }}
          resources:
            {{- $resources := deepCopy (default dict $role.resources) }}
            {{- if $gpu.enabled }}
            {{- $limits := default dict $resources.limits }}
            {{- $_ := set $limits $gpu.resourceName $gpu.count }}
            {{- $_ := set $resources "limits" $limits }}
            {{- end }}
            {{- toYaml $resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          volumeMounts:
            {{- include "peterrec.baseVolumeMounts" $root | nindent 12 }}
            {{- if .model }}
            - name: model
              mountPath: {{ $root.Values.model.mountPath }}
              readOnly: true
            {{- end }}
            {{- if eq .component "trainer" }}
            - name: checkpoints
              mountPath: /var/lib/peterrec/checkpoints
            {{- end }}
      volumes:
        {{- include "peterrec.baseVolumes" $root | nindent 8 }}
        {{- if .model }}
        {{- include "peterrec.modelVolume" $root | nindent 8 }}
        {{- end }}
        {{- if eq .component "trainer" }}
        - name: checkpoints
          {{- if .checkpointClaim }}
          persistentVolumeClaim:
            claimName: {{ .checkpointClaim }}
          {{- else }}
          emptyDir: {}
          {{- end }}
        {{- end }}
      {{- $nodeSelector := merge (deepCopy (default dict $role.nodeSelector)) (ternary (default dict $gpu.nodeSelector) dict $gpu.enabled) }}
      {{- with $nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- $tolerations := concat (default list $role.tolerations) (ternary (default list $gpu.tolerations) list $gpu.enabled) }}
      {{- with $tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $role.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $role.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- include "peterrec.topologySpread" (dict "constraints" . "selector" (include "peterrec.componentSelectorLabels" (dict "ctx" $root "component" $.component "task" $.task) | fromYaml)) | nindent 8 }}
      {{- end }}
{{- end }}

{{/*
Extra pod labels or annotations: the global map, then the role's (role wins). A key the chart sets itself (selector
labels, config checksums) is refused: overriding it would detach the pods from their Deployment or stop the roll on
config changes. Arguments (dict): what (values key, for the message), chartSet, global, role.
*/}}
{{- define "peterrec.extraPodMetadata" -}}
{{- $all := deepCopy .chartSet }}
{{- $chartSet := .chartSet }}
{{- $what := .what }}
{{- range $source := list .global .role }}
{{- range $k, $v := default dict $source }}
{{- if hasKey $chartSet $k }}
{{- fail (printf "%s: %s is set by the chart and cannot be overridden" $what $k) }}
{{- end }}
{{- $_ := set $all $k (toString $v) }}
{{- end }}
{{- end }}
{{- toYaml $all }}
{{- end }}

{{/* extraEnv: the global list, then the role's; a later entry with the same name replaces an earlier one. */}}
{{- define "peterrec.extraEnv" -}}
{{- $byName := dict }}
{{- $order := list }}
{{- range $list := . }}
{{- range $e := default list $list }}
{{- if not (hasKey $byName $e.name) }}{{ $order = append $order $e.name }}{{ end }}
{{- $_ := set $byName $e.name $e }}
{{- end }}
{{- end }}
{{- range $name := $order }}
- {{ toYaml (get $byName $name) | nindent 2 | trim }}
{{- end }}
{{- end }}

{{/* topologySpreadConstraints with labelSelector defaulted to the role's own pods (what spreading them means). */}}
{{- define "peterrec.topologySpread" -}}
{{- $out := list }}
{{- range $c := .constraints }}
{{- $c = deepCopy $c }}
{{- if not (hasKey $c "labelSelector") }}
{{- $_ := set $c "labelSelector" (dict "matchLabels" $.selector) }}
{{- end }}
{{- $out = append $out $c }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/* The Service that exposes a role's /metrics (for the ServiceMonitor); the roles serve nothing else. */}}
{{- define "peterrec.metricsService" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ .name }}
  labels:
    {{- include "peterrec.labels" .ctx | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
    peterrec.io/metrics: "true"
spec:
  clusterIP: None
  selector:
    {{- include "peterrec.componentSelectorLabels" (dict "ctx" .ctx "component" .component "task" .task) | nindent 4 }}
  ports:
    - name: http
      port: {{ .ctx.Values.config.Http.Port }}
      targetPort: http
      protocol: TCP
{{- end }}

{{/* HorizontalPodAutoscaler and PodDisruptionBudget of a scaled role (ingest, serving). */}}
{{- define "peterrec.scaling" -}}
{{- $role := .role }}
{{- if $role.autoscaling.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ .name }}
  labels:
    {{- include "peterrec.labels" .ctx | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ .name }}
  minReplicas: {{ $role.autoscaling.minReplicas }}
  maxReplicas: {{ $role.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $role.autoscaling.targetCPUUtilizationPercentage }}
  # Each step moves partitions (a rebalance); one pod per step keeps every partition's pause to one handover.
  behavior:
    scaleUp:
      stabilizationWindowSeconds: 0
      policies:
        - {type: Pods, value: 1, periodSeconds: {{ $role.autoscaling.stepPeriodSeconds }}}
    scaleDown:
      stabilizationWindowSeconds: {{ $role.autoscaling.scaleDownStabilizationSeconds }}
      policies:
        - {type: Pods, value: 1, periodSeconds: {{ $role.autoscaling.stepPeriodSeconds }}}
{{- end }}
{{- if $role.pdb.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ .name }}
  labels:
    {{- include "peterrec.labels" .ctx | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
spec:
  maxUnavailable: {{ $role.pdb.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "peterrec.componentSelectorLabels" (dict "ctx" .ctx "component" .component) | nindent 6 }}
{{- end }}
{{- end }}
