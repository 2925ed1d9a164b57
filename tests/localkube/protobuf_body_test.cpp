// The protobuf decoder of the local API server (src/localkube/detail/protobuf_body.hpp): each
// kind it reads, field by field as the .proto numbers them, JSON's omissions of Go's zero values,
// skipped unknown fields, and the 400/415 answers for bodies it cannot or will not read.
#include "localkube/detail/protobuf_body.hpp"

#include <string>

#include <gtest/gtest.h>

#include "localkube/protobuf_writer.hpp"

namespace kopiur::localkube::detail {
namespace {

using testing::pb_entry;
using testing::pb_envelope;
using testing::pb_field;
using testing::pb_number;
using testing::pb_varint;

// ObjectMeta as gogo-protobuf writes it: every string and int64 present even when empty.
std::string meta(const std::string& name, const std::string& extra = "") {
  return pb_field(1, pb_field(1, name) + pb_field(2, "") + pb_field(3, "") + pb_field(4, "") +
                         pb_field(5, "") + pb_field(6, "") + pb_number(7, 0) + pb_field(8, "") +
                         extra);
}

json decoded(const std::string& kind, const std::string& raw) {
  const auto out = decode_protobuf_object(pb_envelope("v1", kind, raw));
  EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().message);
  return out.ok() ? *out : json();
}

Error refusal(const std::string& body) {
  const auto out = decode_protobuf_object(body);
  EXPECT_FALSE(out.ok());
  return out.ok() ? Error{} : out.error();
}

TEST(ProtobufBody, ConfigMapWithEveryMetadataField) {
  const auto owner = pb_field(1, "Job") + pb_field(3, "j") + pb_field(4, "u-1") +
                     pb_field(5, "batch/v1") + pb_number(6, 1);
  const auto managed = pb_field(1, "kubectl") + pb_field(2, "Update") + pb_field(3, "v1") +
                       pb_field(6, "FieldsV1") + pb_field(7, pb_field(1, R"({"f:data":{}})"));
  const auto extra = pb_number(10, 0) + pb_entry(11, "app", "x") + pb_entry(12, "note", "") +
                     pb_field(13, owner) + pb_field(14, "a/b") + pb_field(14, "c") +
                     pb_field(17, managed) + pb_field(9, pb_number(1, 1700000000));
  const auto object =
      decoded("ConfigMap", meta("cm", extra) + pb_entry(2, "k", "v") +
                               pb_entry(3, "bin", std::string("\0\xff", 2)) + pb_number(4, 0));
  EXPECT_EQ(object, json::parse(R"({
    "apiVersion": "v1", "kind": "ConfigMap",
    "metadata": {"name": "cm", "deletionGracePeriodSeconds": 0,
                 "deletionTimestamp": "2023-11-14T22:13:20Z",
                 "labels": {"app": "x"}, "annotations": {"note": ""},
                 "ownerReferences": [{"kind": "Job", "name": "j", "uid": "u-1",
                                      "apiVersion": "batch/v1", "controller": true}],
                 "finalizers": ["a/b", "c"],
                 "managedFields": [{"manager": "kubectl", "operation": "Update",
                                    "apiVersion": "v1", "fieldsType": "FieldsV1",
                                    "fieldsV1": {"f:data": {}}}]},
    "data": {"k": "v"}, "binaryData": {"bin": "AP8="}, "immutable": false})"));
}

TEST(ProtobufBody, SecretNamespaceAndServiceAccount) {
  EXPECT_EQ(decoded("Secret", meta("s") + pb_entry(2, "token", "abc") + pb_field(3, "Opaque") +
                                  pb_entry(4, "plain", "text") + pb_number(5, 1)),
            json::parse(R"({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                            "data": {"token": "YWJj"}, "type": "Opaque",
                            "stringData": {"plain": "text"}, "immutable": true})"));
  EXPECT_EQ(decoded("Namespace", meta("team") + pb_field(2, pb_field(1, "kubernetes")) +
                                     pb_field(3, pb_field(1, "Active"))),
            json::parse(R"({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"},
                            "spec": {"finalizers": ["kubernetes"]},
                            "status": {"phase": "Active"}})"));
  EXPECT_EQ(decoded("ServiceAccount", meta("robot") + pb_field(2, pb_field(3, "legacy")) +
                                          pb_field(3, pb_field(1, "pull")) + pb_number(4, 0)),
            json::parse(R"({"apiVersion": "v1", "kind": "ServiceAccount",
                            "metadata": {"name": "robot"}, "secrets": [{"name": "legacy"}],
                            "imagePullSecrets": [{"name": "pull"}],
                            "automountServiceAccountToken": false})"));
}

json decoded_rbac(const std::string& kind, const std::string& raw) {
  const auto out = decode_protobuf_object(pb_envelope("rbac.authorization.k8s.io/v1", kind, raw));
  EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().message);
  return out.ok() ? *out : json();
}

TEST(ProtobufBody, RbacKinds) {
  // apiGroups [""] (the core group) keeps its empty string.
  const auto rule = pb_field(1, "get") + pb_field(2, "") + pb_field(3, "pods") + pb_field(4, "x") +
                    pb_field(5, "/healthz");
  EXPECT_EQ(decoded_rbac("Role", meta("r") + pb_field(2, rule)),
            json::parse(R"({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                            "metadata": {"name": "r"},
                            "rules": [{"verbs": ["get"], "apiGroups": [""],
                                       "resources": ["pods"], "resourceNames": ["x"],
                                       "nonResourceURLs": ["/healthz"]}]})"));
  const auto requirement = pb_field(1, "tier") + pb_field(2, "In") + pb_field(3, "a");
  const auto selector = pb_entry(1, "k", "v") + pb_field(2, requirement);
  EXPECT_EQ(decoded_rbac("ClusterRole",
                         meta("agg") + pb_field(3, pb_field(1, selector)))["aggregationRule"],
            json::parse(R"({"clusterRoleSelectors": [{"matchLabels": {"k": "v"},
                            "matchExpressions": [{"key": "tier", "operator": "In",
                                                  "values": ["a"]}]}]})"));
  // roleRef.apiGroup and a subject's kind and name have no omitempty in Go: kept when empty.
  const auto subject = pb_field(1, "ServiceAccount") + pb_field(2, "") + pb_field(3, "robot") +
                       pb_field(4, "default");
  const auto role_ref = pb_field(1, "") + pb_field(2, "ClusterRole") + pb_field(3, "view");
  EXPECT_EQ(
      decoded_rbac("ClusterRoleBinding", meta("b") + pb_field(2, subject) + pb_field(3, role_ref)),
      json::parse(R"({"apiVersion": "rbac.authorization.k8s.io/v1",
                            "kind": "ClusterRoleBinding", "metadata": {"name": "b"},
                            "subjects": [{"kind": "ServiceAccount", "name": "robot",
                                          "namespace": "default"}],
                            "roleRef": {"apiGroup": "", "kind": "ClusterRole",
                                        "name": "view"}})"));
  EXPECT_EQ(decoded_rbac("RoleBinding", meta("rb"))["kind"], "RoleBinding");
  // The kind must be one of the group-version's: a v1 Role is not read.
  const auto wrong = decode_protobuf_object(pb_envelope("v1", "Role", meta("r")));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().http_status, 415);
}

// A container as gogo-protobuf writes it: the fields not read here present with zero values
// (workingDir, resources {}, stdin false, ...).
std::string container(const std::string& name, const std::string& extra = "") {
  return pb_field(1, name) + pb_field(2, "busybox") + pb_field(5, "") + pb_field(8, "") +
         pb_field(13, "") + pb_field(14, "") + pb_number(16, 0) + pb_number(17, 0) +
         pb_number(18, 0) + pb_field(20, "") + extra;
}

std::string pod_template(const std::string& containers) {
  return pb_field(1, pb_field(1, "") + pb_number(7, 0)) +
         pb_field(2, containers + pb_field(3, "Never") + pb_number(11, 0) + pb_field(16, ""));
}

json decoded_as(const std::string& api_version, const std::string& kind, const std::string& raw) {
  const auto out = decode_protobuf_object(pb_envelope(api_version, kind, raw));
  EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().message);
  return out.ok() ? *out : json();
}

TEST(ProtobufBody, JobsAndDeploymentsAsKubectlWritesThem) {
  const auto port = pb_field(1, "http") + pb_number(2, static_cast<std::uint64_t>(-1)) +
                    pb_number(3, 8080) + pb_field(4, "TCP");
  const auto env = pb_field(1, "MODE") + pb_field(2, "fast");
  const auto job_spec =
      pb_number(7, 0) + pb_number(10, 0) +
      pb_field(6, pod_template(pb_field(2, container("c", pb_field(3, "sh") + pb_field(6, port) +
                                                              pb_field(7, env)))));
  const auto status = pb_number(4, 0) + pb_number(5, 0) + pb_number(6, 0) + pb_field(7, "");
  EXPECT_EQ(decoded_as("batch/v1", "Job", meta("j") + pb_field(2, job_spec) + pb_field(3, status)),
            json::parse(R"({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
              "spec": {"backoffLimit": 0, "suspend": false,
                       "template": {"metadata": {},
                                    "spec": {"restartPolicy": "Never",
                                             "containers": [{"name": "c", "image": "busybox",
                                               "command": ["sh"],
                                               "ports": [{"name": "http", "hostPort": -1,
                                                          "containerPort": 8080,
                                                          "protocol": "TCP"}],
                                               "env": [{"name": "MODE", "value": "fast"}]}]}}},
              "status": {}})"));
  const auto selector = pb_entry(1, "app", "web");
  const auto spec = pb_number(1, 2) + pb_field(2, selector) +
                    pb_field(3, pod_template(pb_field(2, container("web")))) + pb_field(4, "") +
                    pb_number(5, 0) + pb_number(7, 0);
  const auto deployment = decoded_as("apps/v1", "Deployment", meta("web") + pb_field(2, spec));
  EXPECT_EQ(deployment["spec"]["replicas"], 2);
  EXPECT_EQ(deployment["spec"]["selector"], json::parse(R"({"matchLabels": {"app": "web"}})"));
  EXPECT_EQ(deployment["spec"]["strategy"], json::object());
  EXPECT_FALSE(deployment["spec"].contains("paused")) << "false is Go's omitted zero value";
  EXPECT_EQ(deployment["spec"]["template"]["spec"]["containers"][0]["image"], "busybox");
}

TEST(ProtobufBody, ServicesWithNumberAndNamedTargetPorts) {
  const auto named = pb_field(1, "web") + pb_field(2, "TCP") + pb_number(3, 443) +
                     pb_field(4, pb_number(1, 1) + pb_number(2, 0) + pb_field(3, "https")) +
                     pb_number(5, 0);
  const auto number = pb_field(1, "") + pb_number(3, 80) +
                      pb_field(4, pb_number(1, 0) + pb_number(2, 8080) + pb_field(3, ""));
  const auto spec = pb_field(1, named) + pb_field(1, number) + pb_entry(2, "app", "web") +
                    pb_field(3, "") + pb_field(4, "ClusterIP") + pb_number(13, 0);
  const auto status = pb_field(1, "");  // loadBalancer: {}, as kubectl sends it
  EXPECT_EQ(decoded("Service", meta("web") + pb_field(2, spec) + pb_field(3, status)),
            json::parse(R"({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
              "spec": {"ports": [{"name": "web", "protocol": "TCP", "port": 443,
                                  "targetPort": "https"},
                                 {"port": 80, "targetPort": 8080}],
                       "selector": {"app": "web"}, "type": "ClusterIP"},
              "status": {}})"));
  const auto bad = refusal(pb_envelope(
      "v1", "Service", meta("s") + pb_field(2, pb_field(1, pb_field(4, pb_number(1, 7))))));
  EXPECT_EQ(bad.http_status, 400);
  EXPECT_NE(bad.message.find("IntOrString.type is 7"), std::string::npos) << bad.message;
}

TEST(ProtobufBody, PartlyReadMessagesRefuseWhatTheyWouldDrop) {
  const auto check = [](const std::string& extra, const std::string& words) {
    const auto body = pb_envelope(
        "batch/v1", "Job",
        meta("j") + pb_field(2, pb_field(6, pod_template(pb_field(2, container("c", extra))))));
    const auto e = refusal(body);
    EXPECT_EQ(e.http_status, 415) << e.message;
    EXPECT_NE(e.message.find(words), std::string::npos) << e.message;
  };
  check(pb_number(16, 1),
        "reads the protobuf form of Container only in part, and the object "
        "sets its field 16; send it as JSON or YAML");
  check(pb_field(8, pb_entry(2, "cpu", pb_field(1, "1"))), "Container only in part");
  check(pb_field(10, pb_field(1, "probe")), "its field 10");
}

TEST(ProtobufBody, UnknownFieldsOfEveryWireTypeAreSkipped) {
  const auto unknown = pb_number(20, 7) + pb_varint(21 << 3 | 1) + std::string(8, 'x') +
                       pb_varint(22 << 3 | 5) + std::string(4, 'y') + pb_field(23, "z");
  EXPECT_EQ(
      decoded("ConfigMap", meta("cm", unknown) + unknown),
      json::parse(R"({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}})"));
}

TEST(ProtobufBody, MalformedBodiesAre400NamingTheProblem) {
  const auto check = [](const std::string& body, const std::string& words) {
    const auto e = refusal(body);
    EXPECT_EQ(e.http_status, 400) << e.message;
    EXPECT_NE(e.message.find(words), std::string::npos) << e.message;
  };
  check("{\"kind\":\"ConfigMap\"}", "does not start with the \"k8s\\0\" prefix");
  check(pb_envelope("v1", "ConfigMap", pb_field(1, pb_number(1, 5))),
        "ObjectMeta.name has wire type 0");
  check(pb_envelope("v1", "ConfigMap", std::string(11, '\xff')), "longer than 10 bytes");
  check(pb_envelope("v1", "ConfigMap", pb_varint(1 << 3 | 2) + pb_varint(50) + "short"),
        "runs past the end");
  check(pb_envelope("v1", "ConfigMap", pb_varint(30 << 3 | 3)), "unsupported wire type 3");
  check(pb_envelope("v1", "ConfigMap", pb_entry(2, "k", "\xc3\x28")),
        "ConfigMap.data is not UTF-8");
  check(pb_envelope("v1", "ConfigMap", pb_field(1, pb_field(8, pb_number(1, 400000000000ULL)))),
        "out of range");
  check(pb_envelope("v1", "ConfigMap", pb_field(1, pb_field(17, pb_field(7, pb_field(1, "{"))))),
        "FieldsV1.Raw is not JSON");
}

TEST(ProtobufBody, KindsAndEncodingsNotReadHereAre415) {
  const auto claim = refusal(pb_envelope("v1", "PersistentVolumeClaim", meta("c")));
  EXPECT_EQ(claim.http_status, 415);
  EXPECT_EQ(claim.reason, "UnsupportedMediaType");
  EXPECT_NE(claim.message.find("not for \"v1 PersistentVolumeClaim\"; send it as JSON or YAML"),
            std::string::npos)
      << claim.message;
  const auto gzip =
      refusal(std::string("k8s\0", 4) + pb_field(1, pb_field(1, "v1") + pb_field(2, "ConfigMap")) +
              pb_field(2, meta("c")) + pb_field(3, "gzip"));
  EXPECT_EQ(gzip.http_status, 415);
}

TEST(ProtobufBody, MediaTypes) {
  EXPECT_TRUE(is_protobuf_media_type("application/vnd.kubernetes.protobuf"));
  EXPECT_TRUE(is_protobuf_media_type("Application/Vnd.Kubernetes.Protobuf ; charset=x"));
  EXPECT_FALSE(is_protobuf_media_type("application/json"));
  EXPECT_FALSE(is_protobuf_media_type("application/vnd.kubernetes.protobuf.other"));
}

}  // namespace
}  // namespace kopiur::localkube::detail
