// The audit trail's hash (SHA-256 through OpenSSL's EVP interface, kept out of public headers)
// and canonical JSON strings (audit_trail.hpp).
#include <openssl/evp.h>

#include <charconv>
#include <cstring>
#include <memory>
#include <new>

#include "crmflow/audit_trail.hpp"
#include "store/audit_chain.hpp"

namespace crmflow {

namespace store_detail {

audit_chain_hasher::audit_chain_hasher() {
  ctx_ = EVP_MD_CTX_new();
  md_ = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (!ctx_ || !md_) {
    EVP_MD_free(md_);
    EVP_MD_CTX_free(ctx_);
    throw std::bad_alloc();
  }
}

audit_chain_hasher::~audit_chain_hasher() {
  EVP_MD_free(md_);
  EVP_MD_CTX_free(ctx_);
}

void audit_chain_hasher::hash(std::string_view prev, std::uint64_t seq, std::string_view record, char (&out)[64]) {
  // "\n", seq in decimal, "\n"; with prev in front of it in one buffer (one update) when prev
  // has the chain's 64 digits. Any other prev is hashed as given.
  char head[64 + 24];
  char* const tail = head + 64;
  tail[0] = '\n';
  char* p = std::to_chars(tail + 1, tail + 22, seq).ptr;
  *p++ = '\n';
  const bool joined = prev.size() == 64;
  if (joined) std::memcpy(head, prev.data(), 64);
  const char* const from = joined ? head : tail;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  // SHA-256 cannot fail on valid input short of allocation failure inside OpenSSL.
  if (EVP_DigestInit_ex2(ctx_, md_, nullptr) != 1 ||
      (!joined && EVP_DigestUpdate(ctx_, prev.data(), prev.size()) != 1) ||
      EVP_DigestUpdate(ctx_, from, static_cast<std::size_t>(p - from)) != 1 ||
      EVP_DigestUpdate(ctx_, record.data(), record.size()) != 1 || EVP_DigestFinal_ex(ctx_, digest, &size) != 1 ||
      size != 32)
    throw std::bad_alloc();
  static constexpr char hex[] = "0123456789abcdef";
  for (unsigned int i = 0; i < 32; ++i) {
    out[2 * i] = hex[digest[i] >> 4];
    out[2 * i + 1] = hex[digest[i] & 0xF];
  }
}

}  // namespace store_detail

audit_hasher::audit_hasher() : impl_(std::make_unique<store_detail::audit_chain_hasher>()) {}

audit_hasher::~audit_hasher() = default;

void audit_hasher::hash(std::string_view prev, std::uint64_t seq, std::string_view record, char (&out)[64]) {
  impl_->hash(prev, seq, record, out);
}

std::string audit_hash(std::string_view prev, std::uint64_t seq, std::string_view record) {
  store_detail::audit_chain_hasher hasher;
  char out[64];
  hasher.hash(prev, seq, record, out);
  return std::string(out, sizeof out);
}

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 (no overlongs, surrogates or code points
// past U+10FFFF).
std::size_t utf8_length(std::string_view s, std::size_t i) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const unsigned char c = p[i];
  std::size_t len;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) len = 2;
  else if (c == 0xE0) len = 3, lo = 0xA0;
  else if (c == 0xED) len = 3, hi = 0x9F;
  else if (c >= 0xE1 && c <= 0xEF) len = 3;
  else if (c == 0xF0) len = 4, lo = 0x90;
  else if (c >= 0xF1 && c <= 0xF3) len = 4;
  else if (c == 0xF4) len = 4, hi = 0x8F;
  else return 0;
  if (i + len > s.size() || p[i + 1] < lo || p[i + 1] > hi) return 0;
  for (std::size_t k = 2; k < len; ++k)
    if (p[i + k] < 0x80 || p[i + k] > 0xBF) return 0;
  return len;
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  // Runs of bytes written as they are (printable ASCII but `"` and `\`, and valid UTF-8
  // sequences) are appended whole; only the bytes between runs are looked at one by one.
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    std::size_t len = 0;
    if (c >= 0x80) {
      len = utf8_length(s, i);
      if (len != 0) {
        i += len;
        continue;
      }
    }
    out.append(s, run, i - run);
    ++i;
    run = i;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          const char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
          out.append(esc, sizeof esc);
        } else {
          out += "\xEF\xBF\xBD";  // U+FFFD for a byte that is not valid UTF-8
        }
    }
  }
  out.append(s, run, s.size() - run);
  out += '"';
}

}  // namespace crmflow
