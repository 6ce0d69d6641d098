// YAML text -> a plain tree with 1-based positions. The rest of the loader never sees libyaml or
// yaml-cpp types, so the schema walk is ordinary C++ over arrays and the YAML libraries stay
// private. The tree is built from parser events: libyaml's (about 6x faster), and yaml-cpp's for
// any text libyaml refuses, which yaml-cpp 0.7 may still read (it is laxer), or reports.
//
// The nodes, their child arrays and their texts live in the arena of the ydoc that holds the
// tree (a few big blocks, freed at once): a ynode is a view. A tree of separately allocated
// nodes, vectors and strings, freed node by node, cost about two fifths of crmflow's own time
// (over libyaml's parser) in loading a large rule set (bench/README.md, loading).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crmflow/diagnostic.hpp"
#include "crmflow/export.hpp"

namespace crmflow::loader {

enum class ynode_kind : unsigned char { null, scalar, sequence, map };

// A read-only array in a ydoc's arena, used like a std::span (which wants a complete element
// type where ynode declares its children).
template <class T>
class ylist {
 public:
  ylist() = default;
  ylist(const T* data, std::size_t size) noexcept : data_(data), size_(size) {}
  const T* begin() const noexcept { return data_; }
  const T* end() const noexcept { return data_ + size_; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  const T& operator[](std::size_t i) const noexcept { return data_[i]; }
  const T& front() const noexcept { return data_[0]; }
  const T& back() const noexcept { return data_[size_ - 1]; }

 private:
  const T* data_ = nullptr;
  std::size_t size_ = 0;
};

// A scalar's text, in the arena: a std::string_view that joins messages with +, as the
// std::string it replaces did (std::string + std::string_view only comes with C++26).
class ytext : public std::string_view {
 public:
  ytext() = default;
  ytext(std::string_view s) noexcept : std::string_view(s) {}  // NOLINT: implicit on purpose

  friend std::string operator+(std::string a, ytext b) { return a.append(b); }
  friend std::string operator+(ytext a, const std::string& b) { return std::string(a).append(b); }
  friend std::string operator+(const char* a, ytext b) { return std::string(a).append(b); }
  friend std::string operator+(ytext a, const char* b) { return std::string(a).append(b); }
};

struct ynode;
using yentry = std::pair<ynode, ynode>;  // a map's key and value

// A node of a ydoc's tree. Copying one copies the view, not the subtree: it is valid while the
// ydoc lives (ydoc::copy_of keeps a subtree beyond that).
struct ynode {
  ynode_kind kind = ynode_kind::null;
  // Scalars: how the text was written: 0 plain, '"' or '\'' quoted, '|' or '>' block.
  char style = 0;
  int line = 0;    // 1-based
  int column = 0;  // 1-based, in bytes
  ytext text;             // scalars; followed by a '\0' in the arena
  ylist<ynode> items;     // sequence
  ylist<yentry> entries;  // map, in file order, duplicates kept

  bool is_null() const noexcept { return kind == ynode_kind::null; }
  bool is_scalar() const noexcept { return kind == ynode_kind::scalar; }
  bool is_sequence() const noexcept { return kind == ynode_kind::sequence; }
  bool is_map() const noexcept { return kind == ynode_kind::map; }
};

// Bump allocation in blocks, all freed with the arena. Blocks never move, so neither do the
// nodes and texts in them. Not copyable; moving keeps every pointer into it valid.
class yarena {
 public:
  yarena() = default;
  // The moved-from arena is empty (it would otherwise still point into a block it gave away).
  yarena(yarena&& o) noexcept
      : blocks_(std::move(o.blocks_)),
        next_(std::exchange(o.next_, nullptr)),
        end_(std::exchange(o.end_, nullptr)),
        block_size_(std::exchange(o.block_size_, 0)) {}
  yarena& operator=(yarena&& o) noexcept {
    if (this == &o) return *this;
    blocks_ = std::move(o.blocks_);
    o.blocks_.clear();
    next_ = std::exchange(o.next_, nullptr);
    end_ = std::exchange(o.end_, nullptr);
    block_size_ = std::exchange(o.block_size_, 0);
    return *this;
  }
  yarena(const yarena&) = delete;
  yarena& operator=(const yarena&) = delete;

  // Uninitialised room for `count` objects of `size` bytes aligned to `align` (a power of two,
  // at most alignof(std::max_align_t)). Throws std::bad_alloc.
  void* allocate(std::size_t size, std::size_t count, std::size_t align);
  // `text` and a '\0' after it, in the arena.
  std::string_view copy(std::string_view text);

 private:
  void* grow(std::size_t bytes);

  std::vector<std::unique_ptr<std::byte[]>> blocks_;
  std::byte* next_ = nullptr;
  std::byte* end_ = nullptr;
  std::size_t block_size_ = 0;  // of the last ordinary block: they double up to a limit
};

// One parsed document: its tree and the arena that holds it. Move-only.
class ydoc {
 public:
  // A null root at 1:1 (an empty document).
  ydoc() noexcept { root_.line = root_.column = 1; }

  const ynode& root() const noexcept { return root_; }

  // A deep copy of `n`'s subtree in a ydoc of its own, for a part of a file's tree kept after
  // the file is read (`triggers:`, `tables:`, ...). Costs one pass over the subtree.
  static ydoc copy_of(const ynode& n);

 private:
  friend class ydoc_access;  // the tree builder (yaml_reader.cpp)
  yarena arena_;
  ynode root_;
};

// "a map", "a list", "a single value", "nothing": for "expected X, found Y" messages.
const char* describe(ynode_kind k) noexcept;

// Parses one YAML document. On malformed YAML appends a diagnostic (with the parser's position)
// and returns nullopt. Anchors and aliases are expanded (an alias's copy shares the anchored
// node's children: the tree is read-only); a cycle or an expansion beyond a fixed size is
// reported rather than followed. An empty document is a null node at 1:1. The tree takes about
// 7 times the text's size (64 bytes a node), in blocks of up to 64 KiB, on top of libyaml's
// scanner (most of the time); text libyaml refuses is parsed again by yaml-cpp, about 6x
// slower. The result is read_yaml_yamlcpp's for every text. Throws only std::bad_alloc.
std::optional<ydoc> read_yaml(std::string_view text, const std::string& file,
                              std::vector<diagnostic>& out);

// The two paths of read_yaml, exported for tests/yaml_parsers_test.cpp, which checks that they
// agree.
//
// yaml-cpp 0.7's event parser: the reference. Its messages are the ones users see.
CRMFLOW_EXPORT std::optional<ydoc> read_yaml_yamlcpp(std::string_view text,
                                                     const std::string& file,
                                                     std::vector<diagnostic>& out);

enum class libyaml_outcome : unsigned char {
  tree,      // `out` holds the tree, the same as read_yaml_yamlcpp's
  refused,   // libyaml reports a syntax error (yaml-cpp may still read the text, or not)
  declined,  // libyaml read it, but the document is to be refused (a second document, an alias
             // to an unknown anchor, past the size limits, a cycle) or is a case where the
             // parsers' positions differ (a byte order mark): yaml-cpp's path says what it says
};

// libyaml 0.2's event parser. Produces no diagnostic; `out` is only written for `tree`.
CRMFLOW_EXPORT libyaml_outcome read_yaml_libyaml(std::string_view text, ydoc& out);

}  // namespace crmflow::loader
