// File: kopiur/mover/operations.hpp
//
// execute(): the kopia commands behind each mover operation, run through a Kopia:
//   connect          repository connect filesystem (create when allowed and not initialised),
//                    then repository status --json
//   catalog          connect, snapshot list --json --all
//   backup           connect, snapshot create PATH --json
//   snapshot-delete  connect, snapshot delete ID --delete
//   restore          connect, snapshot restore ID TARGET
//   maintenance      connect, maintenance run [--full] [--safety=...]; full also reads
//                    maintenance info --json for the bytes reclaimed
// The figures in the result come from kopia's --json output; failures are classified from
// kopia's exit status and its "ERROR ..." line (see classify()).
//
// Thread-safety: one execute() at a time per Kopia. Failure: never throws; problems are in
// result.failure.
#pragma once

#include "kopiur/mover/kopia.hpp"
#include "kopiur/mover/result.hpp"
#include "kopiur/mover/work_spec.hpp"

namespace kopiur::mover {

// Fills result.result and the operation's fields (and result.failure on failure).
void execute(const WorkSpec& spec, const Kopia& kopia, OperationResult& result);

// The failure a finished kopia run stands for.
FailureInfo classify(const KopiaRun& run);

}  // namespace kopiur::mover
