// UTF-8 validation of raw rules text, done before yaml-cpp sees the bytes: yaml-cpp would
// otherwise guess an encoding or fail with a message an analyst cannot act on.
#pragma once

#include <string_view>
#include <vector>

namespace crmflow::loader {

struct utf8_error {
  int line = 0;    // 1-based
  int column = 0;  // 1-based, in bytes (as yaml-cpp counts columns)
  unsigned char byte = 0;
};

// The first invalid byte (the start of an invalid sequence) of each line that has one. Overlong forms, surrogates and code
// points above U+10FFFF are invalid. O(n), no allocation unless there are errors.
std::vector<utf8_error> find_invalid_utf8(std::string_view text);

// Whether `text` is entirely valid UTF-8.
bool is_valid_utf8(std::string_view text) noexcept;

}  // namespace crmflow::loader
