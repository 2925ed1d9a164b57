// AdmissionWebhook: routes, answers and their metrics.
#include "kopiur/webhook/webhook.hpp"

#include <chrono>

#include "kopiur/api/kinds.hpp"
#include "kopiur/api/meta.hpp"
#include "kopiur/telemetry/catalog.hpp"
#include "kopiur/telemetry/log/log.hpp"
#include "kopiur/webhook/validation.hpp"

#include "webhook/json_path.hpp"

namespace kopiur::webhook {
namespace {

namespace http = telemetry::http;
namespace log = telemetry::log;
using nlohmann::json;

const telemetry::MetricDefinition& definition(std::string_view name) {
  if (const auto* d = telemetry::find_metric(name)) return *d;
  if (const auto* d = telemetry::find_runtime_metric(name)) return *d;
  std::terminate();  // the catalog and this file are edited together
}

http::Response review_response(int status, const AdmissionResponse& answer) {
  http::Response response;
  response.status = status;
  response.content_type = "application/json";
  response.body = encode_review(answer);
  return response;
}

// Why an object cannot be what the request says it is, or "" when it matches.
std::string object_mismatch(const AdmissionRequest& request, const api::KindInfo& info) {
  if (!request.resource.empty() && request.resource != info.plural) {
    return "request.resource \"" + request.resource + "\" is not the resource of kind " +
           info.kind + " (\"" + info.plural + "\")";
  }
  const auto check = [&](const json& object, const char* field) -> std::string {
    if (!object.is_object()) return {};
    const std::string kind = detail::string_at(object, {"kind"});
    const std::string version = detail::string_at(object, {"apiVersion"});
    if (kind == info.kind && version == api::kApiVersion) return {};
    return std::string("request.") + field + " is a \"" + kind + "\" of \"" + version +
           "\", but request.kind says " + info.kind + " of " + std::string(api::kApiVersion);
  };
  if (auto why = check(request.object, "object"); !why.empty()) return why;
  return check(request.old_object, "oldObject");
}

}  // namespace

AdmissionWebhook::AdmissionWebhook(telemetry::metrics::Meter& meter, const ObjectLookup* lookup)
    : lookup_(lookup),
      admissions_([&] {
        const auto& d = definition("kopiur_webhook_admission");
        return meter.create_counter_u64(d.instrument_name, d.unit, d.description);
      }()),
      duration_([&] {
        const auto& d = definition("kopiur_webhook_admission_duration");
        return meter.create_histogram(d.instrument_name, d.unit, d.description, d.bounds);
      }()),
      malformed_([&] {
        const auto& d = definition("kopiur_webhook_malformed_requests");
        return meter.create_counter_u64(d.instrument_name, d.unit, d.description);
      }()) {}

http::Response AdmissionWebhook::handle(const http::Request& request) const {
  if (request.body.size() > kMaxReviewBytes) {  // the server refuses these first; kept for tests
    return malformed("too_large", 413, "",
                     "request body larger than " + std::to_string(kMaxReviewBytes) + " bytes");
  }
  Decoded decoded = decode_review(request.body);
  if (!decoded.request) {
    const DecodeError& e = decoded.error;
    return malformed(e.reason, e.http_status, e.uid, e.message);
  }
  return answer(*decoded.request);
}

http::Response AdmissionWebhook::answer(const AdmissionRequest& request) const {
  const auto start = std::chrono::steady_clock::now();
  const api::KindInfo* info =
      request.kind.group == api::kGroup && request.kind.version == api::kVersion
          ? api::find_kind(request.kind.kind)
          : nullptr;
  if (info == nullptr) {
    const std::string gvk =
        request.kind.group + "/" + request.kind.version + ", Kind=" + request.kind.kind;
    return malformed("unknown_kind", 200, request.uid,
                     "kopiur-webhook does not validate " + gvk +
                         "; its webhook configuration should match only the kinds of " +
                         std::string(api::kApiVersion));
  }
  if (auto why = object_mismatch(request, *info); !why.empty()) {
    return malformed("kind_mismatch", 200, request.uid, why);
  }
  // One span per review: its trace shows what the webhook decided and how long it took, and the
  // denial's log line carries its ids.
  auto span = KOPIUR_INFO_SPAN(
      "admission", log::kv("kind", info->kind), log::kv("namespace", request.namespace_),
      log::kv("name", request.name), log::kv("operation", request.operation));
  auto entered = span.enter();
  const Verdict verdict = review(request, lookup_);
  AdmissionResponse out;
  out.uid = request.uid;
  out.allowed = verdict.allowed;
  out.code = verdict.allowed ? 200 : 403;
  out.message = verdict.message;
  out.warnings = verdict.warnings;
  admissions_.add(1, {{"kind", info->kind}, {"decision", verdict.allowed ? "allowed" : "denied"}});
  duration_.record(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                   {{"kind", info->kind}});
  if (!verdict.allowed) {
    KOPIUR_INFO("admission denied", log::kv("kind", info->kind), log::kv("name", request.name),
                log::kv("namespace", request.namespace_), log::kv("operation", request.operation),
                log::kv("user", request.username), log::kv("reason", verdict.message));
  }
  return review_response(200, out);
}

http::Response AdmissionWebhook::malformed(std::string_view reason, int http_status,
                                           const std::string& uid,
                                           const std::string& message) const {
  malformed_.add(1, {{"reason", reason}});
  KOPIUR_WARN("malformed admission request", log::kv("reason", reason), log::kv("detail", message));
  DecodeError error{http_status == 200 ? 400 : http_status, std::string(reason), message, uid};
  return review_response(http_status, refusal(error));
}

void AdmissionWebhook::add_routes(http::HttpServer& server) const {
  for (const auto path : {kValidatePath, kAdmissionPath}) {
    server.route("POST", std::string(path),
                 [this](const http::Request& request) { return handle(request); });
  }
}

std::function<void(std::string_view)> AdmissionWebhook::oversized_counter() const {
  return [counter = malformed_](std::string_view) { counter.add(1, {{"reason", "too_large"}}); };
}

}  // namespace kopiur::webhook
