// libFuzzer target for the local API server's protobuf request bodies
// (src/localkube/detail/protobuf_body.cpp), what kubectl's typed generators send. A body is
// either an object of one of the kinds read here, with its apiVersion and text JSON can hold (so
// dump() cannot throw), or a 400/415 Status; nothing throws or reads out of bounds. Seeds: the
// bodies of kubectl create configmap|secret|namespace|serviceaccount|service|job|deployment|
// role|clusterrole|rolebinding|clusterrolebinding, as kubectl v1.32 sent them.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "localkube/detail/protobuf_body.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto object = kopiur::localkube::detail::decode_protobuf_object(body);
  if (!object.ok()) {
    const int code = object.error().http_status;
    kopiur::fuzz::fuzz_require(code == 400 || code == 415);
    kopiur::fuzz::fuzz_require(!object.error().message.empty());
    return 0;
  }
  kopiur::fuzz::fuzz_require(object->is_object());
  const auto api_version = object->value("apiVersion", "");
  const auto kind = object->value("kind", "");
  if (api_version == "v1") {
    kopiur::fuzz::fuzz_require(kind == "ConfigMap" || kind == "Secret" || kind == "Namespace" ||
                               kind == "ServiceAccount" || kind == "Pod" || kind == "Service");
  } else if (api_version == "batch/v1" || api_version == "apps/v1") {
    kopiur::fuzz::fuzz_require(kind == (api_version == "batch/v1" ? "Job" : "Deployment"));
  } else {
    kopiur::fuzz::fuzz_require(api_version == "rbac.authorization.k8s.io/v1");
    kopiur::fuzz::fuzz_require(kind == "Role" || kind == "ClusterRole" || kind == "RoleBinding" ||
                               kind == "ClusterRoleBinding");
  }
  kopiur::fuzz::fuzz_require(!object->dump().empty());
  return 0;
}
