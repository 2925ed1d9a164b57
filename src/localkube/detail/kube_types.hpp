// The Kubernetes client's result types, which the local API server answers with: its errors are
// the same Status objects (code, reason, causes) that kubectl and kopiur's client read.
#pragma once

#include "kopiur/kube/result.hpp"

namespace kopiur::localkube {

using kube::Error;
using kube::Result;
using kube::Status;
using kube::StatusCause;
using kube::StatusDetails;

}  // namespace kopiur::localkube
