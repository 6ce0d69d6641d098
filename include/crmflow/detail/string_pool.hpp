// Interned strings: each distinct text gets a dense id, so string values compare as integers.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

namespace crmflow::detail {

// Id 0 is always the empty string, so a zeroed value is the empty text. Texts live in a deque
// so the string_views used as map keys stay valid as the pool grows.
class string_pool {
 public:
  string_pool() { intern(std::string_view{}); }
  string_pool(const string_pool& other) : string_pool() {
    for (std::size_t i = 1; i < other.texts_.size(); ++i) intern(other.texts_[i]);
  }
  string_pool& operator=(const string_pool& other) {
    if (this != &other) {
      string_pool copy(other);
      texts_.swap(copy.texts_);
      ids_.swap(copy.ids_);
    }
    return *this;
  }

  // Returns the id of `text`, adding it if new. Amortised O(len); allocates for a new text.
  std::int64_t intern(std::string_view text) {
    if (auto it = ids_.find(text); it != ids_.end()) return it->second;
    texts_.emplace_back(text);
    auto id = static_cast<std::int64_t>(texts_.size() - 1);
    ids_.emplace(std::string_view(texts_.back()), id);
    return id;
  }

  // Id of `text` if interned, or -1. Does not allocate.
  std::int64_t find(std::string_view text) const {
    auto it = ids_.find(text);
    return it == ids_.end() ? -1 : it->second;
  }

  // Text of an id; an unknown id reads as empty.
  std::string_view text(std::int64_t id) const {
    return id >= 0 && static_cast<std::size_t>(id) < texts_.size()
               ? std::string_view(texts_[static_cast<std::size_t>(id)])
               : std::string_view{};
  }

  std::size_t size() const noexcept { return texts_.size(); }

 private:
  std::deque<std::string> texts_;
  std::unordered_map<std::string_view, std::int64_t> ids_;
};

}  // namespace crmflow::detail
