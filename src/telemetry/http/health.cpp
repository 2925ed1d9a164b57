#include <exception>
#include <utility>

#include "kopiur/telemetry/http/server.hpp"

namespace kopiur::telemetry::http {

void Health::set_ready(bool ready, std::string reason) {
  std::lock_guard lock(mu_);
  ready_ = ready;
  reason_ =
      ready ? std::string{} : (reason.empty() ? std::string("no reason given") : std::move(reason));
}

bool Health::ready() const {
  std::lock_guard lock(mu_);
  return ready_;
}

std::string Health::reason() const {
  std::lock_guard lock(mu_);
  return reason_;
}

void add_health_routes(HttpServer& server, const Health& health) {
  server.route(
      "GET", "/healthz",
      [](const Request&) {
        Response r;
        r.body = "ok";
        return r;
      },
      Execution::kInline);
  server.route(
      "GET", "/readyz",
      [&health](const Request&) {
        Response r;
        if (health.ready()) {
          r.body = "ok";
        } else {
          r.status = 503;
          r.body = "not ready: " + health.reason();
        }
        return r;
      },
      Execution::kInline);
}

void add_metrics_route(HttpServer& server, std::string path, ScrapeFn scrape) {
  server.route(
      "GET", std::move(path),
      [scrape = std::move(scrape)](const Request& request) {
        Response r;
        try {
          auto [content_type, body] = scrape(request.header("accept"));
          r.content_type = std::move(content_type);
          r.body = std::move(body);
        } catch (const std::exception& e) {
          r.status = 500;
          r.body = std::string("metrics scrape failed: ") + e.what() + "\n";
        }
        return r;
      },
      Execution::kInlineWhileFast);
}

}  // namespace kopiur::telemetry::http
