#include "deploy/promql_scan.hpp"

#include <cctype>
#include <set>

namespace kopiur::deploy_test {
namespace {

bool ident_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}
bool ident_char(char c) { return ident_start(c) || std::isdigit(static_cast<unsigned char>(c)); }

const std::set<std::string>& keywords() {
  static const std::set<std::string> k = {"by", "without", "on", "ignoring", "and", "or", "unless",
                                          "bool", "offset", "group_left", "group_right", "inf",
                                          "nan",
                                          // aggregation operators, as in `sum by (x) (...)`
                                          "sum", "min", "max", "avg", "group", "stddev", "stdvar",
                                          "count", "count_values", "bottomk", "topk", "quantile"};
  return k;
}

class Scanner {
 public:
  explicit Scanner(const std::string& text) : s_(text) {}

  ScannedExpr run() {
    while (skip_space(), pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c == '"' || c == '\'') {
        read_string();
      } else if (c == '[') {
        pos_ = s_.find(']', pos_);
        if (pos_ == std::string::npos) return fail("unclosed [");
        ++pos_;
      } else if (ident_start(c)) {
        identifier();
      } else if (c == '{') {
        Selector sel;
        if (!matchers(sel)) return out_;
        out_.selectors.push_back(std::move(sel));
      } else {
        ++pos_;
      }
      if (!out_.error.empty()) return out_;
    }
    return out_;
  }

 private:
  ScannedExpr fail(const std::string& why) {
    out_.error = why + " at offset " + std::to_string(pos_);
    return out_;
  }
  void skip_space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  std::string read_ident() {
    const std::size_t start = pos_;
    while (pos_ < s_.size() && ident_char(s_[pos_])) ++pos_;
    return s_.substr(start, pos_ - start);
  }
  std::string read_string() {
    const char quote = s_[pos_++];
    std::string v;
    while (pos_ < s_.size() && s_[pos_] != quote) {
      if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;
      v += s_[pos_++];
    }
    if (pos_ >= s_.size()) {
      out_.error = "unclosed string";
      return v;
    }
    ++pos_;
    return v;
  }
  void identifier() {
    // A number such as 1e3 or a duration is consumed by the caller's default branch; an
    // identifier here starts with a letter.
    const std::string word = read_ident();
    skip_space();
    const bool call = pos_ < s_.size() && s_[pos_] == '(';
    if (word == "by" || word == "without" || word == "on" || word == "ignoring") {
      if (call) label_list();
      return;
    }
    if (call || keywords().count(word) != 0) return;  // a function or an operator keyword
    Selector sel;
    sel.metric = word;
    if (pos_ < s_.size() && s_[pos_] == '{' && !matchers(sel)) return;
    out_.selectors.push_back(std::move(sel));
  }
  void label_list() {
    ++pos_;  // (
    while (skip_space(), pos_ < s_.size() && s_[pos_] != ')') {
      if (ident_start(s_[pos_])) {
        out_.grouping.push_back(read_ident());
      } else {
        ++pos_;
      }
    }
    if (pos_ < s_.size()) ++pos_;
  }
  bool matchers(Selector& sel) {
    ++pos_;  // {
    while (skip_space(), pos_ < s_.size() && s_[pos_] != '}') {
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (!ident_start(s_[pos_])) {
        fail("expected a label name");
        return false;
      }
      Matcher m;
      m.label = read_ident();
      skip_space();
      for (const char* op : {"=~", "!~", "!=", "="}) {
        if (s_.compare(pos_, std::char_traits<char>::length(op), op) == 0) {
          m.op = op;
          pos_ += m.op.size();
          break;
        }
      }
      skip_space();
      if (m.op.empty() || pos_ >= s_.size() || (s_[pos_] != '"' && s_[pos_] != '\'')) {
        fail("expected an operator and a quoted value after " + m.label);
        return false;
      }
      m.value = read_string();
      sel.matchers.push_back(std::move(m));
    }
    if (pos_ >= s_.size()) {
      fail("unclosed {");
      return false;
    }
    ++pos_;
    return true;
  }

  const std::string& s_;
  std::size_t pos_ = 0;
  ScannedExpr out_;
};

}  // namespace

ScannedExpr scan_promql(const std::string& expr) { return Scanner(expr).run(); }

std::vector<std::string> literal_alternatives(const Matcher& m) {
  if (m.value.find('$') != std::string::npos) return {};
  if (m.op == "=" || m.op == "!=") return {m.value};
  for (char c : m.value) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '|' || c == '-' || c == '_')) {
      return {};
    }
  }
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t bar = m.value.find('|', start);
    out.push_back(m.value.substr(start, bar - start));
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  return out;
}

}  // namespace kopiur::deploy_test
