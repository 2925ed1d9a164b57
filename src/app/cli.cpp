#include "kopiur/app/cli.hpp"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "kopiur/version.hpp"

namespace kopiur::app {
namespace {

const FlagSpec* find_flag(const ProgramSpec& spec, std::string_view name) {
  auto it = std::find_if(spec.flags.begin(), spec.flags.end(),
                         [&](const FlagSpec& f) { return f.name == name; });
  return it == spec.flags.end() ? nullptr : &*it;
}

ParseResult usage_error(const ProgramSpec& spec, std::string message) {
  ParseResult r;
  r.action = ParseResult::Action::Exit;
  r.exit_code = 2;
  r.output_is_error = true;
  r.output = fmt::format("{}: {}\nRun '{} --help' for the flags it accepts.\n", spec.name, message,
                         spec.name);
  return r;
}

bool parse_bool(std::string_view v, bool& out) {
  if (v == "true" || v == "1" || v == "yes") {
    out = true;
    return true;
  }
  if (v == "false" || v == "0" || v == "no") {
    out = false;
    return true;
  }
  return false;
}

}  // namespace

std::string Flags::get(std::string_view name) const {
  if (auto it = values_.find(name); it != values_.end()) return it->second;
  if (auto it = defaults_.find(name); it != defaults_.end()) return it->second;
  return {};
}

bool Flags::enabled(std::string_view name) const { return get(name) == "true"; }

bool Flags::given(std::string_view name) const { return values_.find(name) != values_.end(); }

ParseResult parse_command_line(const ProgramSpec& spec, const std::vector<std::string>& args) {
  ParseResult result;
  for (const auto& f : spec.flags) {
    result.flags.defaults_[f.name] =
        f.value_name.empty() && f.default_value.empty() ? std::string("false") : f.default_value;
  }
  bool only_positional = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (only_positional || arg.size() < 2 || arg[0] != '-') {
      if (result.flags.positional_.size() >= spec.max_positional) {
        return usage_error(spec, spec.max_positional == 0
                                     ? fmt::format("unexpected argument '{}'", arg)
                                     : fmt::format("too many arguments at '{}'", arg));
      }
      result.flags.positional_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      only_positional = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      result.action = ParseResult::Action::Exit;
      result.output = render_help(spec);
      return result;
    }
    if (arg == "--version") {
      result.action = ParseResult::Action::Exit;
      result.output = fmt::format("{} {}\n", spec.name, kVersion);
      return result;
    }
    if (arg.rfind("--", 0) != 0) {
      return usage_error(spec, fmt::format("unknown flag '{}' (flags are spelled --name)", arg));
    }
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name.resize(eq);
    }
    const FlagSpec* flag = find_flag(spec, name);
    if (flag == nullptr) return usage_error(spec, fmt::format("unknown flag '--{}'", name));
    if (flag->value_name.empty()) {
      bool on = true;
      if (inline_value && !parse_bool(*inline_value, on)) {
        return usage_error(spec, fmt::format("flag '--{}' takes no value or true/false, got '{}'",
                                             name, *inline_value));
      }
      result.flags.values_[name] = on ? "true" : "false";
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= args.size()) {
        return usage_error(spec,
                           fmt::format("flag '--{}' needs a value ({})", name, flag->value_name));
      }
      inline_value = args[++i];
    }
    auto [it, first] = result.flags.values_.try_emplace(name, *inline_value);
    if (!first) it->second = flag->repeatable ? it->second + "," + *inline_value : *inline_value;
  }
  return result;
}

std::string render_help(const ProgramSpec& spec) {
  std::string out = fmt::format("{} {}\n{}\n\nUsage: {}\n", spec.name, kVersion, spec.summary,
                                spec.usage.empty() ? spec.name + " [FLAGS]" : spec.usage);
  if (!spec.positional_help.empty()) out += fmt::format("\n{}\n", spec.positional_help);
  out += "\nFlags:\n";
  auto line = [&](const std::string& left, const std::string& help) {
    out += fmt::format("  {:<28} {}\n", left, help);
  };
  for (const auto& f : spec.flags) {
    std::string left = "--" + f.name + (f.value_name.empty() ? "" : " " + f.value_name);
    std::string help = f.help;
    if (!f.default_value.empty()) help += fmt::format(" [default: {}]", f.default_value);
    line(left, help);
  }
  line("-h, --help", "Print this help and exit");
  line("--version", "Print the version and exit");
  if (!spec.env.empty()) {
    out += "\nEnvironment:\n";
    for (const auto& e : spec.env) line(e.name, e.help);
  }
  out +=
      "\nSignals: SIGTERM or SIGINT stops taking work, finishes or cancels what runs, flushes\n"
      "telemetry within its bound and exits 0; a second signal exits at once.\n";
  return out;
}

std::optional<int> handle_command_line(const ProgramSpec& spec, int argc, char** argv, Flags& out) {
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  ParseResult r = parse_command_line(spec, args);
  if (r.action == ParseResult::Action::Exit) {
    std::fputs(r.output.c_str(), r.output_is_error ? stderr : stdout);
    return r.exit_code;
  }
  out = std::move(r.flags);
  return std::nullopt;
}

}  // namespace kopiur::app
