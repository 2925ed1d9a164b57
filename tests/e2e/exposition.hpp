// Prometheus text exposition as the end-to-end test reads it: one Sample per series line.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace kopiur::e2e {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Parses every sample line of `text` (comments and blank lines skipped). Label values are
// unescaped. A line that does not parse is returned with the name "<unparsed: LINE>".
std::vector<Sample> parse_exposition(const std::string& text);

// The samples named `name`, optionally only those whose labels include every pair of `match`.
std::vector<Sample> select(const std::vector<Sample>& samples, const std::string& name,
                           const std::map<std::string, std::string>& match = {});

}  // namespace kopiur::e2e
