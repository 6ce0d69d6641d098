// Little-endian byte writing and bounds-checked reading for snapshots and journal payloads.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace crmflow::store_detail {

class writer {
 public:
  explicit writer(std::string& out) : out_(out) {}
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u16(std::uint16_t v) { fixed(v, 2); }
  void u32(std::uint32_t v) { fixed(v, 4); }
  void u64(std::uint64_t v) { fixed(v, 8); }
  void i64(std::int64_t v) { fixed(static_cast<std::uint64_t>(v), 8); }
  void str(std::string_view s) {
    u32(static_cast<std::uint32_t>(s.size()));
    out_.append(s);
  }
  void raw(std::string_view s) { out_.append(s); }
  // LEB128: 7 bits a byte, low bits first, the high bit set on every byte but the last.
  void uv(std::uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7F) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  // Zigzag then LEB128: small magnitudes of either sign take few bytes.
  void zz(std::int64_t v) { uv((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63)); }
  void vstr(std::string_view s) {
    uv(s.size());
    out_.append(s);
  }

 private:
  // Into a local buffer, then one append: a push_back per byte is a call and a capacity check
  // each (the journal writes 14 such bytes and more per input).
  void fixed(std::uint64_t v, int n) {
    char bytes[8];
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(v >> (8 * i) & 0xFF);
    out_.append(bytes, static_cast<std::size_t>(n));
  }
  std::string& out_;
};

// Every read past the end sets failed() and yields zeros, so callers check once at the end
// of a structure rather than after each field.
class reader {
 public:
  explicit reader(std::string_view in) : in_(in) {}
  std::uint8_t u8() { return static_cast<std::uint8_t>(fixed(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(fixed(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(fixed(4)); }
  std::uint64_t u64() { return fixed(8); }
  std::int64_t i64() { return static_cast<std::int64_t>(fixed(8)); }
  std::string_view str() { return take(u32()); }
  // LEB128 as written by writer::uv; a value of more than 64 bits or a byte more than needed
  // (a last byte of 0) fails, so each value has one encoding.
  std::uint64_t uv() {
    // Most values (indices, states, counts, booleans) fit one byte: inline, no loop.
    if (!failed_ && pos_ < in_.size()) {
      const auto b = static_cast<unsigned char>(in_[pos_]);
      if (b < 0x80) {
        ++pos_;
        return b;
      }
    }
    return uv_long();
  }
  std::int64_t zz() {
    const std::uint64_t u = uv();
    return static_cast<std::int64_t>((u >> 1) ^ (0 - (u & 1)));
  }
  std::string_view vstr() { return take(uv()); }
  bool expect(std::string_view bytes) {
    if (in_.substr(pos_, bytes.size()) != bytes) return failed_ = true, false;
    pos_ += bytes.size();
    return true;
  }
  void fail() noexcept { failed_ = true; }
  bool failed() const noexcept { return failed_; }
  bool at_end() const noexcept { return pos_ == in_.size(); }
  std::size_t position() const noexcept { return pos_; }
  std::size_t remaining() const noexcept { return in_.size() - pos_; }

 private:
  std::uint64_t uv_long() {
    std::uint64_t v = 0;
    for (int shift = 0; !failed_ && pos_ < in_.size(); shift += 7) {
      const auto b = static_cast<unsigned char>(in_[pos_++]);
      if (shift == 63 && b > 1) break;
      v |= std::uint64_t{b & 0x7Fu} << shift;
      if (b < 0x80) {
        if (b == 0 && shift > 0) break;
        return v;
      }
    }
    failed_ = true;
    return 0;
  }
  // The next n bytes; fails (and returns empty) when fewer are left.
  std::string_view take(std::uint64_t n) {
    if (failed_ || n > in_.size() - pos_) {
      failed_ = true;
      return {};
    }
    std::string_view s = in_.substr(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return s;
  }
  std::uint64_t fixed(int n) {
    if (failed_ || in_.size() - pos_ < static_cast<std::size_t>(n)) {
      failed_ = true;
      return 0;
    }
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= std::uint64_t{static_cast<unsigned char>(in_[pos_ + i])} << (8 * i);
    pos_ += n;
    return v;
  }
  std::string_view in_;
  std::size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace crmflow::store_detail
