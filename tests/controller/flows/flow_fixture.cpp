#include "flow_fixture.hpp"

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "kopiur/api/crd.hpp"
#include "kopiur/api/kinds.hpp"
#include "kopiur/controller/kinds.hpp"
#include "kopiur/kube/client.hpp"
#include "kopiur/kube/config.hpp"
#include "kopiur/telemetry/resource.hpp"

#include "support/wait.hpp"

namespace kopiur::controller::testing {

using nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

Predicate phase_is(const std::string& phase) {
  return [phase](const json& o) {
    return o.contains("status") && o["status"].is_object() &&
           o["status"].value("phase", "") == phase;
  };
}

Predicate condition_is(const std::string& type, const std::string& status) {
  return [type, status](const json& o) { return condition(o, type, "status") == status; };
}

std::string condition(const json& object, const std::string& type, const std::string& field) {
  for (const auto& c : object.value("status", json::object()).value("conditions", json::array())) {
    if (c.value("type", "") == type) return c.value(field, "");
  }
  return "";
}

namespace {

// Jobs run `kopiur-mover` from PATH with KOPIA_BIN naming the stand-in: set once for the
// process, before the first server starts (its kubelet passes them to the pods).
void prepare_job_environment() {
  static const bool done = [] {
    const std::string bin = std::string(KOPIUR_TEST_BINARY_DIR) + "/src/bin";
    const char* path = std::getenv("PATH");
    const std::string joined = bin + ":" + (path != nullptr ? path : "/usr/bin:/bin");
    setenv("PATH", joined.c_str(), 1);
    const std::string standin = bin + "/kopia_standin/kopiur-kopia-standin";
    setenv("KOPIA_BIN", standin.c_str(), 1);
    setenv("KOPIA_STANDIN_INJECT", "", 1);
    return true;
  }();
  (void)done;
}

kube::ResourceId resource_of(const std::string& kind) {
  if (kind == "Job") return kube::resources::kJobs;
  if (kind == "Pod") return kube::resources::kPods;
  if (kind == "Secret") return kube::resources::kSecrets;
  if (kind == "PersistentVolumeClaim") return kube::resources::kPersistentVolumeClaims;
  if (kind == "Event") return kube::resources::kCoreEvents;
  if (kind == "Namespace") return kube::resources::kNamespaces;
  return kube::resource_for(kind);
}

}  // namespace

void FlowTest::SetUp() {
  prepare_job_environment();
  volumes_dir_ = tmp_.file("volumes");
  fs::create_directories(volumes_dir_);
  localkube::LocalApiServer::Options options;
  options.run_jobs = true;
  options.work_dir = tmp_.file("pods");
  options.volumes_dir = volumes_dir_;
  options.job_backoff = 200ms;
  options.inherited_env.push_back("KOPIA_BIN");
  options.inherited_env.push_back("KOPIA_STANDIN_INJECT");
  options.inherited_env.push_back("KOPIA_STANDIN_INJECT_ON");
  server_options(options);
  auto server = localkube::LocalApiServer::start(options);
  ASSERT_TRUE(server.ok()) << server.error().to_string();
  server_ = std::move(*server);
  kube::Config config;
  config.server = server_->url();
  config.timeout = 10s;
  client_.emplace(config);
  for (const auto& info : api::kinds()) {
    auto made = client_->create(kube::resources::kCustomResourceDefinitions, "", api::crd(info));
    ASSERT_TRUE(made.ok()) << made.error().to_string();
  }
  create_namespace("team-a");
}

void FlowTest::TearDown() {
  if (runtime_) runtime_->stop();
  runtime_.reset();
  env_.reset();
  // The client's kept-alive connections close first: the local server's stop would otherwise
  // wait out their keep-alive timeout.
  events_.reset();
  client_.reset();
  if (server_) server_->stop();
}

void FlowTest::start() {
  provider_ = std::make_unique<telemetry::metrics::MeterProvider>();
  reader_ = std::make_unique<telemetry::metrics::PrometheusReader>(
      *provider_, telemetry::Resource(telemetry::Resource::Attributes{{"service.name", "t"}}));
  events_ = std::make_unique<kube::EventRecorder>(*client_, "kopiur-controller", "test");
  runtime_ = std::make_unique<Runtime>(
      *client_, provider_->meter(),
      RuntimeOptions{.workers = 4, .clock = &clock_, .events = events_.get()});
  env_ =
      std::make_unique<FlowEnv>(FlowEnv{.client = *client_,
                                        .runtime = runtime_.get(),
                                        .events = events_.get(),
                                        .mover = {.image = "kopiur-mover:test",
                                                  .image_pull_policy = "IfNotPresent",
                                                  .env = telemetry::EnvLookup([](std::string_view) {
                                                    return std::optional<std::string>();
                                                  })},
                                        .clock = &wall_,
                                        .system_namespace = "kopiur-system"});
  for (auto& kind : kind_registrations(*env_)) runtime_->add_kind(std::move(kind));
  runtime_->start();
  ASSERT_TRUE(test::wait_until([&] { return runtime_->synced(); }, 30s))
      << runtime_->not_synced_reason();
}

void FlowTest::restart() {
  runtime_->stop();
  runtime_.reset();
  env_.reset();
  reader_.reset();
  events_.reset();
  provider_.reset();
  start();
}

json FlowTest::create(const json& object) {
  const std::string kind = object.value("kind", "");
  const std::string ns = object["metadata"].value("namespace", "");
  auto made = client_->create(resource_of(kind), ns, object);
  if (!made.ok()) {
    ADD_FAILURE() << "create " << kind << " " << object["metadata"].value("name", "") << ": "
                  << made.error().to_string();
    return nullptr;
  }
  return *made;
}

json FlowTest::get(const std::string& kind, const std::string& ns, const std::string& name) {
  auto got = client_->get(resource_of(kind), ns, name);
  return got.ok() ? *got : json();
}

bool FlowTest::remove(const std::string& kind, const std::string& ns, const std::string& name) {
  auto gone = client_->remove(resource_of(kind), ns, name);
  if (!gone.ok())
    ADD_FAILURE() << "delete " << kind << " " << name << ": " << gone.error().to_string();
  return gone.ok();
}

json FlowTest::patch(const std::string& kind, const std::string& ns, const std::string& name,
                     const json& merge_patch) {
  auto done = client_->patch(resource_of(kind), ns, name, merge_patch, kube::PatchType::kMerge);
  if (!done.ok()) {
    ADD_FAILURE() << "patch " << kind << " " << name << ": " << done.error().to_string();
    return nullptr;
  }
  return *done;
}

json FlowTest::list(const std::string& kind, const std::string& ns,
                    const std::string& label_selector) {
  auto got = client_->list(resource_of(kind), ns,
                           {.label_selector = label_selector, .field_selector = ""});
  return got.ok() ? got->value("items", json::array()) : json::array();
}

json FlowTest::wait_for(const std::string& kind, const std::string& ns, const std::string& name,
                        const Predicate& until, std::chrono::seconds timeout) {
  json last;
  const bool ok = test::wait_until(
      [&] {
        last = get(kind, ns, name);
        return !last.is_null() && until(last);
      },
      timeout, 20ms);
  if (!ok) {
    ADD_FAILURE() << "timed out waiting for " << kind << " " << ns << "/" << name
                  << "; last seen: " << last.dump();
    return nullptr;
  }
  return last;
}

bool FlowTest::wait_gone(const std::string& kind, const std::string& ns, const std::string& name,
                         std::chrono::seconds timeout) {
  const bool ok = test::wait_until([&] { return get(kind, ns, name).is_null(); }, timeout, 20ms);
  if (!ok)
    ADD_FAILURE() << kind << " " << ns << "/" << name
                  << " was not deleted: " << get(kind, ns, name).dump();
  return ok;
}

void FlowTest::create_namespace(const std::string& ns) {
  create({{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}});
}

void FlowTest::create_password_secret(const std::string& ns, const std::string& name,
                                      const std::string& password) {
  create({{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"stringData", {{"password", password}}}});
}

std::string FlowTest::dir(const std::string& name) {
  const auto path = fs::path(tmp_.path()) / "dirs" / name;
  fs::create_directories(path);
  return path.string();
}

std::string FlowTest::create_claim(const std::string& ns, const std::string& claim) {
  const auto path = fs::path(volumes_dir_) / ns / claim;
  fs::create_directories(path);
  create({{"apiVersion", "v1"},
          {"kind", "PersistentVolumeClaim"},
          {"metadata", {{"name", claim}, {"namespace", ns}}},
          {"spec",
           {{"accessModes", {"ReadWriteOnce"}},
            {"resources", {{"requests", {{"storage", "1Gi"}}}}}}}});
  return path.string();
}

json FlowTest::repository(const std::string& ns, const std::string& name, const std::string& path,
                          bool create_repo, const std::string& secret) {
  return {{"apiVersion", "kopiur.home-operations.com/v1alpha1"},
          {"kind", "Repository"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"spec",
           {{"backend", {{"filesystem", {{"path", path}}}}},
            {"encryption", {{"passwordSecretRef", {{"name", secret}, {"key", "password"}}}}},
            {"create", {{"enabled", create_repo}}}}}};
}

std::string FlowTest::scrape() { return reader_->scrape("").body; }

std::optional<double> FlowTest::metric(const std::string& name,
                                       const std::map<std::string, std::string>& labels) {
  std::istringstream in(scrape());
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + "{", 0) != 0) continue;
    const auto close = line.rfind('}');
    if (close == std::string::npos) continue;
    // Parse name="value" pairs (values in this test never contain '"' or ',').
    std::map<std::string, std::string> seen;
    std::string body = line.substr(name.size() + 1, close - name.size() - 1);
    std::size_t pos = 0;
    while (pos < body.size()) {
      const auto eq = body.find('=', pos);
      const auto q1 = body.find('"', eq);
      const auto q2 = body.find('"', q1 + 1);
      if (eq == std::string::npos || q1 == std::string::npos || q2 == std::string::npos) break;
      seen[body.substr(pos, eq - pos)] = body.substr(q1 + 1, q2 - q1 - 1);
      pos = q2 + 2;
    }
    seen.erase("otel_scope_name");
    seen.erase("otel_scope_version");
    if (seen == labels) return std::stod(line.substr(close + 2));
  }
  return std::nullopt;
}

json FlowTest::events_for(const std::string& ns, const std::string& name) {
  json out = json::array();
  for (const auto& e : list("Event", ns)) {
    if (e.value("involvedObject", json::object()).value("name", "") == name) out.push_back(e);
  }
  return out;
}

bool FlowTest::has_event(const std::string& ns, const std::string& name,
                         const std::string& reason) {
  for (const auto& e : events_for(ns, name)) {
    if (e.value("reason", "") == reason) return true;
  }
  return false;
}

}  // namespace kopiur::controller::testing
