{{/*
Names and labels, as in `helm create`: name, fullname, chart, labels, selectorLabels.
Components (gateway, preprocess, ingest, triton) add app.kubernetes.io/component.
*/}}

{{- define "ailurus.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "ailurus.fullname" -}}
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

{{- define "ailurus.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "ailurus.labels" -}}
helm.sh/chart: {{ include "ailurus.chart" . }}
{{ include "ailurus.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: ailurus
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "ailurus.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ailurus.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* A component's resource name: <fullname>-<component>, at most 63 characters. */}}
{{- define "ailurus.componentName" -}}
{{- printf "%s-%s" (include "ailurus.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* dict "root" $ "component" "gateway" */}}
{{- define "ailurus.componentLabels" -}}
{{ include "ailurus.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* dict "root" $ "component" "gateway" */}}
{{- define "ailurus.componentSelectorLabels" -}}
{{ include "ailurus.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* A component's ServiceAccount: <prefix>-<component>. dict "root" $ "component" "gateway" */}}
{{- define "ailurus.serviceAccountName" -}}
{{- $values := .root.Values.serviceAccount }}
{{- $prefix := $values.name }}
{{- if not $values.create }}
{{- $prefix = required "serviceAccount.name (the prefix of the existing ServiceAccounts) is required when serviceAccount.create is false" $values.name }}
{{- end }}
{{- printf "%s-%s" (default (include "ailurus.fullname" .root) $prefix) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The managed identity a component's ServiceAccount is federated with. dict "root" $ "component" "gateway" */}}
{{- define "ailurus.identityClientId" -}}
{{- $identity := .root.Values.workloadIdentity }}
{{- default $identity.clientId (index $identity.clientIds .component) }}
{{- end }}

{{- define "ailurus.keyVaultSecretName" -}}
{{- default (printf "%s-keyvault" (include "ailurus.fullname" .)) .Values.keyVault.secretName }}
{{- end }}

{{/* dict "image" .Values.gateway.image "root" $ : repository:tag, tag defaulting to appVersion. */}}
{{- define "ailurus.image" -}}
{{- printf "%s:%s" .image.repository (.image.tag | default .root.Chart.AppVersion | toString) }}
{{- end }}

{{/* In-cluster base URL of a component's HTTP Service. dict "root" $ "component" "ingest" */}}
{{- define "ailurus.serviceUrl" -}}
{{- $svc := index .root.Values .component }}
{{- printf "http://%s:%v" (include "ailurus.componentName" .) $svc.port }}
{{- end }}

{{- define "ailurus.modelSyncSource" -}}
{{- if .Values.modelSync.source }}
{{- .Values.modelSync.source }}
{{- else if .Values.azure.storage.accountUrl }}
{{- printf "%s/%s" (.Values.azure.storage.accountUrl | trimSuffix "/") .Values.azure.storage.modelsContainer }}
{{- end }}
{{- end }}

{{- define "ailurus.authIssuer" -}}
{{- if .Values.auth.issuer }}
{{- .Values.auth.issuer }}
{{- else if .Values.azure.tenantId }}
{{- printf "%s/%s/v2.0" (.Values.auth.authorityHost | trimSuffix "/") .Values.azure.tenantId }}
{{- end }}
{{- end }}

{{- define "ailurus.authMetadataUrl" -}}
{{- if .Values.auth.metadataUrl }}
{{- .Values.auth.metadataUrl }}
{{- else if .Values.azure.tenantId }}
{{- printf "%s/%s/v2.0/.well-known/openid-configuration" (.Values.auth.authorityHost | trimSuffix "/") .Values.azure.tenantId }}
{{- end }}
{{- end }}

{{/*
Pod metadata labels of a component: selector labels, the workload identity opt-in, and the
component's podLabels. dict "root" $ "component" "gateway" "podLabels" .Values.gateway.podLabels
*/}}
{{- define "ailurus.podLabels" -}}
{{ include "ailurus.componentLabels" . }}
{{- if .root.Values.workloadIdentity.enabled }}
azure.workload.identity/use: "true"
{{- end }}
{{- with .podLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Environment variables read from the Key Vault synced Secret, from a NAME: key map.
dict "root" $ "secretEnv" .Values.gateway.secretEnv
*/}}
{{- define "ailurus.secretEnv" -}}
{{- $secret := include "ailurus.keyVaultSecretName" .root -}}
{{- range $name, $key := .secretEnv }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $key }}
{{- end }}
{{- end }}

{{/*
The model sync containers (files/model-sync.sh): "once" as an init container, "loop" as a
sidecar. dict "root" $ "mode" "once" "include" "<azcopy include pattern or empty>"
*/}}
{{- define "ailurus.modelSyncContainer" -}}
{{- $root := .root -}}
- name: {{ ternary "model-sync-init" "model-sync" (eq .mode "once") }}
  image: {{ include "ailurus.image" (dict "image" $root.Values.modelSync.image "root" $root) }}
  imagePullPolicy: {{ $root.Values.modelSync.image.pullPolicy }}
  command: ["/bin/sh", "/opt/model-sync/model-sync.sh", {{ .mode | quote }}]
  env:
    - name: MODEL_SYNC_SOURCE
      value: {{ include "ailurus.modelSyncSource" $root | quote }}
    - name: MODEL_SYNC_STAGING
      value: /model-staging
    - name: MODEL_SYNC_TARGET
      value: /models
    - name: MODEL_SYNC_INTERVAL_S
      value: {{ $root.Values.modelSync.intervalSeconds | quote }}
    - name: MODEL_SYNC_INCLUDE
      value: {{ .include | default "" | quote }}
    - name: AZCOPY_AUTO_LOGIN_TYPE
      value: WORKLOAD
    # azcopy writes logs and job plans under $HOME/.azcopy: keep them on the /tmp emptyDir.
    - name: HOME
      value: /tmp
    - name: AZCOPY_LOG_LOCATION
      value: /tmp/azcopy
    - name: AZCOPY_JOB_PLAN_LOCATION
      value: /tmp/azcopy/plans
  resources:
    {{- toYaml $root.Values.modelSync.resources | nindent 4 }}
  securityContext:
    {{- toYaml $root.Values.securityContext | nindent 4 }}
  volumeMounts:
    - name: model-sync-script
      mountPath: /opt/model-sync
      readOnly: true
    - name: model-staging
      mountPath: /model-staging
    - name: models
      mountPath: /models
    - name: model-sync-tmp
      mountPath: /tmp
{{- end }}

{{/* Volumes of the model sync. */}}
{{- define "ailurus.modelSyncVolumes" -}}
- name: model-sync-script
  configMap:
    name: {{ include "ailurus.fullname" . }}-model-sync
    defaultMode: 0555
- name: model-staging
  emptyDir:
    sizeLimit: {{ .Values.modelSync.sizeLimit }}
- name: models
  emptyDir:
    sizeLimit: {{ .Values.modelSync.sizeLimit }}
- name: model-sync-tmp
  emptyDir:
    sizeLimit: 256Mi
{{- end }}

{{/* Restarts pods whose model sync script changed (a content checksum, never `now`). */}}
{{- define "ailurus.modelSyncChecksum" -}}
checksum/model-sync: {{ .Files.Get "files/model-sync.sh" | sha256sum }}
{{- end }}

{{/*
PodDisruptionBudget of a component. dict "root" $ "component" "gateway" "values" .Values.gateway
*/}}
{{- define "ailurus.pdb" -}}
{{- if .values.pdb.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "ailurus.componentName" . }}
  labels:
    {{- include "ailurus.componentLabels" . | nindent 4 }}
spec:
  maxUnavailable: {{ .values.pdb.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "ailurus.componentSelectorLabels" . | nindent 6 }}
{{- end }}
{{- end }}

{{/*
ServiceMonitor of a component. dict "root" $ "component" "gateway" "port" "http" "honorLabels" true
*/}}
{{- define "ailurus.serviceMonitor" -}}
{{- if .root.Values.serviceMonitor.enabled }}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "ailurus.componentName" . }}
  labels:
    {{- include "ailurus.componentLabels" . | nindent 4 }}
    {{- with .root.Values.serviceMonitor.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "ailurus.componentSelectorLabels" . | nindent 6 }}
  namespaceSelector:
    matchNames:
      - {{ .root.Release.Namespace }}
  endpoints:
    - port: {{ .port }}
      path: /metrics
      interval: {{ .root.Values.serviceMonitor.interval }}
      scrapeTimeout: {{ .root.Values.serviceMonitor.scrapeTimeout }}
      honorLabels: {{ .honorLabels }}
{{- end }}
{{- end }}

{{/*
Token checks of the internal services: they accept only the gateway's service token (an
Entra ID app-only token its workload identity obtains for the API, with the admin role).
*/}}
{{- define "ailurus.serviceAuthEnv" -}}
{{ .prefix }}_AUTH_MODE: {{ .root.Values.auth.mode | quote }}
{{ .prefix }}_AUTH_SERVICE_AUDIENCE: {{ .root.Values.auth.serviceAudience | quote }}
{{- if eq .root.Values.auth.mode "entra" }}
{{ .prefix }}_AUTH_AUDIENCE: {{ .root.Values.auth.audience | quote }}
{{ .prefix }}_AUTH_ISSUER: {{ include "ailurus.authIssuer" .root | quote }}
{{ .prefix }}_AUTH_METADATA_URL: {{ include "ailurus.authMetadataUrl" .root | quote }}
{{- end }}
{{- end }}

{{/*
The standard OpenTelemetry variables of one component, from .Values.tracing (nothing when
the exporter is none: the services then install no tracer at all).
  dict "root" $ "component" "gateway"
*/}}
{{- define "ailurus.tracing.env" -}}
{{- $t := .root.Values.tracing }}
{{- if ne $t.exporter "none" }}
OTEL_TRACES_EXPORTER: {{ $t.exporter | quote }}
OTEL_SERVICE_NAME: {{ .component | quote }}
OTEL_TRACES_SAMPLER: parentbased_traceidratio
OTEL_TRACES_SAMPLER_ARG: {{ $t.samplerRatio | toString | quote }}
{{- if has "otlp" (splitList "," $t.exporter) }}
OTEL_EXPORTER_OTLP_ENDPOINT: {{ required "tracing.otlpEndpoint is required for otlp" $t.otlpEndpoint | quote }}
OTEL_EXPORTER_OTLP_PROTOCOL: http/protobuf
{{- end }}
{{- end }}
{{- end }}
