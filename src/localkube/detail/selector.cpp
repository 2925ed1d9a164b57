#include "localkube/detail/selector.hpp"

#include <algorithm>
#include <cctype>

namespace kopiur::localkube::detail {
namespace {

std::string trim(const std::string& s) {
  std::size_t b = 0;
  std::size_t e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

// Splits on commas that are not inside parentheses.
std::vector<std::string> split_terms(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  int depth = 0;
  for (const char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(trim(current));
      current.clear();
    } else {
      current += c;
    }
  }
  if (!trim(current).empty() || !out.empty()) out.push_back(trim(current));
  return out;
}

bool valid_key(const std::string& key) {
  if (key.empty()) return false;
  for (const char c : key) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' &&
        c != '/') {
      return false;
    }
  }
  return true;
}

std::map<std::string, std::string> labels_of(const nlohmann::json& object) {
  std::map<std::string, std::string> labels;
  const auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return labels;
  const auto it = meta->find("labels");
  if (it == meta->end() || !it->is_object()) return labels;
  for (const auto& [k, v] : it->items()) {
    if (v.is_string()) labels[k] = v.get<std::string>();
  }
  return labels;
}

}  // namespace

std::optional<LabelSelector> LabelSelector::parse(const std::string& text, std::string* error) {
  LabelSelector selector;
  if (trim(text).empty()) return selector;
  for (const auto& term : split_terms(text)) {
    Requirement r;
    const auto fail = [&](const std::string& why) {
      *error = "invalid label selector term \"" + term + "\": " + why;
      return std::nullopt;
    };
    if (term.empty()) return fail("empty term");
    const auto in_pos = term.find(" in ");
    const auto notin_pos = term.find(" notin ");
    if (notin_pos != std::string::npos || in_pos != std::string::npos) {
      const bool notin = notin_pos != std::string::npos;
      r.key = trim(term.substr(0, notin ? notin_pos : in_pos));
      r.op = notin ? Requirement::Op::kNotIn : Requirement::Op::kIn;
      const auto open = term.find('(');
      const auto close = term.rfind(')');
      if (open == std::string::npos || close == std::string::npos || close < open) {
        return fail("expected a parenthesised value list");
      }
      std::string values = term.substr(open + 1, close - open - 1);
      std::size_t start = 0;
      while (start <= values.size()) {
        const auto comma = values.find(',', start);
        const auto value = trim(
            values.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (!value.empty()) r.values.push_back(value);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else if (const auto ne = term.find("!="); ne != std::string::npos) {
      r.key = trim(term.substr(0, ne));
      r.op = Requirement::Op::kNotEquals;
      r.values = {trim(term.substr(ne + 2))};
    } else if (const auto eq = term.find('='); eq != std::string::npos) {
      r.key = trim(term.substr(0, eq));
      r.op = Requirement::Op::kEquals;
      const auto skip = term.compare(eq, 2, "==") == 0 ? 2 : 1;
      r.values = {trim(term.substr(eq + skip))};
    } else if (term[0] == '!') {
      r.key = trim(term.substr(1));
      r.op = Requirement::Op::kNotExists;
    } else {
      r.key = term;
      r.op = Requirement::Op::kExists;
    }
    if (!valid_key(r.key)) return fail("invalid key \"" + r.key + "\"");
    selector.requirements_.push_back(std::move(r));
  }
  return selector;
}

bool LabelSelector::matches(const std::map<std::string, std::string>& labels) const {
  for (const auto& r : requirements_) {
    const auto it = labels.find(r.key);
    const bool has = it != labels.end();
    const auto in_values = [&] {
      if (!has) return false;
      for (const auto& v : r.values) {
        if (v == it->second) return true;
      }
      return false;
    };
    switch (r.op) {
      case Requirement::Op::kEquals:
      case Requirement::Op::kIn:
        if (!in_values()) return false;
        break;
      case Requirement::Op::kNotEquals:
      case Requirement::Op::kNotIn:
        if (in_values()) return false;
        break;
      case Requirement::Op::kExists:
        if (!has) return false;
        break;
      case Requirement::Op::kNotExists:
        if (has) return false;
        break;
    }
  }
  return true;
}

bool LabelSelector::matches(const nlohmann::json& object) const {
  return requirements_.empty() || matches(labels_of(object));
}

namespace {
// The field labels served: every kind's metadata ones, and those of Events (kubectl describe
// lists an object's Events by involvedObject.*). Accepted on every resource; an object without
// the field has "" there.
const std::string kFieldLabels[] = {"metadata.name",
                                    "metadata.namespace",
                                    "involvedObject.kind",
                                    "involvedObject.namespace",
                                    "involvedObject.name",
                                    "involvedObject.uid",
                                    "involvedObject.apiVersion",
                                    "involvedObject.resourceVersion",
                                    "involvedObject.fieldPath",
                                    "reason",
                                    "type",
                                    "source",
                                    "reportingComponent"};
}  // namespace

std::optional<FieldSelector> FieldSelector::parse(const std::string& text, std::string* error) {
  FieldSelector selector;
  if (trim(text).empty()) return selector;
  for (const auto& term : split_terms(text)) {
    Term t;
    std::size_t pos = term.find("!=");
    std::size_t skip = 2;
    t.equals = pos == std::string::npos;
    if (t.equals) {
      pos = term.find("==");
      if (pos == std::string::npos) {
        pos = term.find('=');
        skip = 1;
      }
    }
    if (pos == std::string::npos) {
      *error = "invalid field selector term \"" + term + "\": expected field=value";
      return std::nullopt;
    }
    t.field = trim(term.substr(0, pos));
    t.value = trim(term.substr(pos + skip));
    if (std::find(std::begin(kFieldLabels), std::end(kFieldLabels), t.field) ==
        std::end(kFieldLabels)) {
      *error = "field label not supported: " + t.field +
               " (supported: metadata.name, metadata.namespace and, for Events, "
               "involvedObject.*, reason, type, source, reportingComponent)";
      return std::nullopt;
    }
    selector.terms_.push_back(std::move(t));
  }
  return selector;
}

bool FieldSelector::matches(const nlohmann::json& object) const {
  for (const auto& t : terms_) {
    // "source" is the Event's source.component, as the API server indexes it.
    const std::string path = t.field == "source" ? "source.component" : t.field;
    const nlohmann::json* at = &object;
    for (std::size_t start = 0; at != nullptr && start <= path.size();) {
      const auto dot = path.find('.', start);
      const auto key = path.substr(start, dot == std::string::npos ? dot : dot - start);
      const auto it = at->is_object() ? at->find(key) : at->end();
      at = at->is_object() && it != at->end() ? &*it : nullptr;
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    const std::string actual = at != nullptr && at->is_string() ? at->get<std::string>() : "";
    if ((actual == t.value) != t.equals) return false;
  }
  return true;
}

}  // namespace kopiur::localkube::detail
