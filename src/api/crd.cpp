// CRD rendering and the small YAML emitter used for the generated files.
#include "kopiur/api/crd.hpp"

#include <cctype>

#include "kopiur/api/meta.hpp"

namespace kopiur::api {
namespace {

// A plain YAML scalar is safe when it cannot be read as another type or as YAML syntax.
bool plain_safe(const std::string& s) {
  if (s.empty()) return false;
  static const char* const kReserved[] = {
      "true", "false", "yes",  "no",   "on",    "off",  "null", "True", "False", "Yes", "No",
      "On",   "Off",   "Null", "TRUE", "FALSE", "NULL", "~",    "y",    "n",     "Y",   "N"};
  for (const char* word : kReserved) {
    if (s == word) return false;
  }
  const unsigned char first = static_cast<unsigned char>(s[0]);
  if (!std::isalpha(first) && first != '_' && first != '/' && first != '.') return false;
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (!std::isalnum(c) && c != '_' && c != '-' && c != '.' && c != '/' && c != ' ' && c != '(' &&
        c != ')') {
      return false;
    }
  }
  return s.back() != ' ' && s.front() != ' ';
}

std::string scalar(const nlohmann::json& value) {
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    return plain_safe(s) ? s : value.dump();
  }
  return value.dump();
}

bool is_collection(const nlohmann::json& v) {
  return (v.is_object() || v.is_array()) && !v.empty();
}

void emit(const nlohmann::json& value, int indent, std::string& out);

void emit_object(const nlohmann::json& value, int indent, std::string& out, bool first_inline) {
  bool first = true;
  for (const auto& [key, child] : value.items()) {
    if (!(first && first_inline)) out.append(static_cast<std::size_t>(indent), ' ');
    first = false;
    out += scalar(key) + ":";
    if (is_collection(child)) {
      out += "\n";
      // Sequences under a key stay at the key's indentation (kubectl's own style).
      emit(child, child.is_array() ? indent : indent + 2, out);
    } else {
      out += " " + (child.is_object()  ? std::string("{}")
                    : child.is_array() ? std::string("[]")
                                       : scalar(child));
      out += "\n";
    }
  }
}

void emit(const nlohmann::json& value, int indent, std::string& out) {
  if (value.is_object()) {
    emit_object(value, indent, out, false);
    return;
  }
  if (value.is_array()) {
    for (const auto& item : value) {
      out.append(static_cast<std::size_t>(indent), ' ');
      out += "- ";
      if (item.is_object() && !item.empty()) {
        emit_object(item, indent + 2, out, true);
      } else if (item.is_array() && !item.empty()) {
        out += "\n";
        emit(item, indent + 2, out);
      } else {
        out += (item.is_object()  ? std::string("{}")
                : item.is_array() ? std::string("[]")
                                  : scalar(item));
        out += "\n";
      }
    }
    return;
  }
  out.append(static_cast<std::size_t>(indent), ' ');
  out += scalar(value) + "\n";
}

}  // namespace

std::string to_yaml(const nlohmann::json& value) {
  std::string out;
  emit(value, 0, out);
  return out;
}

nlohmann::json crd(const KindInfo& info) {
  nlohmann::json columns = nlohmann::json::array();
  for (const auto& column : info.printer_columns) {
    nlohmann::json c = {{"name", column.name},
                        {"type", column.type},
                        {"jsonPath", column.json_path},
                        {"description", column.description}};
    if (column.priority != 0) c["priority"] = column.priority;
    columns.push_back(std::move(c));
  }
  columns.push_back({{"name", "Age"},
                     {"type", "date"},
                     {"jsonPath", ".metadata.creationTimestamp"},
                     {"description", "Time since creation"}});
  nlohmann::json names = {{"kind", info.kind},
                          {"listKind", info.list_kind()},
                          {"plural", info.plural},
                          {"singular", info.singular},
                          {"shortNames", info.short_names},
                          {"categories", {std::string(kCategory)}}};
  nlohmann::json version = {{"name", std::string(kVersion)},
                            {"served", true},
                            {"storage", true},
                            {"subresources", {{"status", nlohmann::json::object()}}},
                            {"additionalPrinterColumns", columns},
                            {"schema", {{"openAPIV3Schema", info.schema()}}}};
  return {{"apiVersion", "apiextensions.k8s.io/v1"},
          {"kind", "CustomResourceDefinition"},
          {"metadata", {{"name", info.plural + "." + std::string(kGroup)}}},
          {"spec",
           {{"group", std::string(kGroup)},
            {"names", names},
            {"scope", info.namespaced() ? "Namespaced" : "Cluster"},
            {"versions", {version}}}}};
}

std::vector<GeneratedFile> crd_files() {
  std::vector<GeneratedFile> files;
  for (const auto& info : kinds()) {
    files.push_back({"deploy/crds/" + info.plural + ".yaml",
                     std::string(kCrdHeader) + "---\n" + to_yaml(crd(info))});
  }
  return files;
}

}  // namespace kopiur::api
