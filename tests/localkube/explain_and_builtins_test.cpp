// Issue 20, items 6 and 11, with the real kubectl: `kubectl explain` of kopiur kinds (the CRDs'
// descriptions, nested fields, --recursive) and of built-in kinds through the server's OpenAPI v3;
// `kubectl create configmap|secret|namespace|serviceaccount|job|deployment|service` and the RBAC
// kinds, which send protobuf, and the objects read back with kubectl get/describe
// and deleted. Raw HTTP where the wire form is the point: the OpenAPI documents and their hashes,
// protobuf bodies the server must refuse.
#include <string>

#include <gtest/gtest.h>

#include "kopiur/support/json.hpp"

#include "kube/kubectl_fixture.hpp"
#include "localkube/protobuf_writer.hpp"
#include "telemetry/http/raw_client.hpp"

namespace kopiur::localkube {
namespace {

using nlohmann::json;
namespace raw = telemetry::http::testing;

// Whitespace runs as one space: kubectl explain wraps and indents descriptions.
std::string squeeze(const std::string& text) {
  std::string out;
  for (const char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out.push_back(space ? ' ' : c);
  }
  return out;
}

using testing::pb_envelope;
using testing::pb_field;

class ExplainAndBuiltins : public kube::testing::KubectlTest {
 protected:
  raw::RawResponse get(const std::string& path, const std::string& headers = "") const {
    return raw::send(static_cast<std::uint16_t>(server_->port()), "GET", path, headers);
  }
  raw::RawResponse post_protobuf(const std::string& path, const std::string& body) const {
    return raw::send(static_cast<std::uint16_t>(server_->port()), "POST", path,
                     "Content-Type: application/vnd.kubernetes.protobuf\r\n", body);
  }
  static json body_of(const raw::RawResponse& r) { return json::parse(r.body, nullptr, false); }
  json object(const std::string& path) const { return body_of(get(path)); }

  // The CRD's schema of `plural` as the server stores it (the text explain must show).
  json crd_schema(const std::string& plural) const {
    const auto crd = object("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/" + plural +
                            ".kopiur.home-operations.com");
    return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
  }
  void apply_crds() const { ASSERT_EQ(kubectl("apply -f " + path("deploy/crds/")).code, 0); }
  std::string openapi_url(const std::string& gv) const {
    return object("/openapi/v3")["paths"][gv].value("serverRelativeURL", "");
  }
};

// ---- kubectl explain (item 6) ----

TEST_F(ExplainAndBuiltins, ExplainOfAKopiurKindShowsTheCrdsDescriptions) {
  apply_crds();
  const auto spec = crd_schema("backups")["properties"]["spec"];
  ASSERT_TRUE(spec.contains("description"));
  const auto out = kubectl("explain backup.spec");
  ASSERT_EQ(out.code, 0) << out.text;
  EXPECT_NE(out.text.find("GROUP:      kopiur.home-operations.com"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("KIND:       Backup"), std::string::npos);
  EXPECT_NE(out.text.find("FIELD: spec <Object>"), std::string::npos);
  const auto text = squeeze(out.text);
  EXPECT_NE(text.find(squeeze(spec["description"].get<std::string>())), std::string::npos);
  // Every field of spec is listed with its own description from the CRD.
  ASSERT_FALSE(spec["properties"].empty());
  for (const auto& [name, field_schema] : spec["properties"].items()) {
    EXPECT_NE(out.text.find("  " + name + "\t<"), std::string::npos) << name;
    if (field_schema.contains("description")) {
      EXPECT_NE(text.find(squeeze(field_schema["description"].get<std::string>())),
                std::string::npos)
          << name;
    }
  }
}

TEST_F(ExplainAndBuiltins, ExplainFollowsNestedFieldsAndRecursesThroughThem) {
  apply_crds();
  const auto repository =
      crd_schema("backupconfigs")["properties"]["spec"]["properties"]["repository"];
  const auto kind = repository["properties"]["kind"];
  ASSERT_TRUE(kind.contains("description"));
  const auto nested = kubectl("explain backupconfig.spec.repository.kind");
  ASSERT_EQ(nested.code, 0) << nested.text;
  EXPECT_NE(nested.text.find("FIELD: kind <string>"), std::string::npos) << nested.text;
  EXPECT_NE(squeeze(nested.text).find(squeeze(kind["description"].get<std::string>())),
            std::string::npos);
  for (const auto& value : kind["enum"]) {
    if (value.is_string()) {
      EXPECT_NE(nested.text.find("    " + value.get<std::string>() + "\n"), std::string::npos);
    }
  }

  const auto recursive = kubectl("explain backupconfig.spec --recursive");
  ASSERT_EQ(recursive.code, 0) << recursive.text;
  EXPECT_NE(recursive.text.find("  repository\t<Object> -required-\n    kind\t<string> -required-"),
            std::string::npos)
      << recursive.text;

  // metadata refers to ObjectMeta, as on a real server.
  const auto labels = kubectl("explain backup.metadata.labels");
  EXPECT_EQ(labels.code, 0) << labels.text;
  EXPECT_NE(labels.text.find("FIELD: labels <map[string]string>"), std::string::npos);
  EXPECT_NE(kubectl("explain backup").text.find("metadata\t<ObjectMeta>"), std::string::npos);

  const auto missing = kubectl("explain backup.spec.nope");
  EXPECT_NE(missing.code, 0);
  EXPECT_NE(missing.text.find("field \"nope\" does not exist"), std::string::npos) << missing.text;
}

TEST_F(ExplainAndBuiltins, ExplainOfBuiltInKinds) {
  const auto config_map = kubectl("explain configmap");
  ASSERT_EQ(config_map.code, 0) << config_map.text;
  EXPECT_NE(config_map.text.find("KIND:       ConfigMap"), std::string::npos);
  EXPECT_NE(config_map.text.find("binaryData\t<map[string]string>"), std::string::npos);
  EXPECT_NE(kubectl("explain secret.data").text.find("FIELD: data <map[string]string>"),
            std::string::npos);
  const auto phase = kubectl("explain namespace.status.phase");
  EXPECT_NE(phase.text.find("Terminating"), std::string::npos) << phase.text;
  // Kinds described by their top-level fields only still explain.
  const auto job = kubectl("explain jobs.spec");
  EXPECT_EQ(job.code, 0) << job.text;
  EXPECT_NE(job.text.find("GROUP:      batch"), std::string::npos);
}

TEST_F(ExplainAndBuiltins, OpenApiDocumentsAreKeyedLikeKubeApiserversAndHashedByContent) {
  apply_crds();
  const auto kopiur = openapi_url("apis/kopiur.home-operations.com/v1alpha1");
  const auto core = openapi_url("api/v1");
  ASSERT_EQ(kopiur.rfind("/openapi/v3/apis/kopiur.home-operations.com/v1alpha1?hash=", 0), 0u)
      << kopiur;
  const auto doc = object(kopiur);
  const auto& backup = doc["components"]["schemas"]["com.home-operations.kopiur.v1alpha1.Backup"];
  EXPECT_EQ(backup["x-kubernetes-group-version-kind"],
            json::parse(R"([{"group":"kopiur.home-operations.com","kind":"Backup",)"
                        R"("version":"v1alpha1"}])"));
  EXPECT_EQ(backup["properties"]["metadata"]["allOf"][0]["$ref"],
            "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
  EXPECT_TRUE(
      doc["components"]["schemas"].contains("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
  EXPECT_TRUE(object(core)["components"]["schemas"].contains("io.k8s.api.core.v1.ConfigMap"));

  // A CRD removed: the kopiur document and its hash change, core's stay.
  ASSERT_EQ(kubectl("delete crd restores.kopiur.home-operations.com").code, 0);
  EXPECT_NE(openapi_url("apis/kopiur.home-operations.com/v1alpha1"), kopiur);
  EXPECT_EQ(openapi_url("api/v1"), core);
  EXPECT_EQ(get("/openapi/v3/apis/nope.example/v1").status, 404);
}

// ---- kubectl's typed generators, which send protobuf (item 11) ----

TEST_F(ExplainAndBuiltins, KubectlCreateConfigMapSecretNamespaceAndServiceAccount) {
  const auto binary = write("blob", std::string("\x00\x01\xff", 3));
  const auto cm =
      kubectl("create configmap settings --from-literal=mode=fast --from-file=" + binary);
  ASSERT_EQ(cm.code, 0) << cm.text;
  auto stored = object("/api/v1/namespaces/default/configmaps/settings");
  EXPECT_EQ(stored["data"], json::parse(R"({"mode":"fast"})"));
  EXPECT_EQ(stored["binaryData"], json::parse(R"({"blob":"AAH/"})"));
  // Go leaves empty strings out of JSON; so does the decoder.
  EXPECT_FALSE(stored["metadata"].contains("generateName")) << stored.dump();

  const auto secret = kubectl(
      "create secret generic creds --from-literal=user=admin "
      "--from-literal=empty=");
  ASSERT_EQ(secret.code, 0) << secret.text;
  stored = object("/api/v1/namespaces/default/secrets/creds");
  EXPECT_EQ(stored["data"], json::parse(R"({"user":"YWRtaW4=","empty":""})"));
  EXPECT_EQ(stored["type"], "Opaque");

  const auto ns = kubectl("create namespace team-a");
  ASSERT_EQ(ns.code, 0) << ns.text;
  EXPECT_EQ(kubectl("get namespace team-a -o jsonpath={.status.phase}").text, "Active");
  ASSERT_EQ(kubectl("create serviceaccount robot -n team-a").code, 0);
  EXPECT_EQ(object("/api/v1/namespaces/team-a/serviceaccounts/robot")["metadata"]["name"], "robot");

  // Server-side dry run of a protobuf create stores nothing.
  ASSERT_EQ(kubectl("create configmap dry --from-literal=a=b --dry-run=server").code, 0);
  EXPECT_EQ(get("/api/v1/namespaces/default/configmaps/dry").status, 404);
}

TEST_F(ExplainAndBuiltins, KubectlCreateOfTheRbacKinds) {
  ASSERT_EQ(kubectl("create role reader --verb=get,list --resource=pods,configmaps").code, 0);
  EXPECT_EQ(object("/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles/reader")["rules"],
            json::parse(R"([{"apiGroups":[""],"resources":["pods","configmaps"],)"
                        R"("verbs":["get","list"]}])"));
  ASSERT_EQ(kubectl("create clusterrole combined --aggregation-rule=team=a").code, 0);
  EXPECT_EQ(object("/apis/rbac.authorization.k8s.io/v1/clusterroles/combined")["aggregationRule"],
            json::parse(R"({"clusterRoleSelectors":[{"matchLabels":{"team":"a"}}]})"));
  const auto binding = kubectl(
      "create rolebinding readers --role=reader --user=alice --serviceaccount=default:robot");
  ASSERT_EQ(binding.code, 0) << binding.text;
  const auto stored =
      object("/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings/readers");
  EXPECT_EQ(stored["roleRef"], json::parse(R"({"apiGroup":"rbac.authorization.k8s.io",)"
                                           R"("kind":"Role","name":"reader"})"));
  EXPECT_EQ(stored["subjects"].size(), 2u);
  ASSERT_EQ(kubectl("create clusterrolebinding admins --clusterrole=combined --group=ops").code, 0);
  EXPECT_EQ(object("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/admins")["subjects"],
            json::parse(R"([{"apiGroup":"rbac.authorization.k8s.io","kind":"Group",)"
                        R"("name":"ops"}])"));
}

TEST_F(ExplainAndBuiltins, KubectlCreateJobDeploymentServiceAndRun) {
  const auto job = kubectl("create job once --image=busybox -- /bin/sh -c 'echo hi'");
  ASSERT_EQ(job.code, 0) << job.text;
  const auto pod =
      object("/apis/batch/v1/namespaces/default/jobs/once")["spec"]["template"]["spec"];
  EXPECT_EQ(pod["restartPolicy"], "Never");
  EXPECT_EQ(pod["containers"][0]["image"], "busybox");
  EXPECT_EQ(pod["containers"][0]["command"], json::parse(R"(["/bin/sh","-c","echo hi"])"));

  const auto deploy = kubectl("create deployment web --image=nginx --port=80 --replicas=2");
  ASSERT_EQ(deploy.code, 0) << deploy.text;
  const auto spec = object("/apis/apps/v1/namespaces/default/deployments/web")["spec"];
  EXPECT_EQ(spec["replicas"], 2);
  EXPECT_EQ(spec["selector"], json::parse(R"({"matchLabels":{"app":"web"}})"));
  EXPECT_EQ(spec["template"]["spec"]["containers"][0]["ports"],
            json::parse(R"([{"containerPort":80}])"));

  // Services (targetPort a number or a name); kubectl run, which sends its Pod as JSON.
  const auto service = kubectl("create service clusterip front --tcp=80:8080 --tcp=443:https");
  ASSERT_EQ(service.code, 0) << service.text;
  EXPECT_EQ(
      object("/api/v1/namespaces/default/services/front")["spec"]["ports"],
      json::parse(R"([{"name":"80-8080","port":80,"protocol":"TCP","targetPort":8080},)"
                  R"({"name":"443-https","port":443,"protocol":"TCP","targetPort":"https"}])"));
  const auto run = kubectl("run shell --image=busybox --restart=Never --env=MODE=fast -- sleep 1");
  ASSERT_EQ(run.code, 0) << run.text;
  const auto container = object("/api/v1/namespaces/default/pods/shell")["spec"]["containers"][0];
  EXPECT_EQ(container["args"], json::parse(R"(["sleep","1"])"));
  EXPECT_EQ(container["env"], json::parse(R"([{"name":"MODE","value":"fast"}])"));
}

TEST_F(ExplainAndBuiltins, GetDescribeAndDeleteOfTheCreatedObjects) {
  ASSERT_EQ(kubectl("create configmap shown --from-literal=greeting=hello").code, 0);
  ASSERT_EQ(kubectl("create secret generic hidden --from-literal=token=abc").code, 0);
  const auto describe = kubectl("describe configmap shown");
  EXPECT_EQ(describe.code, 0) << describe.text;
  EXPECT_NE(describe.text.find("greeting:\n----\nhello"), std::string::npos) << describe.text;
  EXPECT_NE(kubectl("describe secret hidden").text.find("token:  3 bytes"), std::string::npos);
  EXPECT_EQ(kubectl("get secret hidden -o jsonpath={.data.token}").text, "YWJj");
  // kubectl's typed clients ask for protobuf first; the answer is JSON, which they read.
  const auto answer = get("/api/v1/namespaces/default/configmaps/shown",
                          "Accept: application/vnd.kubernetes.protobuf,application/json\r\n");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.header("content-type").rfind("application/json", 0), 0u);
  EXPECT_EQ(kubectl("delete configmap shown").code, 0);
  EXPECT_EQ(kubectl("delete secret hidden").code, 0);
  EXPECT_EQ(get("/api/v1/namespaces/default/configmaps/shown").status, 404);
  EXPECT_EQ(get("/api/v1/namespaces/default/secrets/hidden").status, 404);
}

TEST_F(ExplainAndBuiltins, ProtobufThatCannotBeReadIsRefusedWithTheWayOut) {
  constexpr const char* kConfigMaps = "/api/v1/namespaces/default/configmaps";
  const auto meta = pb_field(1, pb_field(1, "pb"));
  // A kind not read (no kubectl generator writes one) and a pod whose container sets a field not
  // read (a liveness probe): 415 with the way out, nothing stored.
  const auto claim = post_protobuf("/api/v1/namespaces/default/persistentvolumeclaims",
                                   pb_envelope("v1", "PersistentVolumeClaim", meta));
  EXPECT_EQ(claim.status, 415) << claim.body;
  EXPECT_NE(claim.body.find("send it as JSON or YAML"), std::string::npos);
  const auto probe = pb_field(1, "c") + pb_field(2, "busybox") + pb_field(10, pb_field(1, "x"));
  const auto pod = post_protobuf("/api/v1/namespaces/default/pods",
                                 pb_envelope("v1", "Pod", meta + pb_field(2, pb_field(2, probe))));
  EXPECT_EQ(pod.status, 415) << pod.body;
  EXPECT_NE(pod.body.find("reads the protobuf form of Container only in part, and the object "
                          "sets its field 10"),
            std::string::npos)
      << pod.body;
  EXPECT_EQ(get("/api/v1/namespaces/default/pods/pb").status, 404);

  // An unknown field number (9) is skipped, as a protobuf decoder does.
  const auto extra =
      post_protobuf(kConfigMaps, pb_envelope("v1", "ConfigMap", meta + pb_field(9, "x")));
  EXPECT_EQ(extra.status, 201) << extra.body;
  EXPECT_EQ(body_of(extra)["metadata"]["name"], "pb");

  const auto no_prefix = post_protobuf(kConfigMaps, meta);
  EXPECT_EQ(no_prefix.status, 400);
  EXPECT_NE(no_prefix.body.find("protobuf request body is malformed"), std::string::npos);
  auto cut = pb_envelope("v1", "ConfigMap", meta);
  cut.pop_back();
  EXPECT_EQ(post_protobuf(kConfigMaps, cut).status, 400);
  const auto not_utf8 =
      post_protobuf(kConfigMaps, pb_envelope("v1", "ConfigMap", pb_field(1, pb_field(1, "\xff"))));
  EXPECT_EQ(not_utf8.status, 400);
  EXPECT_NE(not_utf8.body.find("ObjectMeta.name is not UTF-8"), std::string::npos) << not_utf8.body;
  // The envelope's kind must still match the URL's.
  EXPECT_EQ(post_protobuf(kConfigMaps, pb_envelope("v1", "Secret", meta)).status, 400);
}

}  // namespace
}  // namespace kopiur::localkube
