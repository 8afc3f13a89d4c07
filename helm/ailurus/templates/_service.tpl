{{/*
One of our FastAPI services (gateway, preprocess, ingest): Deployment, Service, HPA, PDB and
ServiceMonitor, all from the service's identically shaped values block.

  dict "root" $ "component" "gateway" "values" .Values.gateway
       "env" (dict of NAME: value the chart sets) "modelSync" false
       "secretKeyRefs" (optional dict of NAME: (dict "name" secret "key" key))

`env` is merged with values.<component>.env (the values win), so a variable is never listed
twice. With modelSync, the pod runs the model sync init container and sidecar and mounts the
synced repository read-only on /models (preprocess reads labels.txt and taxonomy.json there).
*/}}
{{- define "ailurus.service" -}}
{{- $root := .root }}
{{- $v := .values }}
{{- $tracing := fromYaml (include "ailurus.tracing.env" (dict "root" $root "component" .component)) }}
{{- $env := mergeOverwrite (deepCopy .env) $tracing (dict (printf "%s_METRICS_PORT" (upper .component)) ($v.metricsPort | toString)) $v.env }}
{{- $secretEnv := deepCopy $v.secretEnv }}
{{- if has "azure_monitor" (splitList "," $root.Values.tracing.exporter) }}
{{- $_ := set $secretEnv "APPLICATIONINSIGHTS_CONNECTION_STRING" (required "tracing.connectionStringKey is required for azure_monitor" $root.Values.tracing.connectionStringKey) }}
{{- end }}
{{- $keyVaultMounted := and $root.Values.keyVault.enabled (not (empty $secretEnv)) }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "ailurus.componentName" . }}
  labels:
    {{- include "ailurus.componentLabels" . | nindent 4 }}
spec:
  {{- if not (or $v.autoscaling.enabled (and $v.keda (dig "enabled" false ($v.keda | default dict)))) }}
  replicas: {{ $v.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  {{- if or $v.persistence (eq .component "ml") }}
  # One pod at a time: it owns the ReadWriteOnce volume, or (ml) it is the one switcher of what
  # Triton serves (a surge pod following the champion alias would switch beside the old one).
  # The old one stops before the new one starts.
  strategy:
    type: Recreate
  {{- else }}
  # Surge first, never drop below the wanted count: a rollout keeps full capacity.
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
  {{- end }}
  selector:
    matchLabels:
      {{- include "ailurus.componentSelectorLabels" . | nindent 6 }}
  template:
    metadata:
      {{- if or .modelSync $v.podAnnotations }}
      annotations:
        {{- if .modelSync }}
        {{- include "ailurus.modelSyncChecksum" $root | nindent 8 }}
        {{- end }}
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- end }}
      labels:
        {{- include "ailurus.podLabels" (dict "root" $root "component" .component "podLabels" $v.podLabels) | nindent 8 }}
    spec:
      serviceAccountName: {{ include "ailurus.serviceAccountName" (dict "root" $root "component" .component) }}
      # Nothing here calls the Kubernetes API; workload identity projects its own token.
      automountServiceAccountToken: false
      # Service links would inject <SERVICE>_PORT=tcp://... variables that can collide with our settings.
      enableServiceLinks: false
      terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      {{- if .modelSync }}
      initContainers:
        {{- include "ailurus.modelSyncContainer" (dict "root" $root "mode" "once" "include" $root.Values.modelSync.preprocessInclude) | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .component }}
          image: {{ include "ailurus.image" (dict "image" $v.image "root" $root) }}
          imagePullPolicy: {{ $v.image.pullPolicy }}
          ports:
            - name: http
              containerPort: {{ $v.port }}
              protocol: TCP
            # /metrics only here: the Ingress routes to http, the NetworkPolicy opens this to Prometheus.
            - name: metrics
              containerPort: {{ $v.metricsPort }}
              protocol: TCP
          env:
            {{- range $name, $value := $env }}
            - name: {{ $name }}
              value: {{ $value | toString | quote }}
            {{- end }}
            {{- with $secretEnv }}
            {{- include "ailurus.secretEnv" (dict "root" $root "secretEnv" .) | trim | nindent 12 }}
            {{- end }}
            {{- /* Secrets of the release itself (e.g. Triton's restricted-API key for the ML service). */}}
            {{- range $name, $ref := (.secretKeyRefs | default dict) }}
            - name: {{ $name }}
              valueFrom:
                secretKeyRef:
                  name: {{ $ref.name }}
                  key: {{ $ref.key }}
            {{- end }}
          startupProbe:
            httpGet:
              path: /healthz
              port: http
            {{- toYaml $v.probes.startup | nindent 12 }}
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
            {{- toYaml $v.probes.liveness | nindent 12 }}
          readinessProbe:
            httpGet:
              path: /readyz
              port: http
            {{- toYaml $v.probes.readiness | nindent 12 }}
          lifecycle:
            preStop:
              sleep:
                seconds: {{ $v.preStopSleepSeconds }}
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- if $v.persistence }}
            - name: data
              mountPath: /data
            {{- end }}
            {{- if .modelSync }}
            - name: models
              mountPath: /models
              readOnly: true
            {{- end }}
            {{- if $keyVaultMounted }}
            - name: keyvault
              mountPath: {{ $root.Values.keyVault.mountPath }}
              readOnly: true
            {{- end }}
        {{- if .modelSync }}
        {{- include "ailurus.modelSyncContainer" (dict "root" $root "mode" "loop" "include" $root.Values.modelSync.preprocessInclude) | nindent 8 }}
        {{- end }}
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: {{ $v.tmpSizeLimit }}
        {{- if $v.persistence }}
        - name: data
          persistentVolumeClaim:
            claimName: {{ include "ailurus.componentName" . }}-data
        {{- end }}
        {{- if .modelSync }}
        {{- include "ailurus.modelSyncVolumes" $root | nindent 8 }}
        {{- end }}
        {{- if $keyVaultMounted }}
        - name: keyvault
          csi:
            driver: secrets-store.csi.k8s.io
            readOnly: true
            volumeAttributes:
              secretProviderClass: {{ include "ailurus.fullname" $root }}-keyvault
        {{- end }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- toYaml . | nindent 8 }}
      {{- end }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ include "ailurus.componentName" . }}
  labels:
    {{- include "ailurus.componentLabels" . | nindent 4 }}
spec:
  type: ClusterIP
  {{- if $v.sessionAffinity }}
  # One client stays on one pod: a gateway's live upload progress is in that pod's memory.
  sessionAffinity: ClientIP
  {{- end }}
  ports:
    - name: http
      port: {{ $v.port }}
      targetPort: http
      protocol: TCP
    - name: metrics
      port: {{ $v.metricsPort }}
      targetPort: metrics
      protocol: TCP
  selector:
    {{- include "ailurus.componentSelectorLabels" . | nindent 4 }}
{{- if $v.autoscaling.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "ailurus.componentName" . }}
  labels:
    {{- include "ailurus.componentLabels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "ailurus.componentName" . }}
  minReplicas: {{ $v.autoscaling.minReplicas }}
  maxReplicas: {{ $v.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $v.autoscaling.targetCPUUtilizationPercentage }}
{{- end }}
{{ include "ailurus.pdb" . }}
{{/* Our histograms carry their own `service` label (gateway, ...): honorLabels keeps it
     instead of renaming it exported_service under the target's Service name. */}}
{{ include "ailurus.serviceMonitor" (dict "root" $root "component" .component "port" "metrics" "honorLabels" true) }}
{{- end }}
