// A small protobuf writer for the tests of the local API server's protobuf bodies
// (src/localkube/detail/protobuf_body.hpp): fields by number and wire type, and the "k8s\0"
// prefix with the runtime.Unknown envelope kubectl sends.
#pragma once

#include <cstdint>
#include <string>

namespace kopiur::localkube::testing {

inline std::string pb_varint(std::uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}

// A length-delimited field (wire type 2): strings, bytes, messages, map entries.
inline std::string pb_field(int number, const std::string& bytes) {
  return pb_varint(static_cast<std::uint64_t>(number) << 3 | 2) + pb_varint(bytes.size()) + bytes;
}

// A varint field (wire type 0): integers and bools.
inline std::string pb_number(int number, std::uint64_t value) {
  return pb_varint(static_cast<std::uint64_t>(number) << 3) + pb_varint(value);
}

// A map<string, ...> entry.
inline std::string pb_entry(int number, const std::string& key, const std::string& value) {
  return pb_field(number, pb_field(1, key) + pb_field(2, value));
}

// The "k8s\0" prefix and a runtime.Unknown {typeMeta, raw} around an object's message.
inline std::string pb_envelope(const std::string& api_version, const std::string& kind,
                               const std::string& raw) {
  return std::string("k8s\0", 4) + pb_field(1, pb_field(1, api_version) + pb_field(2, kind)) +
         pb_field(2, raw);
}

}  // namespace kopiur::localkube::testing
