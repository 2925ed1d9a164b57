// Calling validating admission webhooks from the local API server (see webhook_calls.hpp).
#include "localkube/detail/webhook_calls.hpp"

#include <algorithm>
#include <chrono>
#include <random>

#include "kube/detail/base64.hpp"
#include "kube/detail/curl_http.hpp"

namespace kopiur::localkube::detail {
namespace {

using kube::detail::CurlEasy;
using kube::detail::HttpRequest;
using kube::detail::perform;
using nlohmann::json;

bool listed(const json& rule, const char* key, const std::string& value) {
  const auto it = rule.find(key);
  if (it == rule.end() || !it->is_array()) return false;
  return std::any_of(it->begin(), it->end(),
                     [&](const json& v) { return v == "*" || v == value || v == "*/*"; });
}

bool matches(const json& webhook, const ResourceType& rt, const std::string& operation) {
  for (const auto& rule : webhook.value("rules", json::array())) {
    if (!rule.is_object()) continue;
    const std::string scope = rule.value("scope", "*");
    const bool scope_ok = scope == "*" || (scope == "Namespaced") == rt.namespaced;
    if (scope_ok && listed(rule, "apiGroups", rt.group) &&
        listed(rule, "apiVersions", rt.version) && listed(rule, "operations", operation) &&
        listed(rule, "resources", rt.plural)) {
      return true;
    }
  }
  return false;
}

std::string new_request_uid() {
  std::random_device rd;
  std::uniform_int_distribution<int> hex(0, 15);
  std::string uid = "xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx";
  for (auto& c : uid) {
    if (c == 'x') c = "0123456789abcdef"[hex(rd)];
  }
  return uid;
}

json review_for(const std::string& uid, const ResourceType& rt, const json& object,
                const json* old) {
  const json gvk = {{"group", rt.group}, {"version", rt.version}, {"kind", rt.kind}};
  const json gvr = {{"group", rt.group}, {"version", rt.version}, {"resource", rt.plural}};
  const auto& meta = object.value("metadata", json::object());
  json request = {{"uid", uid},
                  {"kind", gvk},
                  {"resource", gvr},
                  {"requestKind", gvk},
                  {"requestResource", gvr},
                  {"name", meta.value("name", "")},
                  {"namespace", meta.value("namespace", "")},
                  {"operation", old == nullptr ? "CREATE" : "UPDATE"},
                  {"userInfo", {{"username", "kopiur-localkube-admin"}}},
                  {"object", object},
                  {"oldObject", old == nullptr ? json(nullptr) : *old},
                  {"dryRun", false}};
  return {{"apiVersion", "admission.k8s.io/v1"}, {"kind", "AdmissionReview"}, {"request", request}};
}

struct CallResult {
  std::string failure;  // why the webhook could not be called; empty when it answered
  json response;        // its AdmissionReview response
};

CallResult post_review(const json& webhook, const json& review) {
  const json client_config = webhook.value("clientConfig", json::object());
  const std::string url = client_config.value("url", "");
  if (url.empty()) {
    return {"the local API server calls only clientConfig.url (it has no services to resolve)", {}};
  }
  if (url.find("://") == std::string::npos) {
    return {"clientConfig.url \"" + url + "\" has no scheme", {}};
  }
  HttpRequest request;
  request.method = "POST";
  request.url = url;
  request.headers = {"Content-Type: application/json", "Accept: application/json"};
  request.body = review.dump();
  const std::chrono::seconds timeout(webhook.value("timeoutSeconds", 10));
  request.connect_timeout = timeout;
  request.total_timeout = timeout;
  if (auto bundle = client_config.find("caBundle");
      bundle != client_config.end() && bundle->is_string()) {
    auto pem = kube::detail::base64_decode(bundle->get<std::string>());
    if (!pem) return {"clientConfig.caBundle is not base64", {}};
    request.tls.ca_pem = std::move(*pem);
  }
  CurlEasy connection;  // one call per connection: webhook calls are rare
  auto res = perform(connection, request);
  const std::string call = "Post \"" + url + "\"";
  if (!res.ok()) return {call + ": " + res.error().message, {}};
  if (res->status != 200) {
    return {call + ": the webhook answered HTTP " + std::to_string(res->status), {}};
  }
  auto body = json::parse(res->body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("response") ||
      !body["response"].is_object()) {
    return {"the webhook's answer is not an AdmissionReview with a response", {}};
  }
  if (body["response"].value("uid", "") != review["request"]["uid"]) {
    return {"the webhook's response.uid does not match the request's", {}};
  }
  return {{}, body["response"]};
}

}  // namespace

Status call_validating_webhooks(const std::vector<json>& configurations, const ResourceType& rt,
                                const json& object, const json* old) {
  const std::string operation = old == nullptr ? "CREATE" : "UPDATE";
  for (const auto& configuration : configurations) {
    for (const auto& webhook : configuration.value("webhooks", json::array())) {
      if (!webhook.is_object() || !matches(webhook, rt, operation)) continue;
      const std::string name = webhook.value("name", "");
      const json review = review_for(new_request_uid(), rt, object, old);
      const CallResult call = post_review(webhook, review);
      if (!call.failure.empty()) {
        if (webhook.value("failurePolicy", "Fail") == "Ignore") continue;
        return api_error(
            500, "InternalError",
            "Internal error occurred: failed calling webhook \"" + name + "\": " + call.failure);
      }
      if (call.response.value("allowed", false) == true) continue;
      const json status = call.response.value("status", json::object());
      const int code = status.value("code", 0) != 0 ? status.value("code", 403) : 403;
      return api_error(code, code == 403 ? "Forbidden" : status.value("reason", "Invalid"),
                       "admission webhook \"" + name + "\" denied the request: " +
                           status.value("message", std::string("without explanation")));
    }
  }
  return {};
}

}  // namespace kopiur::localkube::detail
