// PhaseGauge: 1 for the active phase, 0 for the others, all 0 at deletion, gone after the grace.
#include "kopiur/controller/phase_gauge.hpp"

#include <gtest/gtest.h>

#include "kopiur/telemetry/metrics/meter.hpp"
#include "kopiur/telemetry/metrics/prometheus.hpp"
#include "kopiur/telemetry/resource.hpp"

namespace kopiur::controller {
namespace {

using namespace std::chrono_literals;
namespace metrics = telemetry::metrics;

std::string line(const std::string& name, const std::string& phase, int value) {
  return "kopiur_resource_phase{kind=\"Backup\",name=\"" + name + "\",namespace=\"ns\",phase=\"" +
         phase + "\"} " + std::to_string(value) + "\n";
}

TEST(PhaseGauge, ActiveOneOthersZeroZeroedOnDeletionDroppedAfterGrace) {
  metrics::MeterProvider provider;
  metrics::PrometheusReader reader(
      provider, telemetry::Resource(telemetry::Resource::Attributes{{"service.name", "t"}}));
  auto gauge = provider.meter().create_gauge_i64("kopiur_resource_phase");
  ManualClock clock;
  PhaseGauge phases(gauge, clock, 10min);
  const std::vector<std::string> kinds = {"Pending", "Running", "Succeeded"};
  phases.set("Backup", "ns", "a", kinds, "Running");
  phases.set("Backup", "ns", "b", kinds, "Pending");
  auto text = reader.scrape("").body;
  EXPECT_NE(text.find(line("a", "Running", 1)), std::string::npos) << text;
  EXPECT_NE(text.find(line("a", "Pending", 0)), std::string::npos) << text;
  EXPECT_NE(text.find(line("a", "Succeeded", 0)), std::string::npos) << text;

  phases.deleted("Backup", "ns", "a");
  text = reader.scrape("").body;
  EXPECT_NE(text.find(line("a", "Running", 0)), std::string::npos) << text;
  EXPECT_EQ(phases.pending_drops(), 1U);

  clock.advance(9min);
  EXPECT_EQ(phases.sweep(), 0U);
  EXPECT_NE(reader.scrape("").body.find(line("a", "Running", 0)), std::string::npos);
  clock.advance(1min);
  EXPECT_EQ(phases.sweep(), 1U);
  text = reader.scrape("").body;
  EXPECT_EQ(text.find("name=\"a\""), std::string::npos) << text;
  EXPECT_NE(text.find(line("b", "Pending", 1)), std::string::npos) << text;  // others untouched
}

TEST(PhaseGauge, RecreatedWithinTheGraceKeepsItsSeries) {
  metrics::MeterProvider provider;
  metrics::PrometheusReader reader(
      provider, telemetry::Resource(telemetry::Resource::Attributes{{"service.name", "t"}}));
  ManualClock clock;
  PhaseGauge phases(provider.meter().create_gauge_i64("kopiur_resource_phase"), clock, 1min);
  phases.set("Backup", "ns", "a", {"Pending", "Running"}, "Running");
  phases.deleted("Backup", "ns", "a");
  phases.set("Backup", "ns", "a", {"Pending", "Running"}, "Pending");
  clock.advance(2min);
  EXPECT_EQ(phases.sweep(), 0U);
  EXPECT_NE(reader.scrape("").body.find(line("a", "Pending", 1)), std::string::npos);
}

TEST(PhaseGauge, UnknownPhaseIsRecordedAndNoPhaseRecordsZeros) {
  metrics::MeterProvider provider;
  metrics::PrometheusReader reader(
      provider, telemetry::Resource(telemetry::Resource::Attributes{{"service.name", "t"}}));
  ManualClock clock;
  PhaseGauge phases(provider.meter().create_gauge_i64("kopiur_resource_phase"), clock, 1min);
  phases.set("Backup", "ns", "a", {"Pending"}, "");
  phases.set("Backup", "ns", "b", {"Pending"}, "Exotic");
  const auto text = reader.scrape("").body;
  EXPECT_NE(text.find(line("a", "Pending", 0)), std::string::npos) << text;
  EXPECT_NE(text.find(line("b", "Exotic", 1)), std::string::npos) << text;
  EXPECT_NE(text.find(line("b", "Pending", 0)), std::string::npos) << text;
}

}  // namespace
}  // namespace kopiur::controller
