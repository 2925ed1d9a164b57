{{/* Names: <release>-kopiur, or the release name alone when it already holds "kopiur". */}}
{{- define "kopiur.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kopiur.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "kopiur.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "kopiur.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kopiur
{{- end -}}

{{- define "kopiur.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kopiur.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "kopiur.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (printf "%s-controller" (include "kopiur.fullname" .)) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "kopiur.image" -}}
{{- $root := index . 0 -}}{{- $repo := index . 1 -}}{{- $tag := index . 2 -}}{{- $digest := index . 3 -}}
{{- $base := printf "%s/%s" $root.Values.image.registry $repo -}}
{{- if $digest -}}
{{- printf "%s@%s" $base $digest -}}
{{- else -}}
{{- printf "%s:%s" $base (default (default $root.Chart.AppVersion $root.Values.image.tag) $tag) -}}
{{- end -}}
{{- end -}}

{{- define "kopiur.webhookSecretName" -}}
{{- default (printf "%s-webhook-tls" (include "kopiur.fullname" .)) .Values.webhook.tls.secretName -}}
{{- end -}}

{{/*
Logging env, shared by controller and webhook: RUST_LOG is logging.level, or the deprecated
controller.logLevel when that is empty; KOPIUR_LOG_FORMAT is logging.format.
*/}}
{{- define "kopiur.loggingEnv" -}}
- name: RUST_LOG
  value: {{ default .Values.controller.logLevel .Values.logging.level | quote }}
- name: KOPIUR_LOG_FORMAT
  value: {{ default "text" .Values.logging.format | quote }}
{{- end -}}

{{/* OTLP env, only while observability.otlp.enabled; the endpoint is required then. */}}
{{- define "kopiur.otlpEnv" -}}
{{- $otlp := .Values.observability.otlp -}}
{{- if $otlp.enabled -}}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ required "observability.otlp.endpoint is required when observability.otlp.enabled is true (e.g. http://otel-collector.observability.svc:4317)" $otlp.endpoint | quote }}
{{- if $otlp.protocol }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: {{ $otlp.protocol | quote }}
{{- end }}
{{- if and $otlp.headers $otlp.headersSecret.name }}
{{- fail "set either observability.otlp.headers or observability.otlp.headersSecret.name, not both" }}
{{- end }}
{{- if $otlp.headersSecret.name }}
- name: OTEL_EXPORTER_OTLP_HEADERS
  valueFrom:
    secretKeyRef:
      name: {{ $otlp.headersSecret.name | quote }}
      key: {{ required "observability.otlp.headersSecret.key is required with headersSecret.name" $otlp.headersSecret.key | quote }}
{{- else if $otlp.headers }}
- name: OTEL_EXPORTER_OTLP_HEADERS
  value: {{ $otlp.headers | quote }}
{{- end }}
{{- if $otlp.strict }}
- name: KOPIUR_OTEL_STRICT
  value: "true"
{{- end }}
{{- with $otlp.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Downward-API env: the telemetry resource's k8s.pod.name / k8s.namespace.name / k8s.node.name. */}}
{{- define "kopiur.podEnv" -}}
- name: KOPIUR_POD_NAME
  valueFrom: {fieldRef: {fieldPath: metadata.name}}
- name: KOPIUR_NAMESPACE
  valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
- name: KOPIUR_NODE_NAME
  valueFrom: {fieldRef: {fieldPath: spec.nodeName}}
{{- end -}}
