// File: kopiur/webhook/webhook.hpp
//
// AdmissionWebhook: the HTTP side of kopiur-webhook. handle() takes a POSTed AdmissionReview and
// answers it: 200 with allowed or denied (validation.hpp) for a review of one of the seven kinds;
// 400 with an AdmissionReview error for a body that is not a usable review; a review of a kind it
// does not validate, or whose object does not match its kind, is answered 200 but denied (an HTTP
// error would let failurePolicy Ignore admit it). Every answer is counted:
//   kopiur_webhook_admission_total{kind, decision}      reviews of the seven kinds
//   kopiur_webhook_admission_duration_seconds{kind}     their latency
//   kopiur_webhook_malformed_requests_total{reason}     everything else (see the catalog)
//
//   AdmissionWebhook webhook(telemetry.meter(), &cache);   // or nullptr: references unchecked
//   webhook.add_routes(server);                           // POST /validate and /admission
//   options.on_body_too_large = webhook.oversized_counter();
//
// Thread-safety: handle() is safe from any number of threads. Cost: one decode and validation
// per review (see validation.hpp). Failure: never throws; never answers allowed by accident.
#pragma once

#include <functional>
#include <string_view>

#include "kopiur/telemetry/http/server.hpp"
#include "kopiur/telemetry/metrics/meter.hpp"
#include "kopiur/webhook/admission.hpp"
#include "kopiur/webhook/lookup.hpp"

namespace kopiur::webhook {

// The admission paths: /validate, and /admission (the path earlier charts configured).
inline constexpr std::string_view kValidatePath = "/validate";
inline constexpr std::string_view kAdmissionPath = "/admission";

class AdmissionWebhook {
 public:
  // `lookup` (may be nullptr) must outlive the webhook.
  AdmissionWebhook(telemetry::metrics::Meter& meter, const ObjectLookup* lookup);

  [[nodiscard]] telemetry::http::Response handle(const telemetry::http::Request& request) const;

  // Registers POST kValidatePath and kAdmissionPath on `server` (before server.start()). The
  // webhook must outlive the server.
  void add_routes(telemetry::http::HttpServer& server) const;

  // For ServerOptions::on_body_too_large: counts a review the server refused with 413.
  [[nodiscard]] std::function<void(std::string_view path)> oversized_counter() const;

 private:
  telemetry::http::Response answer(const AdmissionRequest& request) const;
  telemetry::http::Response malformed(std::string_view reason, int http_status,
                                      const std::string& uid, const std::string& message) const;

  const ObjectLookup* lookup_;
  telemetry::metrics::Counter<std::uint64_t> admissions_;
  telemetry::metrics::Histogram duration_;
  telemetry::metrics::Counter<std::uint64_t> malformed_;
};

}  // namespace kopiur::webhook
