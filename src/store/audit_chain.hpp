// The audit trail's chain hash (audit_trail.hpp) for many records in a row: SHA-256 fetched
// from OpenSSL once and one digest context reused, instead of a fetch (a name lookup under a
// lock) and a context allocated for every record. Internal to the store; not thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

struct evp_md_ctx_st;
struct evp_md_st;

namespace crmflow::store_detail {

class audit_chain_hasher {
 public:
  // Throws std::bad_alloc when OpenSSL cannot allocate or has no SHA-256.
  audit_chain_hasher();
  ~audit_chain_hasher();
  audit_chain_hasher(const audit_chain_hasher&) = delete;
  audit_chain_hasher& operator=(const audit_chain_hasher&) = delete;

  // Writes hash(seq) = lowercase hex SHA-256 of prev + "\n" + decimal seq + "\n" + record into
  // out[0..63]. O(record). Throws std::bad_alloc only.
  void hash(std::string_view prev, std::uint64_t seq, std::string_view record, char (&out)[64]);

 private:
  evp_md_ctx_st* ctx_ = nullptr;
  evp_md_st* md_ = nullptr;
};

}  // namespace crmflow::store_detail
