// The pieces behind local Jobs, without a server: container env resolution with the kubelet's
// error words, $(VAR) expansion, base64, and the API server's defaults for built-in objects.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include "kube/detail/base64.hpp"
#include "localkube/detail/builtin_objects.hpp"
#include "localkube/detail/local_store.hpp"
#include "localkube/detail/log_files.hpp"
#include "localkube/detail/pod_env.hpp"

namespace kopiur::localkube::detail {
namespace {

using nlohmann::json;

const json kPod = {{"metadata",
                    {{"name", "p-1"},
                     {"namespace", "apps"},
                     {"uid", "u-1"},
                     {"labels", {{"app", "web"}}},
                     {"annotations", {{"note", "hi"}}}}},
                   {"spec", {{"nodeName", "localkube"}}}};

ConfigLookup lookup_with(std::map<std::string, std::map<std::string, std::string>> objects) {
  return [objects](const std::string& kind,
                   const std::string& name) -> std::optional<std::map<std::string, std::string>> {
    const auto it = objects.find(kind + "/" + name);
    if (it == objects.end()) return std::nullopt;
    return it->second;
  };
}

TEST(PodEnv, ExpandsReferencesLikeTheKubelet) {
  const std::map<std::string, std::string> env = {{"A", "1"}, {"B", "two"}};
  EXPECT_EQ(expand_references("$(A)-$(B)", env), "1-two");
  EXPECT_EQ(expand_references("$(C)", env), "$(C)");
  EXPECT_EQ(expand_references("$$(A)", env), "$(A)");
  EXPECT_EQ(expand_references("cost: $5 $", env), "cost: $5 $");
  EXPECT_EQ(expand_references("$(A", env), "$(A");
}

TEST(PodEnv, OrderOverridesAndSources) {
  const json container = {
      {"envFrom",
       {{{"secretRef", {{"name", "s"}}}}, {{"prefix", "X_"}, {"configMapRef", {{"name", "c"}}}}}},
      {"env",
       {{{"name", "key"}, {"value", "from-env"}},  // overrides the Secret's "key"
        {{"name", "UID"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.uid"}}}}}},
        {{"name", "APP"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.labels['app']"}}}}}},
        {{"name", "NOTE"},
         {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.annotations['note']"}}}}}},
        {{"name", "IP"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "status.podIP"}}}}}},
        {{"name", "REF"}, {"value", "$(UID)+$(X_a)"}}}}};
  auto env = container_env(kPod, container,
                           lookup_with({{"Secret/s", {{"key", "secret"}, {"bad=name", "skipped"}}},
                                        {"ConfigMap/c", {{"a", "1"}}}}));
  ASSERT_TRUE(env.ok()) << env.error().message;
  const std::map<std::string, std::string> got(env->begin(), env->end());
  EXPECT_EQ(got.at("key"), "from-env");
  EXPECT_EQ(got.count("bad=name"), 0u);
  EXPECT_EQ(got.at("X_a"), "1");
  EXPECT_EQ(got.at("UID"), "u-1");
  EXPECT_EQ(got.at("APP"), "web");
  EXPECT_EQ(got.at("NOTE"), "hi");
  EXPECT_EQ(got.at("IP"), "127.0.0.1");
  EXPECT_EQ(got.at("REF"), "u-1+1");
  // The overridden variable keeps its first position, as a map-backed env would.
  EXPECT_EQ(env->front().first, "key");
}

TEST(PodEnv, ErrorsUseTheKubeletsWords) {
  const auto lookup = lookup_with({{"Secret/s", {{"present", "x"}}}});
  const auto first_error = [&](const json& env_entry) {
    auto env = container_env(kPod, {{"env", {env_entry}}}, lookup);
    return env.ok() ? std::string("ok") : env.error().message;
  };
  EXPECT_EQ(first_error({{"name", "A"},
                         {"valueFrom", {{"secretKeyRef", {{"name", "nope"}, {"key", "k"}}}}}}),
            "secret \"nope\" not found");
  EXPECT_EQ(first_error(
                {{"name", "A"}, {"valueFrom", {{"secretKeyRef", {{"name", "s"}, {"key", "k"}}}}}}),
            "couldn't find key k in Secret apps/s");
  EXPECT_EQ(first_error({{"name", "A"},
                         {"valueFrom", {{"configMapKeyRef", {{"name", "c"}, {"key", "k"}}}}}}),
            "configmap \"c\" not found");
  EXPECT_EQ(first_error({{"name", "A"},
                         {"valueFrom",
                          {{"secretKeyRef", {{"name", "s"}, {"key", "k"}, {"optional", true}}}}}}),
            "ok");
  EXPECT_EQ(first_error({{"name", "A"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "spec.x"}}}}}}),
            "unsupported fieldRef fieldPath \"spec.x\"");
  auto missing_from =
      container_env(kPod, {{"envFrom", {{{"configMapRef", {{"name", "gone"}}}}}}}, lookup);
  ASSERT_FALSE(missing_from.ok());
  EXPECT_EQ(missing_from.error().message, "configmap \"gone\" not found");
}

TEST(Base64, RoundTripsEveryLength) {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    const auto encoded = kube::detail::base64_encode(bytes);
    EXPECT_EQ(encoded.size() % 4, 0u);
    EXPECT_EQ(kube::detail::base64_decode(encoded), bytes) << i;
    bytes.push_back(static_cast<char>(i * 37));
  }
  EXPECT_EQ(kube::detail::base64_encode("kopia"), "a29waWE=");
  EXPECT_EQ(kube::detail::base64_decode("a29w\naWE="), "kopia");
  EXPECT_FALSE(kube::detail::base64_decode("a29w*").has_value());
}

ResourceType type_of(const std::string& group, const std::string& kind) {
  ResourceType rt;
  rt.group = group;
  rt.version = "v1";
  rt.kind = kind;
  return rt;
}

TEST(BuiltinObjects, SecretStringDataBecomesData) {
  json secret = {{"metadata", {{"name", "s"}}},
                 {"data", {{"a", "YQ=="}}},
                 {"stringData", {{"b", "bee"}, {"a", "override"}}}};
  ASSERT_TRUE(prepare_builtin(type_of("", "Secret"), secret, nullptr).ok());
  EXPECT_FALSE(secret.contains("stringData"));
  EXPECT_EQ(secret["type"], "Opaque");
  EXPECT_EQ(kube::detail::base64_decode(secret["data"]["b"]), "bee");
  EXPECT_EQ(kube::detail::base64_decode(secret["data"]["a"]), "override");

  json bad = {{"metadata", {{"name", "s"}}}, {"data", {{"a", "not base64!"}}}};
  const auto status = prepare_builtin(type_of("", "Secret"), bad, nullptr);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("data[a]"), std::string::npos);
}

TEST(BuiltinObjects, PodDefaultsAndPendingStatus) {
  json pod = {{"metadata", {{"name", "p"}}},
              {"spec", {{"containers", {{{"name", "c"}, {"command", {"true"}}}}}}},
              {"status", {{"phase", "Succeeded"}}}};
  ASSERT_TRUE(prepare_builtin(type_of("", "Pod"), pod, nullptr).ok());
  EXPECT_EQ(pod["status"]["phase"], "Pending");  // a new pod has not run, whatever it says
  EXPECT_EQ(pod["spec"]["restartPolicy"], "Always");
  EXPECT_EQ(pod["spec"]["terminationGracePeriodSeconds"], 30);
  EXPECT_EQ(pod["spec"]["containers"][0]["terminationMessagePath"], "/dev/termination-log");
  EXPECT_EQ(pod["spec"]["containers"][0]["terminationMessagePolicy"], "File");

  json nameless = {{"metadata", {{"name", "p"}}}, {"spec", {{"containers", {{{"image", "x"}}}}}}};
  const auto status = prepare_builtin(type_of("", "Pod"), nameless, nullptr);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("spec.containers[0].name: Required value"),
            std::string::npos)
      << status.error().message;
  json numeric = {{"metadata", {{"name", "p"}}},
                  {"spec", {{"containers", {{{"name", "c"}, {"command", {"sleep", 5}}}}}}}};
  EXPECT_FALSE(prepare_builtin(type_of("", "Pod"), numeric, nullptr).ok());
}

TEST(BuiltinObjects, JobDefaultsAndValidation) {
  json job = {
      {"metadata", {{"name", "j"}, {"uid", "u-9"}}},
      {"spec",
       {{"template", {{"spec", {{"restartPolicy", "Never"}, {"containers", {{{"name", "c"}}}}}}}}}},
      {"status", {{"succeeded", 5}}}};
  ASSERT_TRUE(prepare_builtin(type_of("batch", "Job"), job, nullptr).ok());
  EXPECT_FALSE(job.contains("status"));
  EXPECT_EQ(job["spec"]["backoffLimit"], 6);
  EXPECT_EQ(job["spec"]["parallelism"], 1);
  EXPECT_EQ(job["spec"]["completions"], 1);
  EXPECT_EQ(job["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"], "u-9");
  EXPECT_EQ(job["spec"]["template"]["metadata"]["labels"]["batch.kubernetes.io/job-name"], "j");
  EXPECT_EQ(job["metadata"]["labels"]["controller-uid"], "u-9");

  json negative = job;
  negative["spec"]["backoffLimit"] = -1;
  auto status = prepare_builtin(type_of("batch", "Job"), negative, nullptr);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("spec.backoffLimit"), std::string::npos);

  json defaulted_restart = job;
  defaulted_restart["spec"]["template"]["spec"].erase("restartPolicy");
  status = prepare_builtin(type_of("batch", "Job"), defaulted_restart, nullptr);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("valid values: \"OnFailure\", \"Never\""),
            std::string::npos);
}

TEST(LogFiles, TailStartCountsLinesFromTheEnd) {
  EXPECT_EQ(tail_start("a\nb\nc\n", 2), 2u);
  EXPECT_EQ(tail_start("a\nb\nc\n", 3), 0u);
  EXPECT_EQ(tail_start("a\nb\nc\n", 4), 0u);
  EXPECT_EQ(tail_start("a\nb\nc\n", 0), 6u);
  EXPECT_EQ(tail_start("a\nb\nc", 1), 4u);  // an unfinished last line is a line
  EXPECT_EQ(tail_start("", 5), 0u);
  EXPECT_EQ(tail_start("\n\n", 1), 1u);
}

TEST(LogFiles, TailOffsetMatchesTailStartAcrossBlocks) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("kopiur-tail-" + std::to_string(::getpid()) + ".log");
  std::string text;
  for (int i = 0; i < 30000; ++i) text += "line " + std::to_string(i) + "\n";  // > 64 KiB
  std::ofstream(path) << text;
  for (const std::size_t lines : {0u, 1u, 2u, 100u, 9000u, 29999u, 30000u, 40000u}) {
    EXPECT_EQ(tail_offset(path.string(), lines), tail_start(text, lines)) << lines;
  }
  EXPECT_EQ(read_range(path.string(), text.size() - 11, 100), "line 29999\n");
  EXPECT_EQ(read_range(path.string(), text.size() + 5, 100), "");
  std::filesystem::remove(path);
  EXPECT_EQ(tail_offset(path.string(), 3), 0u);
}

TEST(Timestamps, FormatAndParseRoundTrip) {
  const auto parsed = parse_rfc3339("2026-11-25T22:04:43Z");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(format_rfc3339(*parsed), "2026-11-25T22:04:43Z");
  EXPECT_FALSE(parse_rfc3339("yesterday").has_value());
}

}  // namespace
}  // namespace kopiur::localkube::detail
