#include "loader/utf8.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace crmflow::loader {
namespace {

// Length of the valid sequence starting at text[i], or 0 if the byte at i starts an invalid
// one; *bad is then how many bytes of it looked valid (at least the lead byte, or 0).
std::size_t sequence_length(std::string_view text, std::size_t i, std::size_t* bad) noexcept {
  auto at = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = at(i);
  *bad = 0;
  if (b0 < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  for (std::size_t k = 1; k < n; ++k) {
    if (i + k >= text.size()) {
      *bad = k;
      return 0;
    }
    const unsigned char b = at(i + k);
    const bool ok = k == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
    if (!ok) {
      *bad = k;
      return 0;
    }
  }
  return n;
}

// Index of the first byte at or after i that is not ASCII (or text.size()), eight bytes at a
// time: rules files are mostly ASCII.
std::size_t skip_ascii(std::string_view text, std::size_t i) noexcept {
  while (i + 8 <= text.size()) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + i, 8);
    if (word & 0x8080808080808080u) break;
    i += 8;
  }
  while (i < text.size() && static_cast<unsigned char>(text[i]) < 0x80) ++i;
  return i;
}

}  // namespace

std::vector<utf8_error> find_invalid_utf8(std::string_view text) {
  // Valid text (the usual case) is found without counting lines; the lines are counted only to
  // place the errors of invalid text.
  if (is_valid_utf8(text)) return {};
  std::vector<utf8_error> errors;
  int line = 1;
  std::size_t line_start = 0;
  bool line_reported = false;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
      line_reported = false;
      ++i;
      continue;
    }
    std::size_t bad = 0;
    const std::size_t n = sequence_length(text, i, &bad);
    if (n != 0) {
      i += n;
      continue;
    }
    // Report where the invalid sequence starts: that is the byte the analyst must fix.
    if (!line_reported) {
      errors.push_back({line, static_cast<int>(i - line_start + 1),
                        static_cast<unsigned char>(text[i])});
      line_reported = true;
    }
    // Resume after the lead byte (a bad continuation byte may be a newline).
    i = bad == 0 ? i + 1 : i + bad;
  }
  return errors;
}

bool is_valid_utf8(std::string_view text) noexcept {
  std::size_t i = 0;
  while ((i = skip_ascii(text, i)) < text.size()) {
    std::size_t bad = 0;
    const std::size_t n = sequence_length(text, i, &bad);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

}  // namespace crmflow::loader
