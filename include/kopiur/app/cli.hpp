// File: kopiur/app/cli.hpp
//
// Command-line handling shared by kopiur-controller, kopiur-webhook and kopiur-mover: one
// ProgramSpec describes a program's flags, positional arguments and the environment variables it
// reads; parse_command_line() turns argv into values or into an outcome (--help, --version, a
// usage error with exit code 2). Flags take `--name value` or `--name=value`; boolean flags take no
// value (or `=true`/`=false`). Not thread-safe; call from main().
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kopiur::app {

// FlagSpec: one `--name`. An empty value_name makes it a boolean switch.
struct FlagSpec {
  std::string name;        // without the leading dashes
  std::string value_name;  // e.g. "ADDR"; empty for a boolean flag
  std::string help;
  std::string default_value;  // shown in --help and returned when the flag is absent
  // A value flag given several times: true joins the values with ',' (`--namespace a
  // --namespace b` reads as "a,b"); false keeps the last one.
  bool repeatable = false;
};

// EnvSpec: an environment variable the program reads, listed in --help.
struct EnvSpec {
  std::string name;
  std::string help;
};

// ProgramSpec: what --help prints and what the parser accepts.
struct ProgramSpec {
  std::string name;     // e.g. "kopiur-controller"
  std::string summary;  // one line
  std::string usage;    // e.g. "kopiur-mover [FLAGS] OPERATION"; defaults to "<name> [FLAGS]"
  std::vector<FlagSpec> flags;
  std::vector<EnvSpec> env;
  std::size_t max_positional = 0;  // positional arguments accepted
  std::string positional_help;     // shown in --help when positional arguments are accepted
};

struct ParseResult;
class Flags;
ParseResult parse_command_line(const ProgramSpec& spec, const std::vector<std::string>& args);

// Flags: the parsed values; absent flags fall back to their spec's default_value.
class Flags {
 public:
  // The flag's value (or its default). An undeclared name is a programming error and returns "".
  [[nodiscard]] std::string get(std::string_view name) const;
  // True when a boolean flag was given (or given as =true).
  [[nodiscard]] bool enabled(std::string_view name) const;
  // True when the flag appeared on the command line.
  [[nodiscard]] bool given(std::string_view name) const;
  [[nodiscard]] const std::vector<std::string>& positional() const { return positional_; }

 private:
  friend ParseResult parse_command_line(const ProgramSpec&, const std::vector<std::string>&);
  std::map<std::string, std::string, std::less<>> values_;
  std::map<std::string, std::string, std::less<>> defaults_;
  std::vector<std::string> positional_;
};

// ParseResult: either run with flags, or stop with `exit_code` after printing `output`
// (to stdout for --help/--version, to stderr for usage errors).
struct ParseResult {
  enum class Action { Run, Exit };
  Action action = Action::Run;
  int exit_code = 0;
  std::string output;
  bool output_is_error = false;
  Flags flags;
};

// Parses args (without argv[0]). --help/-h and --version are built in; the version string is
// kopiur::kVersion.
ParseResult parse_command_line(const ProgramSpec& spec, const std::vector<std::string>& args);

// The --help text: usage, summary, flags with defaults, environment variables.
std::string render_help(const ProgramSpec& spec);

// Convenience for main(): parses argv, prints help/version/errors; returns the exit code to leave
// with, or nullopt to run (flags written to `out`).
std::optional<int> handle_command_line(const ProgramSpec& spec, int argc, char** argv, Flags& out);

}  // namespace kopiur::app
