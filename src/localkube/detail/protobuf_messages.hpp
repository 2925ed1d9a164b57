// The messages the local API server decodes from protobuf request bodies (protobuf_body.hpp),
// as tables of (field number, JSON name, how to read it), transcribed from the public .proto
// files: k8s.io/api core/v1, batch/v1, apps/v1 and rbac/v1, k8s.io/apimachinery meta/v1. A
// message marked partial lists only some of its fields; a body that sets another one (to
// anything but its zero value) is refused rather than stored without it.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace kopiur::localkube::detail::pb {

enum class PbKind {
  kString,       // string; left out when empty (Go's omitempty) unless `keep_zero`
  kBytes,        // bytes, as base64
  kInt,          // int32 or int64 varint; left out when zero unless `keep_zero`
  kBool,         // varint; left out when false unless `keep_zero` (a pointer field in Go)
  kTime,         // meta/v1 Time {seconds, nanos}: RFC 3339, left out when zero (Go writes null)
  kStringMap,    // map<string, string>
  kBytesMap,     // map<string, bytes>, values as base64
  kStringList,   // repeated string
  kMessage,      // a nested message
  kMessageList,  // repeated nested message
  kIntOrString   // util/intstr IntOrString {type, intVal, strVal}: a JSON number or string
};

struct PbMessage;

struct PbField {
  std::uint32_t number;
  std::string_view name;
  PbKind kind;
  const PbMessage* message = nullptr;
  // Kept when zero or empty: a pointer field in Go, or one whose JSON tag has no omitempty.
  bool keep_zero = false;
};

struct PbMessage {
  std::string_view name;
  std::span<const PbField> fields;
  // FieldsV1: the message stands for the JSON document in its field 1 (`Raw`).
  bool raw_json = false;
  // false: only the listed fields are read, so any other field set to a value other than its
  // zero value makes the body unreadable (415) instead of being dropped.
  bool complete = true;
};

template <std::size_t N>
constexpr PbMessage pb_message(std::string_view name, const std::array<PbField, N>& fields,
                               bool raw_json = false) {
  return PbMessage{name, std::span<const PbField>(fields), raw_json};
}

// A message of which only `fields` are read (what kubectl's generators and common manifests set).
template <std::size_t N>
constexpr PbMessage pb_partial(std::string_view name, const std::array<PbField, N>& fields) {
  return PbMessage{name, std::span<const PbField>(fields), false, /*complete=*/false};
}

constexpr bool kKeep = true;  // PbField::keep_zero

// k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto
constexpr std::array kPbFieldsV1Fields{PbField{1, "Raw", PbKind::kBytes}};
constexpr auto kPbFieldsV1 = pb_message("FieldsV1", kPbFieldsV1Fields, /*raw_json=*/true);
constexpr std::array kPbOwnerRefFields{
    PbField{5, "apiVersion", PbKind::kString},
    PbField{1, "kind", PbKind::kString},
    PbField{3, "name", PbKind::kString},
    PbField{4, "uid", PbKind::kString},
    PbField{6, "controller", PbKind::kBool, nullptr, kKeep},
    PbField{7, "blockOwnerDeletion", PbKind::kBool, nullptr, kKeep}};
constexpr auto kPbOwnerRef = pb_message("OwnerReference", kPbOwnerRefFields);
constexpr std::array kPbManagedFieldsFields{PbField{1, "manager", PbKind::kString},
                                            PbField{2, "operation", PbKind::kString},
                                            PbField{3, "apiVersion", PbKind::kString},
                                            PbField{4, "time", PbKind::kTime},
                                            PbField{6, "fieldsType", PbKind::kString},
                                            PbField{7, "fieldsV1", PbKind::kMessage, &kPbFieldsV1},
                                            PbField{8, "subresource", PbKind::kString}};
constexpr auto kPbManagedFields = pb_message("ManagedFieldsEntry", kPbManagedFieldsFields);
constexpr std::array kPbObjectMetaFields{
    PbField{1, "name", PbKind::kString},
    PbField{2, "generateName", PbKind::kString},
    PbField{3, "namespace", PbKind::kString},
    PbField{4, "selfLink", PbKind::kString},
    PbField{5, "uid", PbKind::kString},
    PbField{6, "resourceVersion", PbKind::kString},
    PbField{7, "generation", PbKind::kInt},
    PbField{8, "creationTimestamp", PbKind::kTime},
    PbField{9, "deletionTimestamp", PbKind::kTime},
    PbField{10, "deletionGracePeriodSeconds", PbKind::kInt, nullptr, kKeep},
    PbField{11, "labels", PbKind::kStringMap},
    PbField{12, "annotations", PbKind::kStringMap},
    PbField{13, "ownerReferences", PbKind::kMessageList, &kPbOwnerRef},
    PbField{14, "finalizers", PbKind::kStringList},
    PbField{17, "managedFields", PbKind::kMessageList, &kPbManagedFields}};
constexpr auto kPbObjectMeta = pb_message("ObjectMeta", kPbObjectMetaFields);

// k8s.io/api/core/v1/generated.proto
constexpr std::array kPbConfigMapFields{PbField{1, "metadata", PbKind::kMessage, &kPbObjectMeta},
                                        PbField{2, "data", PbKind::kStringMap},
                                        PbField{3, "binaryData", PbKind::kBytesMap},
                                        PbField{4, "immutable", PbKind::kBool, nullptr, kKeep}};
constexpr auto kPbConfigMap = pb_message("ConfigMap", kPbConfigMapFields);
constexpr std::array kPbSecretFields{
    PbField{1, "metadata", PbKind::kMessage, &kPbObjectMeta}, PbField{2, "data", PbKind::kBytesMap},
    PbField{3, "type", PbKind::kString}, PbField{4, "stringData", PbKind::kStringMap},
    PbField{5, "immutable", PbKind::kBool, nullptr, kKeep}};
constexpr auto kPbSecret = pb_message("Secret", kPbSecretFields);
constexpr std::array kPbNamespaceSpecFields{PbField{1, "finalizers", PbKind::kStringList}};
constexpr auto kPbNamespaceSpec = pb_message("NamespaceSpec", kPbNamespaceSpecFields);
constexpr std::array kPbNamespaceConditionFields{
    PbField{1, "type", PbKind::kString, nullptr, kKeep},
    PbField{2, "status", PbKind::kString, nullptr, kKeep},
    PbField{4, "lastTransitionTime", PbKind::kTime}, PbField{5, "reason", PbKind::kString},
    PbField{6, "message", PbKind::kString}};
constexpr auto kPbNamespaceCondition =
    pb_message("NamespaceCondition", kPbNamespaceConditionFields);
constexpr std::array kPbNamespaceStatusFields{
    PbField{1, "phase", PbKind::kString},
    PbField{2, "conditions", PbKind::kMessageList, &kPbNamespaceCondition}};
constexpr auto kPbNamespaceStatus = pb_message("NamespaceStatus", kPbNamespaceStatusFields);
constexpr std::array kPbNamespaceFields{
    PbField{1, "metadata", PbKind::kMessage, &kPbObjectMeta},
    PbField{2, "spec", PbKind::kMessage, &kPbNamespaceSpec},
    PbField{3, "status", PbKind::kMessage, &kPbNamespaceStatus}};
constexpr auto kPbNamespace = pb_message("Namespace", kPbNamespaceFields);
constexpr std::array kPbObjectRefFields{
    PbField{1, "kind", PbKind::kString},       PbField{2, "namespace", PbKind::kString},
    PbField{3, "name", PbKind::kString},       PbField{4, "uid", PbKind::kString},
    PbField{5, "apiVersion", PbKind::kString}, PbField{6, "resourceVersion", PbKind::kString},
    PbField{7, "fieldPath", PbKind::kString}};
constexpr auto kPbObjectRef = pb_message("ObjectReference", kPbObjectRefFields);
constexpr std::array kPbLocalObjectRefFields{PbField{1, "name", PbKind::kString}};
constexpr auto kPbLocalObjectRef = pb_message("LocalObjectReference", kPbLocalObjectRefFields);
constexpr std::array kPbServiceAccountFields{
    PbField{1, "metadata", PbKind::kMessage, &kPbObjectMeta},
    PbField{2, "secrets", PbKind::kMessageList, &kPbObjectRef},
    PbField{3, "imagePullSecrets", PbKind::kMessageList, &kPbLocalObjectRef},
    PbField{4, "automountServiceAccountToken", PbKind::kBool, nullptr, kKeep}};
constexpr auto kPbServiceAccount = pb_message("ServiceAccount", kPbServiceAccountFields);

// k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto
constexpr std::array kPbSelectorRequirementFields{
    PbField{1, "key", PbKind::kString, nullptr, kKeep},
    PbField{2, "operator", PbKind::kString, nullptr, kKeep},
    PbField{3, "values", PbKind::kStringList}};
constexpr auto kPbSelectorRequirement =
    pb_message("LabelSelectorRequirement", kPbSelectorRequirementFields);
constexpr std::array kPbLabelSelectorFields{
    PbField{1, "matchLabels", PbKind::kStringMap},
    PbField{2, "matchExpressions", PbKind::kMessageList, &kPbSelectorRequirement}};
constexpr auto kPbLabelSelector = pb_message("LabelSelector", kPbLabelSelectorFields);

// k8s.io/api/rbac/v1/generated.proto
constexpr std::array kPbPolicyRuleFields{
    PbField{1, "verbs", PbKind::kStringList}, PbField{2, "apiGroups", PbKind::kStringList},
    PbField{3, "resources", PbKind::kStringList}, PbField{4, "resourceNames", PbKind::kStringList},
    PbField{5, "nonResourceURLs", PbKind::kStringList}};
constexpr auto kPbPolicyRule = pb_message("PolicyRule", kPbPolicyRuleFields);
constexpr std::array kPbAggregationRuleFields{
    PbField{1, "clusterRoleSelectors", PbKind::kMessageList, &kPbLabelSelector}};
constexpr auto kPbAggregationRule = pb_message("AggregationRule", kPbAggregationRuleFields);
constexpr std::array kPbSubjectFields{
    PbField{1, "kind", PbKind::kString, nullptr, kKeep}, PbField{2, "apiGroup", PbKind::kString},
    PbField{3, "name", PbKind::kString, nullptr, kKeep}, PbField{4, "namespace", PbKind::kString}};
constexpr auto kPbSubject = pb_message("Subject", kPbSubjectFields);
constexpr std::array kPbRoleRefFields{PbField{1, "apiGroup", PbKind::kString, nullptr, kKeep},
                                      PbField{2, "kind", PbKind::kString, nullptr, kKeep},
                                      PbField{3, "name", PbKind::kString, nullptr, kKeep}};
constexpr auto kPbRoleRef = pb_message("RoleRef", kPbRoleRefFields);
constexpr std::array kPbRoleFields{PbField{1, "metadata", PbKind::kMessage, &kPbObjectMeta},
                                   PbField{2, "rules", PbKind::kMessageList, &kPbPolicyRule}};
constexpr auto kPbRole = pb_message("Role", kPbRoleFields);
constexpr std::array kPbClusterRoleFields{
    PbField{1, "metadata", PbKind::kMessage, &kPbObjectMeta},
    PbField{2, "rules", PbKind::kMessageList, &kPbPolicyRule},
    PbField{3, "aggregationRule", PbKind::kMessage, &kPbAggregationRule}};
constexpr auto kPbClusterRole = pb_message("ClusterRole", kPbClusterRoleFields);
constexpr std::array kPbBindingFields{PbField{1, "metadata", PbKind::kMessage, &kPbObjectMeta},
                                      PbField{2, "subjects", PbKind::kMessageList, &kPbSubject},
                                      PbField{3, "roleRef", PbKind::kMessage, &kPbRoleRef}};
constexpr auto kPbRoleBinding = pb_message("RoleBinding", kPbBindingFields);
constexpr auto kPbClusterRoleBinding = pb_message("ClusterRoleBinding", kPbBindingFields);

// k8s.io/api/core/v1/generated.proto: pod templates, read in part (what `kubectl create
// job|deployment` write and what a simple manifest uses; probes, volumes, resources, security
// contexts and the like are not read).
constexpr std::array kPbEnvVarFields{PbField{1, "name", PbKind::kString, nullptr, kKeep},
                                     PbField{2, "value", PbKind::kString}};
constexpr auto kPbEnvVar = pb_partial("EnvVar", kPbEnvVarFields);
constexpr std::array kPbContainerPortFields{
    PbField{1, "name", PbKind::kString}, PbField{2, "hostPort", PbKind::kInt},
    PbField{3, "containerPort", PbKind::kInt, nullptr, kKeep},
    PbField{4, "protocol", PbKind::kString}, PbField{5, "hostIP", PbKind::kString}};
constexpr auto kPbContainerPort = pb_message("ContainerPort", kPbContainerPortFields);
constexpr std::array kPbContainerFields{
    PbField{1, "name", PbKind::kString, nullptr, kKeep},
    PbField{2, "image", PbKind::kString},
    PbField{3, "command", PbKind::kStringList},
    PbField{4, "args", PbKind::kStringList},
    PbField{5, "workingDir", PbKind::kString},
    PbField{6, "ports", PbKind::kMessageList, &kPbContainerPort},
    PbField{7, "env", PbKind::kMessageList, &kPbEnvVar},
    PbField{13, "terminationMessagePath", PbKind::kString},
    PbField{14, "imagePullPolicy", PbKind::kString},
    PbField{20, "terminationMessagePolicy", PbKind::kString},
    PbField{24, "restartPolicy", PbKind::kString}};
constexpr auto kPbContainer = pb_partial("Container", kPbContainerFields);
constexpr std::array kPbPodSpecFields{
    PbField{2, "containers", PbKind::kMessageList, &kPbContainer},
    PbField{20, "initContainers", PbKind::kMessageList, &kPbContainer},
    PbField{3, "restartPolicy", PbKind::kString},
    PbField{4, "terminationGracePeriodSeconds", PbKind::kInt, nullptr, kKeep},
    PbField{5, "activeDeadlineSeconds", PbKind::kInt, nullptr, kKeep},
    PbField{6, "dnsPolicy", PbKind::kString},
    PbField{7, "nodeSelector", PbKind::kStringMap},
    PbField{8, "serviceAccountName", PbKind::kString},
    PbField{9, "serviceAccount", PbKind::kString},
    PbField{21, "automountServiceAccountToken", PbKind::kBool, nullptr, kKeep},
    PbField{10, "nodeName", PbKind::kString},
    PbField{15, "imagePullSecrets", PbKind::kMessageList, &kPbLocalObjectRef},
    PbField{16, "hostname", PbKind::kString},
    PbField{17, "subdomain", PbKind::kString},
    PbField{19, "schedulerName", PbKind::kString},
    PbField{24, "priorityClassName", PbKind::kString}};
constexpr auto kPbPodSpec = pb_partial("PodSpec", kPbPodSpecFields);
constexpr std::array kPbPodTemplateFields{PbField{1, "metadata", PbKind::kMessage, &kPbObjectMeta},
                                          PbField{2, "spec", PbKind::kMessage, &kPbPodSpec}};
constexpr auto kPbPodTemplate = pb_message("PodTemplateSpec", kPbPodTemplateFields);

// A pod, with the pod spec read in part as above. A client's status on create is all zeros.
constexpr std::array<PbField, 0> kPbNoFields{};
constexpr auto kPbPodStatus = pb_partial("PodStatus", kPbNoFields);
constexpr std::array kPbPodFields{PbField{1, "metadata", PbKind::kMessage, &kPbObjectMeta},
                                  PbField{2, "spec", PbKind::kMessage, &kPbPodSpec},
                                  PbField{3, "status", PbKind::kMessage, &kPbPodStatus}};
constexpr auto kPbPod = pb_message("Pod", kPbPodFields);

// Services: every field but spec.sessionAffinityConfig; the status only as far as a client's
// empty one.
constexpr std::array kPbServicePortFields{PbField{1, "name", PbKind::kString},
                                          PbField{2, "protocol", PbKind::kString},
                                          PbField{6, "appProtocol", PbKind::kString},
                                          PbField{3, "port", PbKind::kInt, nullptr, kKeep},
                                          PbField{4, "targetPort", PbKind::kIntOrString},
                                          PbField{5, "nodePort", PbKind::kInt}};
constexpr auto kPbServicePort = pb_message("ServicePort", kPbServicePortFields);
constexpr std::array kPbServiceSpecFields{
    PbField{1, "ports", PbKind::kMessageList, &kPbServicePort},
    PbField{2, "selector", PbKind::kStringMap},
    PbField{3, "clusterIP", PbKind::kString},
    PbField{18, "clusterIPs", PbKind::kStringList},
    PbField{4, "type", PbKind::kString},
    PbField{5, "externalIPs", PbKind::kStringList},
    PbField{7, "sessionAffinity", PbKind::kString},
    PbField{8, "loadBalancerIP", PbKind::kString},
    PbField{9, "loadBalancerSourceRanges", PbKind::kStringList},
    PbField{10, "externalName", PbKind::kString},
    PbField{11, "externalTrafficPolicy", PbKind::kString},
    PbField{12, "healthCheckNodePort", PbKind::kInt},
    PbField{13, "publishNotReadyAddresses", PbKind::kBool},
    PbField{19, "ipFamilies", PbKind::kStringList},
    PbField{17, "ipFamilyPolicy", PbKind::kString},
    PbField{20, "allocateLoadBalancerNodePorts", PbKind::kBool, nullptr, kKeep},
    PbField{21, "loadBalancerClass", PbKind::kString},
    PbField{22, "internalTrafficPolicy", PbKind::kString},
    PbField{23, "trafficDistribution", PbKind::kString}};
constexpr auto kPbServiceSpec = pb_partial("ServiceSpec", kPbServiceSpecFields);
constexpr auto kPbServiceStatus = pb_partial("ServiceStatus", kPbNoFields);
constexpr std::array kPbServiceFields{PbField{1, "metadata", PbKind::kMessage, &kPbObjectMeta},
                                      PbField{2, "spec", PbKind::kMessage, &kPbServiceSpec},
                                      PbField{3, "status", PbKind::kMessage, &kPbServiceStatus}};
constexpr auto kPbService = pb_message("Service", kPbServiceFields);

// k8s.io/api/batch/v1/generated.proto
constexpr std::array kPbJobSpecFields{
    PbField{1, "parallelism", PbKind::kInt, nullptr, kKeep},
    PbField{2, "completions", PbKind::kInt, nullptr, kKeep},
    PbField{3, "activeDeadlineSeconds", PbKind::kInt, nullptr, kKeep},
    PbField{7, "backoffLimit", PbKind::kInt, nullptr, kKeep},
    PbField{12, "backoffLimitPerIndex", PbKind::kInt, nullptr, kKeep},
    PbField{13, "maxFailedIndexes", PbKind::kInt, nullptr, kKeep},
    PbField{4, "selector", PbKind::kMessage, &kPbLabelSelector},
    PbField{5, "manualSelector", PbKind::kBool, nullptr, kKeep},
    PbField{6, "template", PbKind::kMessage, &kPbPodTemplate},
    PbField{8, "ttlSecondsAfterFinished", PbKind::kInt, nullptr, kKeep},
    PbField{9, "completionMode", PbKind::kString},
    PbField{10, "suspend", PbKind::kBool, nullptr, kKeep},
    PbField{14, "podReplacementPolicy", PbKind::kString},
    PbField{15, "managedBy", PbKind::kString}};
constexpr auto kPbJobSpec = pb_partial("JobSpec", kPbJobSpecFields);
// The status a client sends on create is all zeros (the server sets it); read as far as that.
constexpr std::array kPbJobStatusFields{
    PbField{4, "active", PbKind::kInt}, PbField{5, "succeeded", PbKind::kInt},
    PbField{6, "failed", PbKind::kInt}, PbField{7, "completedIndexes", PbKind::kString}};
constexpr auto kPbJobStatus = pb_partial("JobStatus", kPbJobStatusFields);
constexpr std::array kPbJobFields{PbField{1, "metadata", PbKind::kMessage, &kPbObjectMeta},
                                  PbField{2, "spec", PbKind::kMessage, &kPbJobSpec},
                                  PbField{3, "status", PbKind::kMessage, &kPbJobStatus}};
constexpr auto kPbJob = pb_message("Job", kPbJobFields);

// k8s.io/api/apps/v1/generated.proto
constexpr std::array kPbStrategyFields{PbField{1, "type", PbKind::kString}};
constexpr auto kPbStrategy = pb_partial("DeploymentStrategy", kPbStrategyFields);
constexpr std::array kPbDeploymentSpecFields{
    PbField{1, "replicas", PbKind::kInt, nullptr, kKeep},
    PbField{2, "selector", PbKind::kMessage, &kPbLabelSelector},
    PbField{3, "template", PbKind::kMessage, &kPbPodTemplate},
    PbField{4, "strategy", PbKind::kMessage, &kPbStrategy},
    PbField{5, "minReadySeconds", PbKind::kInt},
    PbField{6, "revisionHistoryLimit", PbKind::kInt, nullptr, kKeep},
    PbField{7, "paused", PbKind::kBool},
    PbField{9, "progressDeadlineSeconds", PbKind::kInt, nullptr, kKeep}};
constexpr auto kPbDeploymentSpec = pb_message("DeploymentSpec", kPbDeploymentSpecFields);
constexpr std::array kPbDeploymentStatusFields{PbField{1, "observedGeneration", PbKind::kInt},
                                               PbField{2, "replicas", PbKind::kInt},
                                               PbField{3, "updatedReplicas", PbKind::kInt},
                                               PbField{7, "readyReplicas", PbKind::kInt},
                                               PbField{4, "availableReplicas", PbKind::kInt},
                                               PbField{5, "unavailableReplicas", PbKind::kInt},
                                               PbField{9, "terminatingReplicas", PbKind::kInt},
                                               PbField{8, "collisionCount", PbKind::kInt}};
constexpr auto kPbDeploymentStatus = pb_partial("DeploymentStatus", kPbDeploymentStatusFields);
constexpr std::array kPbDeploymentFields{
    PbField{1, "metadata", PbKind::kMessage, &kPbObjectMeta},
    PbField{2, "spec", PbKind::kMessage, &kPbDeploymentSpec},
    PbField{3, "status", PbKind::kMessage, &kPbDeploymentStatus}};
constexpr auto kPbDeployment = pb_message("Deployment", kPbDeploymentFields);

// The kinds whose protobuf form is read.
struct PbKindEntry {
  std::string_view api_version;
  const PbMessage* message;
};
constexpr std::string_view kPbRbac = "rbac.authorization.k8s.io/v1";
constexpr std::array kPbKinds{PbKindEntry{"v1", &kPbConfigMap},
                              PbKindEntry{"v1", &kPbSecret},
                              PbKindEntry{"v1", &kPbNamespace},
                              PbKindEntry{"v1", &kPbServiceAccount},
                              PbKindEntry{kPbRbac, &kPbRole},
                              PbKindEntry{kPbRbac, &kPbClusterRole},
                              PbKindEntry{kPbRbac, &kPbRoleBinding},
                              PbKindEntry{kPbRbac, &kPbClusterRoleBinding},
                              PbKindEntry{"batch/v1", &kPbJob},
                              PbKindEntry{"apps/v1", &kPbDeployment},
                              PbKindEntry{"v1", &kPbPod},
                              PbKindEntry{"v1", &kPbService}};

}  // namespace kopiur::localkube::detail::pb
