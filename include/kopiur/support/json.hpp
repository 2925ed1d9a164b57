// File: kopiur/support/json.hpp
//
// The one way project code includes nlohmann::json. Besides the library itself it declares
// `nlohmann::json` (basic_json<>) as explicitly instantiated elsewhere (src/support/json.cpp), so
// each translation unit stops compiling its own copy of the class's members (dump, operator[],
// at, erase, comparisons, ...). Measured under ASan+UBSan at -O0 (CPU seconds): the API codec
// test 23.4 -> 22.2, a webhook test 12.3 -> 11.5, src/api/kinds.cpp unchanged (its cost is the
// member templates below); an estimated 50 s per sanitizer tree, net of the instantiation's 14 s.
//
//   #include "kopiur/support/json.hpp"
//   nlohmann::json j = nlohmann::json::parse(text);
//
// Member templates (get<T>, parse<Input>, value<T>, the converting constructors) are not covered
// by an explicit instantiation and still compile where they are used. The definitions come from
// the kopiur_json library, which every target linking nlohmann_json gets (cmake/KopiurDeps.cmake).
#pragma once

#include <nlohmann/json.hpp>  // IWYU pragma: export

extern template class nlohmann::basic_json<>;
