// CRC-32 of journal records and snapshots, by zlib.
#include <zlib.h>

#include <algorithm>
#include <climits>

#include "crmflow/store.hpp"

namespace crmflow {
namespace {

std::uint32_t crc_update(std::uint32_t crc, std::string_view bytes) {
  uLong c = crc;
  while (!bytes.empty()) {
    const auto n = static_cast<uInt>(std::min<std::size_t>(bytes.size(), UINT_MAX));
    c = ::crc32(c, reinterpret_cast<const Bytef*>(bytes.data()), n);
    bytes.remove_prefix(n);
  }
  return static_cast<std::uint32_t>(c);
}

}  // namespace

std::uint32_t record_checksum(std::uint64_t seq, std::uint8_t kind, std::string_view payload) {
  char head[9];
  for (int i = 0; i < 8; ++i) head[i] = static_cast<char>(seq >> (8 * i) & 0xFF);
  head[8] = static_cast<char>(kind);
  return crc_update(crc_update(0, std::string_view(head, sizeof head)), payload);
}

std::uint32_t crc32_of(std::string_view bytes) { return crc_update(0, bytes); }

}  // namespace crmflow
