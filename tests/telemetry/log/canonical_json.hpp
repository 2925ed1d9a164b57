// canonical_json(): one JSON text in a form that compares key by key, whatever the key order and
// even with repeated keys (tracing's span objects hold a field `name` and the span's own `name`).
// Each object becomes its entries sorted as a multiset; top-level keys in `masked` are dropped.
#pragma once

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "kopiur/support/json.hpp"

namespace kopiur::telemetry::log::testing {

class CanonicalJson : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit CanonicalJson(std::set<std::string> masked) : masked_(std::move(masked)) {}

  bool null() override { return value("null"); }
  bool boolean(bool v) override { return value(v ? "true" : "false"); }
  bool number_integer(number_integer_t v) override { return value(std::to_string(v)); }
  bool number_unsigned(number_unsigned_t v) override { return value(std::to_string(v)); }
  bool number_float(number_float_t /*v*/, const string_t& s) override { return value(s); }
  bool string(string_t& s) override { return value(nlohmann::json(s).dump()); }
  bool binary(binary_t& /*b*/) override { return false; }
  bool start_object(std::size_t /*n*/) override {
    frames_.push_back({.object = true});
    return true;
  }
  bool key(string_t& k) override {
    frames_.back().key = nlohmann::json(k).dump();
    return true;
  }
  bool end_object() override { return close('{', '}'); }
  bool start_array(std::size_t /*n*/) override {
    frames_.push_back({.object = false});
    return true;
  }
  bool end_array() override { return close('[', ']'); }
  bool parse_error(std::size_t /*pos*/, const std::string& /*token*/,
                   const nlohmann::detail::exception& /*e*/) override {
    return false;
  }

  [[nodiscard]] const std::string& result() const { return result_; }

 private:
  struct Frame {
    bool object = false;
    std::string key{};
    std::vector<std::string> entries{};
  };

  bool value(std::string text) {
    if (frames_.empty()) {
      result_ = std::move(text);
      return true;
    }
    Frame& frame = frames_.back();
    if (!frame.object) {
      frame.entries.push_back(std::move(text));
    } else if (!(frames_.size() == 1 && masked_.count(nlohmann::json::parse(frame.key)) > 0)) {
      frame.entries.push_back(frame.key + ":" + text);
    }
    return true;
  }

  bool close(char open, char end) {
    Frame frame = std::move(frames_.back());
    frames_.pop_back();
    if (frame.object) std::sort(frame.entries.begin(), frame.entries.end());
    std::string text(1, open);
    for (std::size_t i = 0; i < frame.entries.size(); ++i) {
      if (i > 0) text += ',';
      text += frame.entries[i];
    }
    text += end;
    return value(std::move(text));
  }

  std::set<std::string> masked_;
  std::vector<Frame> frames_;
  std::string result_;
};

// The canonical form of `text`, or nullopt when it is not JSON.
inline std::optional<std::string> canonical_json(const std::string& text,
                                                 std::set<std::string> masked) {
  CanonicalJson sax(std::move(masked));
  if (!nlohmann::json::sax_parse(text, &sax)) return std::nullopt;
  return sax.result();
}

}  // namespace kopiur::telemetry::log::testing
