// Buffered output for the CLI: records are appended to one reusable string and written in large
// blocks, so a long simulation costs one fwrite per 64 KiB, not one per record.
#pragma once

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace crmflow::cli {

class output {
 public:
  // Writes to `file`, which the caller keeps open (stdout, or a file it closes afterwards);
  // a null `file` discards everything (simulate --store re-reading inputs already journaled).
  explicit output(std::FILE* file) : file_(file) { buffer_.reserve(2 * flush_at); }
  output(const output&) = delete;
  output& operator=(const output&) = delete;
  ~output() { flush(); }

  // The buffer to append to; call commit() after each complete record.
  std::string& buffer() noexcept { return buffer_; }
  void commit() {
    if (!hold_ && buffer_.size() >= flush_at) flush();
  }
  // While held, records are written only by flush(): simulate --store flushes after each
  // group commit, so the timeline never shows an input the store has not made durable.
  void hold(bool on) noexcept { hold_ = on; }
  // Drops what is buffered (records of inputs that were not made durable).
  void discard() noexcept { buffer_.clear(); }
  void write(std::string_view s) {
    buffer_ += s;
    commit();
  }
  // Writes what is buffered; false if the stream has failed at any point.
  bool flush() {
    if (!file_) {
      buffer_.clear();
      return true;
    }
    if (!buffer_.empty()) {
      if (std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) failed_ = true;
      buffer_.clear();
    }
    if (std::fflush(file_) != 0) failed_ = true;
    return !failed_ && !std::ferror(file_);
  }

 private:
  static constexpr std::size_t flush_at = 64 * 1024;
  std::FILE* file_;
  std::string buffer_;
  bool failed_ = false;
  bool hold_ = false;
};

// `s` as a JSON string literal. UTF-8 passes through unescaped (the CLI only handles valid
// UTF-8); quotes, backslashes and control characters are escaped.
inline void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  std::size_t plain = 0;  // start of the run of characters that need no escape
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default: {
        static constexpr char hex[] = "0123456789abcdef";
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 15];
      }
    }
  }
  out.append(s.data() + plain, s.size() - plain);
  out += '"';
}

inline void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace crmflow::cli
