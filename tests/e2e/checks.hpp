// The end-to-end test's checks, each over what one run of the local system produced. They report
// with gtest's EXPECT_*/ADD_FAILURE, so one run shows every failure at once.
#pragma once

#include "e2e/local_system.hpp"

namespace kopiur::e2e {

// Every catalog metric with the catalog's labels: the controller's and webhook's on /metrics,
// the mover's in the OTLP receiver's output; values that match the demo scenario.
void check_catalog_metrics(const LocalSystem& system);
// `promtool check metrics` over the controller's and the webhook's exposition.
void check_promtool(const LocalSystem& system);
// Prometheus: scrapes up, every dashboard query and alert expression evaluates (and the panels
// return data), the failing backup's alert fires.
void check_prometheus(const LocalSystem& system);
// The OTLP receiver: metrics, spans and logs from all three programs; reconcile spans carry the
// object; mover spans are children of the reconcile span that created their Job.
void check_otlp(const LocalSystem& system);
// JSON logs line by line, reconcile lines carrying the object, movers following the controller's
// RUST_LOG and KOPIUR_LOG_FORMAT.
void check_logs(const LocalSystem& system);
// The restored claim holds exactly the source's files.
void check_restore(const LocalSystem& system);

}  // namespace kopiur::e2e
