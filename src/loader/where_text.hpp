// The name of a place in the rules ("'to' of the transition on 'assign'"), kept as pieces and
// joined only when a diagnostic is written. The loader names the place of every check it makes,
// and almost every check passes: joining those names up front was the largest part of its own
// allocations (about one per key of a rules file).
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace crmflow::loader {

// Views of text that must outlive the where_text: the tree's scalars, the flow being built,
// literals. A temporary std::string cannot be bound (that would dangle); write the pieces
// instead, where_text("'to' of ", where). Not copyable nor movable: pass it by reference.
class where_text {
 public:
  where_text(const char* s) noexcept : where_text(std::string_view(s)) {}  // NOLINT: implicit on purpose
  where_text(std::string_view s) noexcept : parts_{s}, count_(1) {}       // NOLINT
  where_text(const std::string& s) noexcept : where_text(std::string_view(s)) {}  // NOLINT
  where_text(std::string&&) = delete;
  // "prefix" + "middle" [+ "suffix"].
  where_text(std::string_view prefix, std::string_view middle, std::string_view suffix = {}) noexcept
      : parts_{prefix, middle, suffix}, count_(3) {}
  where_text(std::string_view prefix, const std::string& middle, std::string_view suffix = {}) noexcept
      : where_text(prefix, std::string_view(middle), suffix) {}
  // "prefix" + rest. Nested deeper than the loader does (max_parts pieces), the text is joined
  // here instead, so nothing is ever cut.
  where_text(std::string_view prefix, const where_text& rest) : parts_{prefix}, count_(1) {
    if (rest.count_ < max_parts) {
      for (std::size_t i = 0; i < rest.count_; ++i) parts_[count_++] = rest.parts_[i];
    } else {
      joined_ = std::string(prefix) + rest.str();
      parts_[0] = joined_;
    }
  }
  where_text(const where_text&) = delete;
  where_text& operator=(const where_text&) = delete;
  where_text(where_text&&) = delete;
  where_text& operator=(where_text&&) = delete;

  std::string str() const {
    std::size_t n = 0;
    for (std::size_t i = 0; i < count_; ++i) n += parts_[i].size();
    std::string out;
    out.reserve(n);
    for (std::size_t i = 0; i < count_; ++i) out += parts_[i];
    return out;
  }

  // Messages are built with +, as from a std::string.
  friend std::string operator+(const where_text& a, std::string_view b) { return a.str() += b; }
  friend std::string operator+(std::string_view a, const where_text& b) { return std::string(a) += b.str(); }
  friend std::string operator+(const where_text& a, const std::string& b) { return a.str() += b; }
  friend std::string operator+(const std::string& a, const where_text& b) { return std::string(a) += b.str(); }
  friend std::string operator+(const where_text& a, const char* b) { return a.str() += b; }
  friend std::string operator+(const char* a, const where_text& b) { return std::string(a) += b.str(); }

 private:
  static constexpr std::size_t max_parts = 6;
  std::array<std::string_view, max_parts> parts_{};
  std::size_t count_ = 0;
  std::string joined_;  // only past max_parts pieces
};

}  // namespace crmflow::loader
