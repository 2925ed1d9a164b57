// AdmissionWebhook::handle(): well-formed reviews answered 200 with the uid echoed, every kind of
// bad input answered with the right status and an AdmissionReview error (never allowed), and
// every answer counted in the exact metric lines.
#include "kopiur/webhook/webhook.hpp"

#include <gtest/gtest.h>

#include "kopiur/telemetry/metrics/meter.hpp"
#include "kopiur/telemetry/metrics/prometheus.hpp"
#include "kopiur/telemetry/resource.hpp"

#include "webhook/objects.hpp"

namespace kopiur::webhook::test {
namespace {

namespace http = telemetry::http;
namespace metrics = telemetry::metrics;

class Handler : public ::testing::Test {
 protected:
  http::Response post(const std::string& body) {
    http::Request request;
    request.method = "POST";
    request.path = "/validate";
    request.body = body;
    return webhook_.handle(request);
  }
  json answer(const std::string& body, int expected_status) {
    const http::Response response = post(body);
    EXPECT_EQ(response.status, expected_status) << response.body;
    EXPECT_EQ(response.content_type, "application/json");
    const json review_answer = json::parse(response.body);
    EXPECT_EQ(review_answer["apiVersion"], "admission.k8s.io/v1");
    EXPECT_EQ(review_answer["kind"], "AdmissionReview");
    return review_answer["response"];
  }
  std::string exposition() const { return reader_.scrape("text/plain").body; }
  bool has_line(const std::string& line) const {
    return exposition().find("\n" + line + "\n") != std::string::npos;
  }

  metrics::MeterProvider provider_;
  metrics::Meter meter_ = provider_.meter();
  metrics::PrometheusReader reader_{provider_, telemetry::Resource()};
  MapLookup lookup_ = cluster();
  AdmissionWebhook webhook_{meter_, &lookup_};
};

TEST_F(Handler, AllowsAValidObjectEchoingTheUid) {
  const json response = answer(review(backup(), "CREATE", nullptr, "a7-1").dump(), 200);
  EXPECT_EQ(response, json({{"uid", "a7-1"}, {"allowed", true}}));
  EXPECT_TRUE(has_line("kopiur_webhook_admission_total{decision=\"allowed\",kind=\"Backup\"} 1"))
      << exposition();
  EXPECT_TRUE(has_line("kopiur_webhook_admission_duration_seconds_count{kind=\"Backup\"} 1"))
      << exposition();
}

TEST_F(Handler, DeniesWith403AndTheMessage) {
  json object = backup_schedule();
  object["spec"]["schedule"]["cron"] = "61 * * * *";
  const json response = answer(review(object, "CREATE", nullptr, "u-2").dump(), 200);
  EXPECT_EQ(response["uid"], "u-2");
  EXPECT_EQ(response["allowed"], false);
  EXPECT_EQ(response["status"],
            json({{"code", 403},
                  {"message",
                   "BackupSchedule \"nightly\" is invalid: spec.schedule.cron: minute field "
                   "\"61\": value 61 is out of range 0-59"}}));
  EXPECT_TRUE(
      has_line("kopiur_webhook_admission_total{decision=\"denied\",kind=\"BackupSchedule\"} 1"))
      << exposition();
}

TEST_F(Handler, ReturnsWarnings) {
  json object = backup_schedule();
  object["spec"]["schedule"]["startingDeadlineSeconds"] = 1;
  const json response = answer(review(object).dump(), 200);
  EXPECT_EQ(response["allowed"], true);
  EXPECT_EQ(response["warnings"].size(), 1u);
}

struct BadInput {
  std::string name;
  std::string body;
  int http_status;
  std::string reason;  // the malformed-requests label
  std::string uid;     // echoed when the body carried one
  std::string message;
};

void PrintTo(const BadInput& b, std::ostream* os) { *os << b.name; }

class BadInputs : public Handler, public ::testing::WithParamInterface<BadInput> {};

TEST_P(BadInputs, AreRefusedCountedAndNeverAllowed) {
  const BadInput& b = GetParam();
  const json response = answer(b.body, b.http_status);
  EXPECT_EQ(response["allowed"], false);
  EXPECT_EQ(response["uid"], b.uid);
  EXPECT_EQ(response["status"]["code"], b.http_status == 200 ? 400 : b.http_status);
  EXPECT_EQ(response["status"]["message"], b.message);
  EXPECT_TRUE(has_line("kopiur_webhook_malformed_requests_total{reason=\"" + b.reason + "\"} 1"))
      << exposition();
  EXPECT_EQ(exposition().find("kopiur_webhook_admission_total"), std::string::npos);
}

json with_request(const std::function<void(json&)>& edit) {
  json body = review(backup());
  edit(body);
  return body;
}

INSTANTIATE_TEST_SUITE_P(
    Everything, BadInputs,
    ::testing::Values(
        BadInput{"NotJson", "{\"apiVersion\": ", 400, "not_json", "",
                 "request body is not JSON; expected an AdmissionReview (admission.k8s.io/v1)"},
        BadInput{"Empty", "", 400, "not_json", "",
                 "request body is not JSON; expected an AdmissionReview (admission.k8s.io/v1)"},
        BadInput{"TooDeep", std::string(300, '[') + std::string(300, ']'), 400, "not_json", "",
                 "request body nests arrays or objects deeper than 256 levels"},
        BadInput{"Array", "[1,2]", 400, "not_admission_review", "",
                 "request body is a JSON array, expected an AdmissionReview object"},
        BadInput{"V1beta1",
                 with_request([](json& b) { b["apiVersion"] = "admission.k8s.io/v1beta1"; }).dump(),
                 400, "not_admission_review", "",
                 "expected apiVersion \"admission.k8s.io/v1\" and kind \"AdmissionReview\", got "
                 "\"admission.k8s.io/v1beta1\" and \"AdmissionReview\"; list only "
                 "admissionReviewVersions [\"v1\"] in the webhook configuration"},
        BadInput{"WrongKind", with_request([](json& b) { b["kind"] = "Backup"; }).dump(), 400,
                 "not_admission_review", "",
                 "expected apiVersion \"admission.k8s.io/v1\" and kind \"AdmissionReview\", got "
                 "\"admission.k8s.io/v1\" and \"Backup\"; list only admissionReviewVersions "
                 "[\"v1\"] in the webhook configuration"},
        BadInput{"NoRequest", with_request([](json& b) { b.erase("request"); }).dump(), 400,
                 "not_admission_review", "", "AdmissionReview has no request object"},
        BadInput{"MissingUid", with_request([](json& b) { b["request"].erase("uid"); }).dump(), 400,
                 "missing_uid", "", "AdmissionReview request has no uid"},
        BadInput{"UidNotAString", with_request([](json& b) { b["request"]["uid"] = 7; }).dump(),
                 400, "missing_uid", "", "AdmissionReview request has no uid"},
        BadInput{"UnknownOperation",
                 with_request([](json& b) { b["request"]["operation"] = "PATCH"; }).dump(), 400,
                 "not_admission_review", "uid-1",
                 "AdmissionReview request.operation \"PATCH\" is not CREATE, UPDATE, DELETE or "
                 "CONNECT"},
        BadInput{"NoObject", with_request([](json& b) { b["request"].erase("object"); }).dump(),
                 400, "missing_object", "uid-1", "CREATE request carries no object (got null)"},
        BadInput{"UpdateWithoutOldObject",
                 with_request([](json& b) { b["request"]["operation"] = "UPDATE"; }).dump(), 400,
                 "missing_object", "uid-1", "UPDATE request carries no oldObject (got null)"},
        // Well-formed reviews the webhook cannot judge: answered 200 and denied, so that
        // failurePolicy Ignore cannot turn them into admissions.
        BadInput{
            "UnknownKind",
            with_request([](json& b) {
              b["request"]["kind"] = {{"group", "apps"}, {"version", "v1"}, {"kind", "Deployment"}};
            }).dump(),
            200, "unknown_kind", "uid-1",
            "kopiur-webhook does not validate apps/v1, Kind=Deployment; its webhook "
            "configuration should match only the kinds of kopiur.home-operations.com/v1alpha1"},
        BadInput{"ObjectOfAnotherKind",
                 with_request([](json& b) { b["request"]["object"] = restore(); }).dump(), 200,
                 "kind_mismatch", "uid-1",
                 "request.object is a \"Restore\" of \"kopiur.home-operations.com/v1alpha1\", but "
                 "request.kind says Backup of kopiur.home-operations.com/v1alpha1"},
        BadInput{"ResourceOfAnotherKind", with_request([](json& b) {
                                            b["request"]["resource"]["resource"] = "restores";
                                          }).dump(),
                 200, "kind_mismatch", "uid-1",
                 "request.resource \"restores\" is not the resource of kind Backup (\"backups\")"},
        BadInput{"TooLarge", std::string(kMaxReviewBytes + 1, ' '), 413, "too_large", "",
                 "request body larger than 3145728 bytes"}),
    [](const ::testing::TestParamInfo<BadInput>& param_info) { return param_info.param.name; });

TEST_F(Handler, CountsBodiesTheServerRefused) {
  webhook_.oversized_counter()("/validate");
  EXPECT_TRUE(has_line("kopiur_webhook_malformed_requests_total{reason=\"too_large\"} 1"))
      << exposition();
}

TEST_F(Handler, LetsDeletesAndStatusUpdatesThrough) {
  json del = review(backup(), "DELETE");
  del["request"].erase("object");
  del["request"]["oldObject"] = backup();
  EXPECT_EQ(answer(del.dump(), 200)["allowed"], true);
  json object = backup();
  object["spec"]["configRef"]["name"] = "gone";
  json status = review(object, "UPDATE", backup());
  status["request"]["subResource"] = "status";
  EXPECT_EQ(answer(status.dump(), 200)["allowed"], true);
}

}  // namespace
}  // namespace kopiur::webhook::test
