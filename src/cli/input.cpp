#include "cli/input.hpp"

#include <cerrno>
#include <cstring>
#include <unistd.h>
#include <string_view>

namespace crmflow::cli {

namespace {
constexpr std::size_t block = 1024 * 1024;
}

line_reader::line_reader(std::FILE* file) : file_(file), buffer_(max_line_bytes + 2 * block) {}

bool line_reader::fill() {
  if (eof_) return false;
  if (begin_ > 0) {  // keep the partial line at the front
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  const std::size_t room = buffer_.size() - end_;
  // read(), not fread(): a pipe gives what it has, so lines are handled as they arrive (fread
  // would wait for a whole block). The FILE is not read through otherwise.
  ssize_t n;
  do {
    n = ::read(::fileno(file_), buffer_.data() + end_, room < block ? room : block);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) {
    eof_ = true;
    failed_ = n < 0;
    return false;
  }
  end_ += static_cast<std::size_t>(n);
  return true;
}

bool line_reader::next(std::string_view& line, bool& too_long) {
  too_long = false;
  std::size_t scanned = begin_;  // no newline before this
  for (;;) {
    const char* start = buffer_.data() + scanned;
    const void* nl = scanned < end_ ? std::memchr(start, '\n', end_ - scanned) : nullptr;
    if (nl) {
      const std::size_t pos = static_cast<std::size_t>(static_cast<const char*>(nl) - buffer_.data());
      std::size_t len = pos - begin_;
      if (len > 0 && buffer_[pos - 1] == '\r') --len;
      if (len > max_line_bytes) {
        too_long = true;
        line = {};
      } else {
        line = std::string_view(buffer_.data() + begin_, len);
      }
      begin_ = pos + 1;
      return true;
    }
    if (end_ - begin_ > max_line_bytes + 1) {
      // Too long: drop what we have and skip to the next newline.
      too_long = true;
      line = {};
      for (;;) {
        begin_ = end_ = 0;
        if (!fill()) return true;
        if (const void* p = std::memchr(buffer_.data(), '\n', end_)) {
          begin_ = static_cast<std::size_t>(static_cast<const char*>(p) - buffer_.data()) + 1;
          return true;
        }
      }
    }
    scanned = end_;
    const std::size_t offset = scanned - begin_;
    if (!fill()) {
      if (begin_ == end_) return false;
      std::size_t len = end_ - begin_;  // last line, no newline
      if (buffer_[end_ - 1] == '\r') --len;
      line = std::string_view(buffer_.data() + begin_, len);
      begin_ = end_;
      return true;
    }
    scanned = begin_ + offset;  // fill() may have moved the data to the front
  }
}

std::size_t invalid_utf8_at(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c == 0xE0) len = 3, lo = 0xA0;
    else if (c == 0xED) len = 3, hi = 0x9F;
    else if (c >= 0xE1 && c <= 0xEF) len = 3;
    else if (c == 0xF0) len = 4, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) len = 4;
    else if (c == 0xF4) len = 4, hi = 0x8F;
    else return i;
    if (i + len > n) return i;
    if (p[i + 1] < lo || p[i + 1] > hi) return i;
    for (std::size_t k = 2; k < len; ++k)
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return i;
    i += len;
  }
  return std::string_view::npos;
}

}  // namespace crmflow::cli
