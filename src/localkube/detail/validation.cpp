#include "localkube/detail/validation.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <utility>

#include "localkube/detail/local_store.hpp"

namespace kopiur::localkube::detail {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxAnnotationBytes = 256 * 1024;  // TotalAnnotationSizeLimitB

std::string max_len_error(std::size_t n) {
  return "must be no more than " + std::to_string(n) + " characters";
}

// RegexError(): apimachinery's wording, examples and all (its double space included).
std::string regex_error(const std::string& msg, const std::string& fmt,
                        std::initializer_list<const char*> examples) {
  std::string out = msg + " (e.g. ";
  bool first = true;
  for (const char* e : examples) {
    out += std::string(first ? "" : " or ") + "'" + e + "', ";
    first = false;
  }
  return out + "regex used for validation is '" + fmt + "')";
}

bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool any_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool is_dns_label(std::string_view s) {
  if (s.empty() || !lower_alnum(s.front()) || !lower_alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return lower_alnum(c) || c == '-'; });
}

bool is_dns_subdomain(std::string_view s) {
  while (true) {
    const auto dot = s.find('.');
    if (!is_dns_label(s.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    s.remove_prefix(dot + 1);
  }
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool is_qualified_part(std::string_view s) {
  if (s.empty() || !any_alnum(s.front()) || !any_alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return any_alnum(c) || c == '-' || c == '_' || c == '.'; });
}

const char* const kSubdomainFmt =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const char* const kQualifiedFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const char* const kQualifiedMsg =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character";

std::vector<std::string> dns1123_label_errors(const std::string& value) {
  std::vector<std::string> errs;
  if (value.size() > 63) errs.push_back(max_len_error(63));
  if (!is_dns_label(value)) {
    errs.push_back(is_dns_subdomain(value)
                       ? "must not contain dots"
                       : regex_error("a lowercase RFC 1123 label must consist of lower case "
                                     "alphanumeric characters or '-', and must start and end "
                                     "with an alphanumeric character",
                                     "[a-z0-9]([-a-z0-9]*[a-z0-9])?", {"my-name", "123-abc"}));
  }
  return errs;
}

std::vector<std::string> dns1035_label_errors(const std::string& value) {
  std::vector<std::string> errs;
  if (value.size() > 63) errs.push_back(max_len_error(63));
  if (!is_dns_label(value) || !(value.front() >= 'a' && value.front() <= 'z')) {
    errs.push_back(regex_error(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
        "an alphabetic character, and end with an alphanumeric character",
        "[a-z]([-a-z0-9]*[a-z0-9])?", {"my-name", "abc-123"}));
  }
  return errs;
}

std::vector<std::string> path_segment_errors(const std::string& value) {
  if (value == "." || value == "..") return {"may not be '" + value + "'"};
  std::vector<std::string> errs;
  for (const char* bad : {"/", "%"}) {
    if (value.find(bad) != std::string::npos)
      errs.push_back(std::string("may not contain '") + bad + "'");
  }
  return errs;
}

enum class NameRule { kSubdomain, kLabel, kDns1035, kPathSegment };

// Which rule names of a type follow, as the API server's registries choose them.
NameRule name_rule(const ResourceType& rt) {
  if (rt.group.empty() && rt.kind == "Namespace") return NameRule::kLabel;
  if (rt.group.empty() && rt.kind == "Service") return NameRule::kDns1035;
  if (rt.group == "rbac.authorization.k8s.io") return NameRule::kPathSegment;
  return NameRule::kSubdomain;
}

std::vector<std::string> name_errors(NameRule rule, std::string name, bool prefix) {
  // A generateName is checked with its trailing dash masked (maskTrailingDash).
  if (prefix && name.size() > 1 && name.back() == '-') name.back() = 'a';
  switch (rule) {
    case NameRule::kLabel:
      return dns1123_label_errors(name);
    case NameRule::kDns1035:
      return dns1035_label_errors(name);
    case NameRule::kPathSegment:
      return path_segment_errors(name);
    case NameRule::kSubdomain:
      break;
  }
  return dns1123_subdomain_errors(name);
}

// Go's %q of a string, close enough: JSON quoting.
std::string quoted(const std::string& value) {
  return json(value).dump(-1, ' ', false, json::error_handler_t::replace);
}

void add_invalid(std::vector<std::string>& out, const std::string& field, const std::string& value,
                 const std::vector<std::string>& messages) {
  for (const auto& m : messages)
    out.push_back(field + ": Invalid value: " + quoted(value) + ": " + m);
}

void check_names(const ResourceType& rt, const json& meta, std::vector<std::string>& out) {
  const auto rule = name_rule(rt);
  const auto generate = meta.value("generateName", "");
  if (!generate.empty()) {
    add_invalid(out, "metadata.generateName", generate, name_errors(rule, generate, true));
  }
  const auto name = meta.value("name", "");
  if (name.empty()) {
    out.emplace_back("metadata.name: Required value: name or generateName is required");
  } else {
    add_invalid(out, "metadata.name", name, name_errors(rule, name, false));
  }
}

void check_labels(const json& meta, std::vector<std::string>& out) {
  const auto it = meta.find("labels");
  if (it == meta.end() || !it->is_object()) return;
  for (const auto& [key, value] : it->items()) {
    add_invalid(out, "metadata.labels", key, qualified_name_errors(key));
    if (value.is_string()) {
      add_invalid(out, "metadata.labels", value.get<std::string>(),
                  label_value_errors(value.get<std::string>()));
    }
  }
}

void check_annotations(const json& meta, std::vector<std::string>& out) {
  const auto it = meta.find("annotations");
  if (it == meta.end() || !it->is_object()) return;
  std::size_t total = 0;
  for (const auto& [key, value] : it->items()) {
    std::string lower = key;  // annotation keys are qualified names in any case
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    add_invalid(out, "metadata.annotations", key, qualified_name_errors(lower));
    total += key.size() + (value.is_string() ? value.get<std::string>().size() : 0);
  }
  if (total > kMaxAnnotationBytes) {
    out.push_back("metadata.annotations: Too long: must have at most " +
                  std::to_string(kMaxAnnotationBytes) + " bytes");
  }
}

std::set<std::string> finalizer_set(const json& meta) {
  std::set<std::string> out;
  const auto it = meta.find("finalizers");
  if (it == meta.end() || !it->is_array()) return out;
  for (const auto& f : *it) {
    if (f.is_string()) out.insert(f.get<std::string>());
  }
  return out;
}

// ValidateNoNewFinalizers(): an object being deleted may lose finalizers, never gain one.
void check_no_new_finalizers(const json& meta, const json& old_meta,
                             std::vector<std::string>& out) {
  if (!old_meta.contains("deletionTimestamp")) return;
  const auto before = finalizer_set(old_meta);
  std::string added;
  for (const auto& f : finalizer_set(meta)) {
    if (before.count(f) == 0) added += (added.empty() ? "" : " ") + quoted(f);
  }
  if (added.empty()) return;
  out.push_back(
      "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being "
      "deleted, found new finalizers [" +
      added + "]");
}

const json& metadata_of_object(const json& object) {
  static const json kEmpty = json::object();
  if (!object.is_object()) return kEmpty;
  const auto it = object.find("metadata");
  return it != object.end() && it->is_object() ? *it : kEmpty;
}

// The cause type of a problem's body, as field.ErrorType names it.
const char* cause_type(std::string_view body) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {"Required value", "FieldValueRequired"}, {"Unsupported value", "FieldValueNotSupported"},
      {"Forbidden", "FieldValueForbidden"},     {"Too long", "FieldValueTooLong"},
      {"Too many", "FieldValueTooMany"},        {"Duplicate value", "FieldValueDuplicate"},
      {"Not found", "FieldValueNotFound"},      {"Internal error", "InternalError"}};
  for (const auto& [prefix, type] : kTypes) {
    if (body.rfind(prefix, 0) == 0) return type;
  }
  return "FieldValueInvalid";
}

}  // namespace

std::vector<std::string> dns1123_subdomain_errors(const std::string& value) {
  std::vector<std::string> errs;
  if (value.size() > 253) errs.push_back(max_len_error(253));
  if (!is_dns_subdomain(value)) {
    errs.push_back(
        regex_error("a lowercase RFC 1123 subdomain must consist of lower case "
                    "alphanumeric characters, '-' or '.', and must start and end with "
                    "an alphanumeric character",
                    kSubdomainFmt, {"example.com"}));
  }
  return errs;
}

std::vector<std::string> qualified_name_errors(const std::string& value) {
  std::vector<std::string> errs;
  const auto slash = value.find('/');
  std::string name = value;
  if (slash != std::string::npos) {
    if (value.find('/', slash + 1) != std::string::npos) {
      return {"a qualified name " +
              regex_error(kQualifiedMsg, kQualifiedFmt, {"MyName", "my.name", "123-abc"}) +
              " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"};
    }
    const auto prefix = value.substr(0, slash);
    name = value.substr(slash + 1);
    if (prefix.empty()) {
      errs.emplace_back("prefix part must be non-empty");
    } else {
      for (const auto& m : dns1123_subdomain_errors(prefix)) errs.push_back("prefix part " + m);
    }
  }
  if (name.empty()) {
    errs.emplace_back("name part must be non-empty");
  } else if (name.size() > 63) {
    errs.push_back("name part " + max_len_error(63));
  }
  if (!is_qualified_part(name)) {
    errs.push_back("name part " +
                   regex_error(kQualifiedMsg, kQualifiedFmt, {"MyName", "my.name", "123-abc"}));
  }
  return errs;
}

std::vector<std::string> label_value_errors(const std::string& value) {
  std::vector<std::string> errs;
  if (value.size() > 63) errs.push_back(max_len_error(63));
  if (!value.empty() && !is_qualified_part(value)) {
    errs.push_back(regex_error(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
        "or '.', and must start and end with an alphanumeric character",
        std::string("(") + kQualifiedFmt + ")?", {"MyValue", "my_value", "12345"}));
  }
  return errs;
}

Error invalid_error(const std::string& qualified_kind, const std::string& name,
                    const std::vector<std::string>& problems) {
  const auto dot = qualified_kind.find('.');
  StatusDetails details{name,
                        dot == std::string::npos ? "" : qualified_kind.substr(dot + 1),
                        qualified_kind.substr(0, dot),
                        {}};
  std::string joined;
  for (const auto& p : problems) {
    const auto colon = p.find(": ");
    const auto field = colon == std::string::npos ? std::string{} : p.substr(0, colon);
    const auto body = colon == std::string::npos ? p : p.substr(colon + 2);
    details.causes.push_back({cause_type(body), body, field});
    joined += (joined.empty() ? "" : ", ") + p;
  }
  if (problems.size() > 1) joined = "[" + joined + "]";
  auto error = api_error(
      422, "Invalid",
      qualified_kind + " \"" + name + "\" is invalid" + (joined.empty() ? "" : ": " + joined));
  error.details = std::move(details);
  return error;
}

Status validate_metadata(const ResourceType& rt, const json& object, const json* old) {
  const auto& meta = metadata_of_object(object);
  std::vector<std::string> problems;
  if (old == nullptr) check_names(rt, meta, problems);
  check_labels(meta, problems);
  check_annotations(meta, problems);
  if (old != nullptr) check_no_new_finalizers(meta, metadata_of_object(*old), problems);
  if (problems.empty()) return {};
  const auto qualified = rt.group.empty() ? rt.kind : rt.kind + "." + rt.group;
  return invalid_error(qualified, meta.value("name", ""), problems);
}

}  // namespace kopiur::localkube::detail
