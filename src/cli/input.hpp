// Reading the events file: lines of bounded length, checked for UTF-8 before parsing.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string_view>
#include <vector>

namespace crmflow::cli {

// Longest accepted line, without its newline. Longer lines are skipped without being stored.
inline constexpr std::size_t max_line_bytes = 1024 * 1024;

// Splits a stream into lines ("\n" or "\r\n") reading 1 MiB blocks; the view returned by
// next() stays valid until the next call. Not owning the FILE.
class line_reader {
 public:
  explicit line_reader(std::FILE* file);

  // The next line; false at end of input. `too_long` is set (and `line` empty) for a line over
  // max_line_bytes.
  bool next(std::string_view& line, bool& too_long);
  // True if reading failed (as opposed to reaching the end).
  bool failed() const noexcept { return failed_; }

 private:
  bool fill();  // reads more at end_; false at end of input

  std::FILE* file_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;  // start of unread data
  std::size_t end_ = 0;    // end of data read
  bool eof_ = false;
  bool failed_ = false;
};

// Offset of the first byte that is not part of valid UTF-8 (no overlongs, surrogates or code
// points past U+10FFFF), or npos.
std::size_t invalid_utf8_at(std::string_view s) noexcept;

}  // namespace crmflow::cli
