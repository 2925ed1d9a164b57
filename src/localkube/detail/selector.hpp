// Label and field selectors as the API server parses them ("a=b,c!=d,e in (x,y),!f").
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kopiur/support/json.hpp"

namespace kopiur::localkube::detail {

struct Requirement {
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kNotExists };
  std::string key;
  Op op = Op::kExists;
  std::vector<std::string> values;
};

class LabelSelector {
 public:
  // parse(): nullopt + *error on malformed input.
  static std::optional<LabelSelector> parse(const std::string& text, std::string* error);
  bool matches(const std::map<std::string, std::string>& labels) const;
  bool matches(const nlohmann::json& object) const;
  bool empty() const { return requirements_.empty(); }

 private:
  std::vector<Requirement> requirements_;
};

// FieldSelector: only metadata.name and metadata.namespace, with = / == / !=.
class FieldSelector {
 public:
  static std::optional<FieldSelector> parse(const std::string& text, std::string* error);
  bool matches(const nlohmann::json& object) const;

 private:
  struct Term {
    std::string field;
    bool equals = true;
    std::string value;
  };
  std::vector<Term> terms_;
};

}  // namespace kopiur::localkube::detail
