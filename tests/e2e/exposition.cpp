#include "e2e/exposition.hpp"

#include <cstdlib>
#include <sstream>

namespace kopiur::e2e {
namespace {

// Reads `name="value"` pairs from the text between the braces; false on a malformed pair.
bool parse_labels(const std::string& body, std::map<std::string, std::string>& out) {
  std::size_t pos = 0;
  while (pos < body.size()) {
    const auto eq = body.find('=', pos);
    if (eq == std::string::npos || eq + 1 >= body.size() || body[eq + 1] != '"') return false;
    const std::string key = body.substr(pos, eq - pos);
    std::string value;
    std::size_t i = eq + 2;
    for (; i < body.size() && body[i] != '"'; ++i) {
      if (body[i] == '\\' && i + 1 < body.size()) {
        ++i;
        value.push_back(body[i] == 'n' ? '\n' : body[i]);
      } else {
        value.push_back(body[i]);
      }
    }
    if (i >= body.size()) return false;
    out[key] = value;
    pos = i + 1;
    if (pos < body.size() && body[pos] == ',') ++pos;
  }
  return true;
}

}  // namespace

std::vector<Sample> parse_exposition(const std::string& text) {
  std::vector<Sample> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.front() == '#') continue;
    Sample s;
    const auto brace = line.find('{');
    const auto space = line.find(' ');
    bool ok = space != std::string::npos;
    std::string rest;
    if (ok && brace != std::string::npos && brace < space) {
      const auto close = line.rfind('}');
      ok = close != std::string::npos && close > brace;
      if (ok) {
        s.name = line.substr(0, brace);
        ok = parse_labels(line.substr(brace + 1, close - brace - 1), s.labels);
        rest = line.substr(close + 1);
      }
    } else if (ok) {
      s.name = line.substr(0, space);
      rest = line.substr(space);
    }
    if (ok) {
      char* end = nullptr;
      s.value = std::strtod(rest.c_str(), &end);
      ok = end != rest.c_str();
    }
    if (!ok) s = Sample{"<unparsed: " + line + ">", {}, 0};
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<Sample> select(const std::vector<Sample>& samples, const std::string& name,
                           const std::map<std::string, std::string>& match) {
  std::vector<Sample> out;
  for (const auto& s : samples) {
    if (s.name != name) continue;
    bool all = true;
    for (const auto& [k, v] : match) {
      const auto it = s.labels.find(k);
      all = all && it != s.labels.end() && it->second == v;
    }
    if (all) out.push_back(s);
  }
  return out;
}

}  // namespace kopiur::e2e
