// The generated CRDs: structure, YAML fidelity, and drift against deploy/crds/.
#include "kopiur/api/crd.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "kopiur/api/kinds.hpp"
#include "kopiur/api/meta.hpp"

namespace kopiur::api {
namespace {

using nlohmann::json;

json yaml_to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node) out[kv.first.as<std::string>()] = yaml_to_json(kv.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) out.push_back(yaml_to_json(item));
      return out;
    }
    case YAML::NodeType::Scalar: {
      const auto text = node.Scalar();
      if (node.Tag() == "!") return text;  // quoted: always a string
      if (text == "null" || text == "~") return nullptr;
      if (text == "true") return true;
      if (text == "false") return false;
      char* end = nullptr;
      const long long number = std::strtoll(text.c_str(), &end, 10);
      if (!text.empty() && *end == '\0') return number;
      return text;
    }
    default:
      return nullptr;
  }
}

TEST(Crd, YamlParsesBackToTheSameDocument) {
  for (const auto& info : kinds()) {
    const auto doc = crd(info);
    const auto parsed = yaml_to_json(YAML::Load(to_yaml(doc)));
    EXPECT_EQ(parsed, doc) << info.kind;
  }
  const json tricky = {{"a", "yes"},           {"b", "1"}, {"c", "x: y"}, {"d", json::array()},
                       {"e", {{"f", {1, 2}}}}, {"g", ""},  {"h", "true"}};
  EXPECT_EQ(yaml_to_json(YAML::Load(to_yaml(tricky))), tricky);
}

TEST(Crd, ShapeFollowsTheKindTable) {
  const auto doc = crd(*find_kind("Backup"));
  EXPECT_EQ(doc["apiVersion"], "apiextensions.k8s.io/v1");
  EXPECT_EQ(doc["metadata"]["name"], "backups.kopiur.home-operations.com");
  EXPECT_EQ(doc["spec"]["scope"], "Namespaced");
  EXPECT_EQ(doc["spec"]["names"]["shortNames"], json({"kopiabak"}));
  EXPECT_EQ(doc["spec"]["names"]["categories"], json({"kopiur"}));
  const auto& version = doc["spec"]["versions"][0];
  EXPECT_EQ(version["name"], "v1alpha1");
  EXPECT_TRUE(version["subresources"].contains("status"));
  const auto& columns = version["additionalPrinterColumns"];
  EXPECT_EQ(columns.front()["name"], "Phase");
  EXPECT_EQ(columns.back()["name"], "Age");
  const auto& schema = version["schema"]["openAPIV3Schema"];
  EXPECT_EQ(schema["required"], json({"spec"}));
  auto phases = json(find_kind("Backup")->phases);
  phases.push_back(nullptr);  // status.phase is nullable, and null must pass the enum check
  EXPECT_EQ(schema["properties"]["status"]["properties"]["phase"]["enum"], phases);
  EXPECT_EQ(
      schema["properties"]["status"]["properties"]["stats"]["properties"]["sizeBytes"]["type"],
      "integer");
  EXPECT_EQ(crd(*find_kind("ClusterRepository"))["spec"]["scope"], "Cluster");
}

// Every object in a structural schema declares its type; free-form parts say so explicitly.
void expect_structural(const json& schema, const std::string& path) {
  ASSERT_TRUE(schema.contains("type")) << path;
  if (schema["type"] == "object" && !schema.contains("x-kubernetes-preserve-unknown-fields") &&
      !schema.contains("additionalProperties") && path != "metadata") {
    EXPECT_TRUE(schema.contains("properties")) << path;
  }
  if (schema.contains("properties")) {
    for (const auto& [key, child] : schema["properties"].items()) {
      expect_structural(child, path.empty() ? key : path + "." + key);
    }
  }
  if (schema.contains("items")) expect_structural(schema["items"], path + "[]");
}

TEST(Crd, SchemasAreStructural) {
  for (const auto& info : kinds()) {
    expect_structural(crd(info)["spec"]["versions"][0]["schema"]["openAPIV3Schema"], "");
  }
}

// The drift guard: deploy/crds/ must equal what the C++ description generates.
TEST(Crd, CheckedInFilesMatchTheGenerator) {
  const char* source = KOPIUR_TEST_SOURCE_DIR;  // compiled in by kopiur_add_test
  for (const auto& file : crd_files()) {
    std::ifstream in(std::filesystem::path(source) / file.path, std::ios::binary);
    ASSERT_TRUE(in.good()) << file.path << " is missing: run tools/xtask gen-all";
    std::stringstream buffer;
    buffer << in.rdbuf();
    EXPECT_EQ(buffer.str(), file.content) << file.path << " drifted: run tools/xtask gen-all";
  }
}

}  // namespace
}  // namespace kopiur::api
