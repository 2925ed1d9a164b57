// The explicit instantiation that include/kopiur/support/json.hpp declares: basic_json<>'s
// members are compiled once here instead of once per translation unit.
#include <nlohmann/json.hpp>

template class nlohmann::basic_json<>;
