// kubectl's table form of objects (Accept: application/json;as=Table): the columns a real server
// prints for the built-in kinds the local server keeps, and a CRD's additionalPrinterColumns.
#pragma once

#include <cstdint>
#include <vector>

#include "kopiur/support/json.hpp"

#include "localkube/detail/local_store.hpp"

namespace kopiur::localkube::detail {

nlohmann::json to_table(const ResourceType& rt, const std::vector<nlohmann::json>& objects,
                        std::int64_t rv);

}  // namespace kopiur::localkube::detail
