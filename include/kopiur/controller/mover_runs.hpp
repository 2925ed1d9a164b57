// File: kopiur/controller/mover_runs.hpp
//
// Starting and reading mover Jobs for the flows. A flow names its Job deterministically
// (mover_job_name), records the name in its status, and on every reconcile either starts it
// (start_mover: the Secret, then the Job; AlreadyExists is success, so a controller restart in
// the middle of a run never makes a second Job) or reads it (observe_mover). The result is the
// mover's JSON termination message (docs/mover.md "Result"), read from the Job's newest finished
// pod; when a pod died without one (OOM, image missing) the failure says what Kubernetes said.
//
//   auto seen = observe_mover(env, ns, job);   // kNotFound -> start_mover(env, request)
//   if (seen->state == MoverState::kSucceeded) ... seen->result["snapshot"]["id"] ...
//
// Thread-safety: stateless functions. Cost: observe_mover() is one Job GET plus one Pod list.
// Failure: API errors come back in the Result; a malformed termination message is a failure
// with the message's head quoted, never an exception.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "kopiur/controller/flow_env.hpp"
#include "kopiur/controller/mover_job.hpp"
#include "kopiur/controller/mover_result.hpp"
#include "kopiur/kube/result.hpp"
#include "kopiur/support/json.hpp"

namespace kopiur::controller {

// A DNS-1123 name of at most 63 characters: "<owner>-<suffix>", the owner part shortened with a
// stable hash when too long.
std::string mover_job_name(std::string_view owner, std::string_view suffix);

kube::Status start_mover(const FlowEnv& env, const MoverJobRequest& request);
kube::Result<MoverObservation> observe_mover(const FlowEnv& env, const std::string& ns,
                                             const std::string& job);
// Deletes the Job (its pods with it) and its Secret; NotFound is success.
kube::Status delete_mover(const FlowEnv& env, const std::string& ns, const std::string& job);

}  // namespace kopiur::controller
