// kopiur-webhook: placeholder main, replaced as the libraries land.
#include "kopiur/app/cli.hpp"
#include "kopiur/app/shutdown.hpp"

int main(int argc, char** argv) {
  kopiur::app::ProgramSpec spec;
  spec.name = "kopiur-webhook";
  spec.summary = "kopiur webhook";
  kopiur::app::Flags flags;
  if (auto code = kopiur::app::handle_command_line(spec, argc, argv, flags)) return *code;
  auto shutdown = kopiur::app::ShutdownSignal::install();
  shutdown->wait();
  return 0;
}
