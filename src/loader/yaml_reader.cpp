#include "loader/yaml_reader.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>
#include <yaml.h>

#include <cstdint>
#include <cstring>
#include <exception>
#include <istream>
#include <limits>
#include <memory>
#include <new>
#include <streambuf>
#include <type_traits>
#include <unordered_map>

// Two parsers, one tree. libyaml's event parser reads the text first: it is about 6x faster than
// yaml-cpp's, which was most of the time of loading a large rule set (bench/README.md,
// loading). yaml-cpp 0.7 is the reference: what users saw before libyaml came in. Where the two
// read a text differently, the libyaml path gives up and yaml-cpp's path reads the text as it
// always did: when libyaml refuses the text (yaml-cpp is laxer: `[a, , b]`), when the document
// is to be refused anyway (a second document, an unknown alias, the size limits, a cycle: the
// messages and positions are yaml-cpp's), and in the corners where the two parsers disagree on
// valid or invalid text (tags, `|+`, a lone '\r', a '?' in a flow collection, a `%` directive,
// ...: each is named where it is checked). tests/yaml_parsers_test.cpp runs both paths over
// every YAML file of the repository, generated documents and thousands of mutations of them,
// and requires the same tree, node for node, wherever libyaml gives one.
//
// The tree is built from parser events, not from yaml-cpp's node tree (YAML::Load), which cost
// one reference-counted allocation per node plus a copy into ynode. The result is the tree the
// node-tree conversion produced, node for node: the same kinds, texts, styles and positions,
// aliases expanded (to a copy of the anchored node that shares its children), the same size and
// depth limits reported at the same position, the same messages for malformed YAML and extra
// documents.
//
// What yaml-cpp's node builder did and this reproduces:
// - a node's position is the mark of its first token, properties (`&a`, `!tag`) included;
// - an alias is the anchored node itself (same mark, same content), so it is expanded here to
//   the anchored node, with the positions written at the anchor (the tree is read-only, so the
//   copy shares the anchored node's children instead of copying them);
// - map entries stay in file order, duplicates kept; `<<` is an ordinary key (yaml-cpp 0.7 has
//   no merge keys, and the loader reports it as an unknown key);
// - the size limits were checked while walking the expanded graph in document order; nodes
//   arrive here in that same order, so counting them as they arrive fails at the same node.

namespace crmflow::loader {

// ---------------------------------------------------------------------------------------------
// The arena

namespace {
// Blocks double from 4 KiB (a small rules file needs a few) to 64 KiB, under glibc's mmap
// threshold, so a freed block is reused by the next file's tree rather than unmapped. An array
// of more than a quarter block gets a block of its own, and the current one stays in use.
constexpr std::size_t first_block = 4 * 1024;
constexpr std::size_t max_block = 64 * 1024;
}  // namespace

static_assert(std::is_trivially_destructible_v<ynode> && std::is_trivially_destructible_v<yentry>,
              "an arena's nodes are freed with it, never destroyed one by one");

void* yarena::allocate(std::size_t size, std::size_t count, std::size_t align) {
  if (size != 0 && count > std::numeric_limits<std::size_t>::max() / size - align)
    throw std::bad_alloc();
  const std::size_t bytes = size * count;
  if (next_ != nullptr) {
    const auto at = reinterpret_cast<std::uintptr_t>(next_);
    const std::size_t pad = (align - at % align) % align;
    if (pad + bytes <= static_cast<std::size_t>(end_ - next_)) {
      std::byte* p = next_ + pad;
      next_ = p + bytes;
      return p;
    }
  }
  return grow(bytes);
}

// A new block holding `bytes` at its start (blocks are aligned for any type).
void* yarena::grow(std::size_t bytes) {
  if (bytes > max_block / 4) {
    blocks_.push_back(std::make_unique_for_overwrite<std::byte[]>(bytes));
    return blocks_.back().get();
  }
  const std::size_t next_size =
      block_size_ == 0 ? first_block : std::min(2 * block_size_, max_block);
  const std::size_t size = std::max(next_size, bytes);
  blocks_.push_back(std::make_unique_for_overwrite<std::byte[]>(size));
  block_size_ = next_size;
  next_ = blocks_.back().get() + bytes;
  end_ = blocks_.back().get() + size;
  return blocks_.back().get();
}

std::string_view yarena::copy(std::string_view text) {
  auto* p = static_cast<char*>(allocate(1, text.size() + 1, 1));
  if (!text.empty()) std::memcpy(p, text.data(), text.size());
  p[text.size()] = '\0';
  return {p, text.size()};
}

namespace {
ynode deep_copy(yarena& arena, const ynode& n) {
  ynode out = n;
  if (n.is_scalar()) out.text = arena.copy(n.text);
  if (!n.items.empty()) {
    auto* items =
        static_cast<ynode*>(arena.allocate(sizeof(ynode), n.items.size(), alignof(ynode)));
    for (std::size_t i = 0; i < n.items.size(); ++i)
      new (items + i) ynode(deep_copy(arena, n.items[i]));
    out.items = {items, n.items.size()};
  }
  if (!n.entries.empty()) {
    auto* entries =
        static_cast<yentry*>(arena.allocate(sizeof(yentry), n.entries.size(), alignof(yentry)));
    for (std::size_t i = 0; i < n.entries.size(); ++i)
      new (entries + i)
          yentry(deep_copy(arena, n.entries[i].first), deep_copy(arena, n.entries[i].second));
    out.entries = {entries, n.entries.size()};
  }
  return out;
}
}  // namespace

ydoc ydoc::copy_of(const ynode& n) {
  ydoc d;
  d.root_ = deep_copy(d.arena_, n);
  return d;
}

// The tree builder's way in.
class ydoc_access {
 public:
  static yarena& arena(ydoc& d) noexcept { return d.arena_; }
  static ynode& root(ydoc& d) noexcept { return d.root_; }
};

// ---------------------------------------------------------------------------------------------
// The tree

namespace {

// Aliases can make a document refer to itself, or expand exponentially ("billion laughs").
constexpr int max_depth = 256;
constexpr std::size_t max_nodes = 500'000;

// A read-only istream buffer over the caller's text: yaml-cpp reads from an istream, and a
// std::istringstream would copy the whole file first.
class view_buf final : public std::streambuf {
 public:
  explicit view_buf(std::string_view text) {
    // The get area is never written through: putback of the byte just read only moves gptr.
    char* p = const_cast<char*>(text.data());
    setg(p, p, p + text.size());
  }
};

struct position {
  int line = 1;
  int column = 1;
};

// Builds the first document's tree from parser events, whichever parser reports them. A node's
// position is its first token's (1-based line, column in bytes); line 0 when the parser has none,
// and then the slot's fallback is used. Anchors are numbered 1, 2, ... as they are defined (0:
// none); an alias names the anchor's number.
//
// The children of the open collections wait in one scratch vector (`pending_`, reused for the
// whole document); when a collection closes, its children are copied into one exactly sized
// array in the document's arena and taken off the vector, and the collection becomes the next
// child of the one around it. A complete node never changes after that, so an alias takes a copy
// of the anchored node itself, sharing its children.
class tree_builder final {
 public:
  // Whether the document exceeded the limits, and where the node-tree walk would have said so.
  bool too_big() const noexcept { return too_big_; }
  position bad_position() const noexcept { return bad_; }
  // The document, after the last event. (Collections still open, which the parsers' balanced
  // events never leave, are closed as they stand.)
  ydoc take() {
    while (!stopped_ && !stack_.empty()) on_close();
    return std::move(doc_);
  }
  // Past a limit or a cycle: the rest of the document changes nothing.
  bool stopped() const noexcept { return stopped_; }

  void on_null(position at, std::size_t anchor) {
    if (stopped_) return;
    const slot s = open_slot();
    if (!visit(s)) return;
    ynode& n = place();
    set_position(n, at, s.fallback);
    record_anchor(anchor, n);
    finish_value(n);
  }

  // `style` as ynode::style: 0 plain, or the first character of the node.
  void on_scalar(position at, std::size_t anchor, std::string_view value, char style) {
    if (stopped_) return;
    const slot s = open_slot();
    if (!visit(s)) return;
    const std::string_view text = arena().copy(value);
    ynode& n = place();
    set_position(n, at, s.fallback);
    n.kind = ynode_kind::scalar;
    n.text = text;
    n.style = style;
    record_anchor(anchor, n);
    finish_value(n);
  }

  void on_open(position at, std::size_t anchor, ynode_kind kind) {
    if (stopped_) return;
    const slot s = open_slot();
    if (!visit(s)) return;
    frame f;
    set_position(f.node, at, s.fallback);
    f.node.kind = kind;
    f.anchor = anchor;
    f.start = pending_.size();
    if (anchor != 0) {
      anchored& a = anchor_slot(anchor);
      a.node = f.node;
      a.open = stack_.size() + 1;
    }
    stack_.push_back(f);
  }

  void on_close() {
    if (stopped_ || stack_.empty()) return;  // once stopped, the tree is not used
    frame f = stack_.back();
    stack_.pop_back();
    close(f.node, f.start);
    if (f.anchor != 0) {
      anchored& a = anchors_[f.anchor];
      a.node = f.node;
      a.open = 0;
    }
    ynode& n = place();
    n = f.node;
    finish_value(n);
  }

  void on_alias(std::size_t anchor) {
    if (stopped_) return;
    const slot s = open_slot();
    // Both parsers' adapters only report anchors they registered; stay safe anyway.
    if (anchor == 0 || anchor >= anchors_.size()) {
      if (!visit(s)) return;
      ynode& n = place();
      n.line = s.fallback.line;
      n.column = s.fallback.column;
      finish_value(n);
      return;
    }
    const anchored& a = anchors_[anchor];
    if (a.open != 0) {
      cycle(s, a.open - 1);
      return;
    }
    // The expanded tree has a copy of the anchored subtree here: counted node by node, as
    // copying it did, and shared. The copy has the anchored node's own position as parsed (a
    // null map value has since moved onto its key); finish_value moves the copy too if the
    // alias is itself a null map value.
    if (!count(a.node, s.depth, s.fallback)) return;
    ynode& n = place();
    n = a.node;
    finish_value(n);
  }

 private:
  // Where the next node goes: the root, an item of the open sequence, or the key or value of
  // the open map's next or last entry; its depth, and the position reported if it is too many.
  struct slot {
    int depth = 0;
    position fallback;
  };

  struct frame {
    ynode node;              // kind and position; the children arrive in pending_
    std::size_t anchor = 0;  // 0 if the node has none
    std::size_t start = 0;   // its first child in pending_
    bool want_value = false;  // maps: the last child is a key that waits for its value
  };

  struct anchored {
    ynode node;            // complete: the node as parsed, its children in the arena
    std::size_t open = 0;  // while it is still being built: its frame's index + 1
  };

  yarena& arena() noexcept { return ydoc_access::arena(doc_); }

  anchored& anchor_slot(std::size_t anchor) {
    if (anchor >= anchors_.size()) anchors_.resize(anchor + 1);
    return anchors_[anchor];
  }

  slot open_slot() const noexcept {
    if (stack_.empty()) return {0, {1, 1}};
    const frame& f = stack_.back();
    const int depth = static_cast<int>(stack_.size());
    if (f.node.kind == ynode_kind::map && f.want_value) {
      const ynode& key = pending_.back();
      return {depth, {key.line, key.column}};
    }
    return {depth, {f.node.line, f.node.column}};
  }

  // Counts one node of the expanded tree; false (and stops) past the limits.
  bool visit(const slot& s) {
    if (++nodes_ > max_nodes || s.depth > max_depth) {
      fail(s.fallback);
      return false;
    }
    return true;
  }

  void fail(position p) {
    too_big_ = true;
    stopped_ = true;
    bad_ = p;
  }

  // The node for the next slot, default-constructed: the root, or the next child of the
  // innermost open collection. The reference is good until the next node is placed.
  ynode& place() {
    if (stack_.empty()) return ydoc_access::root(doc_);
    return pending_.emplace_back();
  }

  // Moves the children of a closing collection (pending_ from `start` on) into the arena.
  void close(ynode& node, std::size_t start) {
    std::size_t count = pending_.size() - start;
    if (node.kind == ynode_kind::sequence) {
      if (count != 0) {
        auto* items = static_cast<ynode*>(arena().allocate(sizeof(ynode), count, alignof(ynode)));
        std::uninitialized_copy_n(pending_.begin() + static_cast<std::ptrdiff_t>(start), count,
                                  items);
        node.items = {items, count};
      }
    } else {
      // A key without its value (the parsers always send one) gets an empty one, as an entry
      // of the node tree had.
      if (count % 2 != 0) {
        pending_.emplace_back();
        ++count;
      }
      if (count != 0) {
        const std::size_t n = count / 2;
        auto* entries =
            static_cast<yentry*>(arena().allocate(sizeof(yentry), n, alignof(yentry)));
        for (std::size_t i = 0; i < n; ++i)
          new (entries + i) yentry(pending_[start + 2 * i], pending_[start + 2 * i + 1]);
        node.entries = {entries, n};
      }
    }
    pending_.resize(start);
  }

  static void set_position(ynode& n, position at, position fallback) noexcept {
    const position p = at.line > 0 ? at : fallback;
    n.line = p.line;
    n.column = p.column;
  }

  // After a complete node (the last one placed): a map's key now waits for its value, a value
  // completes the entry (a missing value, "key:", is marked at the next token: it takes the
  // key's position).
  void finish_value(ynode& n) {
    if (stack_.empty()) return;
    frame& f = stack_.back();
    if (f.node.kind != ynode_kind::map) return;
    if (!f.want_value) {
      f.want_value = true;
      return;
    }
    f.want_value = false;
    if (n.is_null()) {
      const ynode& key = pending_[pending_.size() - 2];
      n.line = key.line;
      n.column = key.column;
    }
  }

  // Notes a complete anchored node (a scalar or a null), as parsed.
  void record_anchor(std::size_t anchor, const ynode& n) {
    if (anchor == 0) return;
    anchored& a = anchor_slot(anchor);
    a.node = n;
    a.open = 0;
  }

  // Counts an anchored subtree as copying it into the expanded tree at this depth did, node
  // by node in document order (the children of a node reported at its position, a map's value
  // at its key's); false (and the position) when a limit is passed.
  bool count(const ynode& from, int depth, position fallback) {
    if (++nodes_ > max_nodes || depth > max_depth) {
      fail(fallback);
      return false;
    }
    const position here{from.line, from.column};
    for (const ynode& item : from.items)
      if (!count(item, depth + 1, here)) return false;
    for (const auto& [k, v] : from.entries) {
      if (!count(k, depth + 1, here)) return false;
      if (!count(v, depth + 1, {k.line, k.column})) return false;
    }
    return true;
  }

  // An alias to a node still being built (the open collection stack_[target]): the node
  // contains itself, and the node-tree walk went round the cycle until a limit. The walk never
  // got past this alias, so everything it visited is built by now: put a stand-in for the alias
  // where it goes, close the open collections as they stand (each the last child of the one
  // around it, as the node tree had them), walk the tree from the root as that walk did (the
  // stand-in is the target again), and stop building.
  void cycle(const slot& s, std::size_t target) {
    stopped_ = true;
    const std::size_t stand_in_at = pending_.size();
    pending_.emplace_back();
    const ynode* stand_in = nullptr;
    ynode target_node;
    ynode inner;
    for (std::size_t i = stack_.size(); i-- > 0;) {
      const frame& f = stack_[i];
      if (i + 1 < stack_.size()) pending_.push_back(inner);
      ynode node = f.node;
      close(node, f.start);
      if (i + 1 == stack_.size()) {
        const std::size_t k = stand_in_at - f.start;
        stand_in = node.is_sequence()  ? &node.items[k]
                   : k % 2 == 0        ? &node.entries[k / 2].first
                                       : &node.entries[k / 2].second;
      }
      if (i == target) target_node = node;
      inner = node;
    }
    std::size_t visited = 0;
    // The walk cannot come back from the stand-in (the cycle is endless); if it ever did, the
    // document is still refused.
    if (walk_cycle(inner, 0, {1, 1}, stand_in, target_node, visited)) fail(s.fallback);
  }

  bool walk_cycle(const ynode& node, int depth, position fallback, const ynode* stand_in,
                  const ynode& target, std::size_t& visited) {
    if (++visited > max_nodes || depth > max_depth) {
      fail(fallback);
      return false;
    }
    const ynode& n = &node == stand_in ? target : node;
    const position here{n.line, n.column};
    for (const ynode& item : n.items)
      if (!walk_cycle(item, depth + 1, here, stand_in, target, visited)) return false;
    for (const auto& [k, v] : n.entries) {
      if (!walk_cycle(k, depth + 1, here, stand_in, target, visited)) return false;
      if (!walk_cycle(v, depth + 1, {k.line, k.column}, stand_in, target, visited)) return false;
    }
    return true;
  }

  ydoc doc_;                       // the root (a null at 1:1 until placed) and the arena
  std::vector<frame> stack_;       // the open collections
  std::vector<ynode> pending_;     // their children so far, outermost first
  std::vector<anchored> anchors_;  // by anchor number
  std::size_t nodes_ = 0;          // nodes of the expanded tree so far, as the limit counts them
  bool stopped_ = false;           // past a limit or a cycle: later events are ignored
  bool too_big_ = false;
  position bad_;
};

// yaml-cpp's events into the builder. yaml-cpp numbers anchors 1, 2, ... per document itself.
class yamlcpp_events final : public YAML::EventHandler {
 public:
  yamlcpp_events(std::string_view source, tree_builder& builder)
      : source_(source), builder_(builder) {}

  YAML::Mark start;  // the document's first token

  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    builder_.on_null(at(mark), anchor);
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    // How it was written: the character at the node's first token (an anchor or a tag there
    // makes it plain, as it always did).
    char style = 0;
    if (mark.pos >= 0 && static_cast<std::size_t>(mark.pos) < source_.size()) {
      const char c = source_[static_cast<std::size_t>(mark.pos)];
      if (c == '"' || c == '\'' || c == '|' || c == '>') style = c;
    }
    builder_.on_scalar(at(mark), anchor, value, style);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    builder_.on_open(at(mark), anchor, ynode_kind::sequence);
  }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    builder_.on_open(at(mark), anchor, ynode_kind::map);
  }
  void OnSequenceEnd() override { builder_.on_close(); }
  void OnMapEnd() override { builder_.on_close(); }
  void OnAlias(const YAML::Mark&, YAML::anchor_t anchor) override { builder_.on_alias(anchor); }

 private:
  // 1-based; line 0 when yaml-cpp has no mark.
  static position at(const YAML::Mark& m) noexcept {
    if (m.line < 0 || m.column < 0) return {0, 0};
    return {m.line + 1, m.column + 1};
  }

  std::string_view source_;
  tree_builder& builder_;
};

// Later documents are only parsed (a syntax error there is still reported first) and the
// position of the second one's root is kept.
class document_probe final : public YAML::EventHandler {
 public:
  bool seen = false;
  YAML::Mark start;  // the document's first token
  YAML::Mark first;  // its root node

  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { note(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { note(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    note(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    note(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    note(mark);
  }
  void OnMapEnd() override {}

 private:
  void note(const YAML::Mark& mark) {
    if (seen) return;
    seen = true;
    first = mark;
  }
};

}  // namespace

const char* describe(ynode_kind k) noexcept {
  switch (k) {
    case ynode_kind::null:
      return "nothing";
    case ynode_kind::scalar:
      return "a single value";
    case ynode_kind::sequence:
      return "a list";
    case ynode_kind::map:
      return "a map";
  }
  return "?";
}

std::optional<ydoc> read_yaml_yamlcpp(std::string_view text, const std::string& file,
                                      std::vector<diagnostic>& out) {
  tree_builder builder;
  yamlcpp_events events{text, builder};
  bool any = false;   // a first document
  bool more = false;  // a second one
  YAML::Mark second_at;
  bool stuck = false;  // yaml-cpp stopped making progress
  YAML::Mark stuck_at;
  try {
    view_buf buf{text};
    std::istream in{&buf};
    YAML::Parser parser{in};
    any = parser.HandleNextDocument(events);
    // Every document is parsed before anything is reported, as YAML::LoadAll did: a syntax
    // error anywhere comes before "a second document" and before the size limits.
    //
    // yaml-cpp 0.7 reads a token it cannot place at the top level (a stray ',') as an empty
    // document without consuming it, and then again, endlessly: YAML::LoadAll ran out of memory.
    // A document that starts where the one before started has consumed nothing.
    if (any) {
      int previous = events.start.pos;
      document_probe doc;
      while (parser.HandleNextDocument(doc)) {
        if (!more) second_at = doc.first;
        more = true;
        if (doc.start.pos == previous) {
          stuck = true;
          stuck_at = doc.start;
          break;
        }
        previous = doc.start.pos;
        doc.seen = false;
      }
    }
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const YAML::Exception& e) {
    const int line = e.mark.line < 0 ? 1 : e.mark.line + 1;
    const int column = e.mark.column < 0 ? 1 : e.mark.column + 1;
    out.push_back({severity::error, file, line, column, "malformed YAML: " + e.msg});
    return std::nullopt;
  } catch (const std::exception& e) {
    out.push_back({severity::error, file, 1, 1, std::string("malformed YAML: ") + e.what()});
    return std::nullopt;
  }
  if (stuck) {
    const auto pos = static_cast<std::size_t>(stuck_at.pos);
    const char c = pos < text.size() ? text[pos] : ' ';
    out.push_back({severity::error, file, stuck_at.line + 1, stuck_at.column + 1,
                   c > ' ' && c < 127 ? std::string("malformed YAML: unexpected '") + c + "'"
                                      : std::string("malformed YAML: unexpected text")});
    return std::nullopt;
  }
  if (!any) return ydoc{};  // a null root at 1:1
  if (more) {
    const YAML::Mark& m = second_at;
    out.push_back({severity::error, file, m.line < 0 ? 1 : m.line + 1,
                   m.column < 0 ? 1 : m.column + 1,
                   "a rules file holds one YAML document; found a second one (remove '---')"});
    return std::nullopt;
  }
  if (builder.too_big()) {
    const position p = builder.bad_position();
    out.push_back({severity::error, file, p.line, p.column,
                   "the document is nested too deeply or too large (check anchors and "
                   "aliases: '*name' must not refer to itself)"});
    return std::nullopt;
  }
  return builder.take();
}

// ---------------------------------------------------------------------------------------------
// libyaml

namespace {

// libyaml's marks count characters; ynode positions count bytes, lines as yaml-cpp counts them
// (only '\n' ends a line). Marks arrive almost in order, so a cursor walks the text forward and
// steps back the few characters an empty node's mark may lie behind.
class locator {
 public:
  explicit locator(std::string_view text) noexcept : text_(text) {}

  // Byte offset of the character `index`. libyaml has checked the UTF-8 by the time it reports
  // a mark there. Eight ASCII bytes (eight characters) are stepped over at once: rules text is
  // mostly ASCII, and this walk was the largest part of the reader's own instructions.
  std::size_t byte_of(std::size_t index) noexcept {
    while (char_ < index && byte_ < text_.size()) {
      if (index - char_ >= 8 && text_.size() - byte_ >= 8) {
        std::uint64_t eight;
        std::memcpy(&eight, text_.data() + byte_, 8);
        if ((eight & 0x8080808080808080ull) == 0) {
          byte_ += 8;
          char_ += 8;
          continue;
        }
      }
      const auto c = static_cast<unsigned char>(text_[byte_]);
      byte_ += c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      ++char_;
    }
    while (char_ > index && byte_ > 0) {
      do --byte_;
      while (byte_ > 0 && (static_cast<unsigned char>(text_[byte_]) & 0xC0) == 0x80);
      --char_;
    }
    return byte_ < text_.size() ? byte_ : text_.size();
  }

  // 1-based line and column (in bytes) of a byte offset.
  position at(std::size_t byte) noexcept {
    if (byte >= scanned_) {
      const char* p = text_.data() + scanned_;
      const char* const end = text_.data() + byte;
      while (p < end) {
        const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
        if (nl == nullptr) break;
        p = static_cast<const char*>(nl) + 1;
        ++line_;
        line_start_ = static_cast<std::size_t>(p - text_.data());
      }
    } else {
      while (byte < line_start_) {  // back over a line break: find the line before
        --line_;
        std::size_t i = line_start_ - 1;  // the '\n' ending the line before
        while (i > 0 && text_[i - 1] != '\n') --i;
        line_start_ = i;
      }
    }
    scanned_ = byte;
    return {line_, static_cast<int>(byte - line_start_) + 1};
  }

  // Where yaml-cpp marks an empty node: at the next token (or the end of the text), past spaces,
  // line breaks and comments. libyaml marks it where it noticed it, often just after the `-`,
  // `:` or `?` before it.
  std::size_t next_token(std::size_t byte) const noexcept {
    while (byte < text_.size()) {
      const char c = text_[byte];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++byte;
      } else if (c == '#') {
        while (byte < text_.size() && text_[byte] != '\n') ++byte;
      } else {
        break;
      }
    }
    return byte;
  }

 private:
  std::string_view text_;
  std::size_t char_ = 0, byte_ = 0;  // the cursor: a character index and its byte offset
  std::size_t scanned_ = 0;          // line_ and line_start_ hold for this byte offset
  int line_ = 1;
  std::size_t line_start_ = 0;
};

struct libyaml_parser {
  yaml_parser_t p;
  libyaml_parser() {
    if (yaml_parser_initialize(&p) == 0) throw std::bad_alloc();
  }
  ~libyaml_parser() { yaml_parser_delete(&p); }
  libyaml_parser(const libyaml_parser&) = delete;
  libyaml_parser& operator=(const libyaml_parser&) = delete;
};

struct libyaml_event {
  yaml_event_t e{};
  libyaml_event() = default;
  ~libyaml_event() { yaml_event_delete(&e); }  // safe on a zeroed event
  libyaml_event(const libyaml_event&) = delete;
  libyaml_event& operator=(const libyaml_event&) = delete;
};

// yaml-cpp's null: a plain untagged scalar that is empty, `~`, `null`, `Null` or `NULL`.
bool null_text(std::string_view s) noexcept {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

// Characters the two parsers read differently, anywhere in the text: a lone '\r' (a line break
// for libyaml, not for yaml-cpp), a byte order mark (yaml-cpp's marks do not count one at the
// start, and one later starts a new document for yaml-cpp, libyaml skips it), and NEL, LS and PS
// (line breaks in libyaml's YAML 1.1). Not in rules files people write; such text goes to
// yaml-cpp. Cost: a few memchr passes over the text.
bool has_divergent_characters(std::string_view text) noexcept {
  const auto find = [&](char lead, auto&& bad) {
    const char* p = text.data();
    const char* const end = p + text.size();
    while ((p = static_cast<const char*>(
                std::memchr(p, lead, static_cast<std::size_t>(end - p)))) != nullptr) {
      if (bad(p, end)) return true;
      ++p;
    }
    return false;
  };
  const auto is = [](const char* p, const char* end, const char* s, std::size_t n) {
    return static_cast<std::size_t>(end - p) >= n && std::memcmp(p, s, n) == 0;
  };
  return find('\r', [](const char* p, const char* end) { return p + 1 == end || p[1] != '\n'; }) ||
         find('\xEF',
              [&](const char* p, const char* end) { return is(p, end, "\xEF\xBB\xBF", 3); }) ||
         find('\xC2', [&](const char* p, const char* end) { return is(p, end, "\xC2\x85", 2); }) ||
         find('\xE2', [&](const char* p, const char* end) {
           return is(p, end, "\xE2\x80\xA8", 3) || is(p, end, "\xE2\x80\xA9", 3);
         });
}

// A directive (`%YAML`, `%TAG`, a reserved one): a line that starts with '%'. The two parsers
// check directives differently (yaml-cpp refuses `%YAML 1.2#`, which libyaml reads as version
// 1.2, and `%YAML 1.2 # c`); rules files have no use for them, so such text goes to yaml-cpp.
// A '%' at the start of a line inside a quoted scalar is declined too (harmless: yaml-cpp's
// path gives the same tree). Cost: one memchr pass.
bool has_directive(std::string_view text) noexcept {
  const char* p = text.data();
  const char* const end = p + text.size();
  while ((p = static_cast<const char*>(
              std::memchr(p, '%', static_cast<std::size_t>(end - p)))) != nullptr) {
    if (p == text.data() || p[-1] == '\n') return true;
    ++p;
  }
  return false;
}

}  // namespace

libyaml_outcome read_yaml_libyaml(std::string_view text, ydoc& out) {
  using outcome = libyaml_outcome;
  if (text.empty()) text = "";  // libyaml wants a pointer, even to nothing
  if (has_divergent_characters(text)) return outcome::declined;
  if (has_directive(text)) return outcome::declined;
  // A last line of only spaces, without a line break: yaml-cpp adds a space to a block scalar
  // that ends there.
  {
    const std::size_t last_line = text.rfind('\n') + 1;  // 0 when there is no '\n'
    if (last_line < text.size() &&
        text.find_first_not_of(" \t", last_line) == std::string_view::npos)
      return outcome::declined;
  }
  libyaml_parser parser;
  yaml_parser_set_encoding(&parser.p, YAML_UTF8_ENCODING);
  yaml_parser_set_input_string(&parser.p, reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  locator loc{text};
  tree_builder builder;
  std::unordered_map<std::string, std::size_t> anchors;  // name -> number of its last definition
  std::size_t anchor_count = 0;
  const auto anchor_number = [&](const yaml_char_t* name) -> std::size_t {
    if (name == nullptr) return 0;
    anchors[reinterpret_cast<const char*>(name)] = ++anchor_count;
    return anchor_count;
  };

  // The open collections, for the cases below that depend on where a node is.
  struct collection {
    bool flow;
    bool map;
    int dash = 0;              // block sequences: the column of their `-` (1-based, bytes)
    std::size_t children = 0;  // nodes so far (a map's keys and values)
  };
  std::vector<collection> open;
  const auto in_flow = [&] { return !open.empty() && open.back().flow; };
  const auto flow_key = [&] {
    return in_flow() && open.back().map && open.back().children % 2 == 0;
  };

  // Between two events there are only blanks, comments and indicators (`- : , ? [ ] { }`).
  // libyaml reads a `?` in a flow collection as an explicit key even before a word or a comment
  // (`{?a: b}`, `[?# c`; a map's event may start at it); yaml-cpp refuses that. Each byte is
  // looked at about once.
  std::size_t last_end = 0;  // the byte where the previous event ended
  const auto question_since_last_event = [&](std::size_t byte) {
    for (std::size_t i = last_end; i <= byte && i < text.size(); ++i) {
      if (text[i] == '#')
        while (i + 1 < byte && text[i + 1] != '\n') ++i;
      else if (text[i] == '?')
        return true;
    }
    return false;
  };

  // The checks every node (not an empty one) passes before it goes to the builder. Each
  // declines a text that the two parsers read differently, or where libyaml is the laxer one;
  // yaml-cpp's path then gives what it always gave.
  const auto differs = [&](const yaml_event_t& e, std::size_t byte, const yaml_char_t* anchor,
                           const yaml_char_t* tag) {
    // Tags: yaml-cpp reads `!a!b` as two, and an empty tagged node as null or "" depending on
    // what follows. crmflow's rules have no use for them.
    if (tag != nullptr) return true;
    if (anchor != nullptr) {
      // libyaml ends a name before '?', ':', '%', '@' or a backquote; yaml-cpp reads on (`&a: x`
      // is the anchor `a:` there).
      const std::size_t end = byte + 1 + std::strlen(reinterpret_cast<const char*>(anchor));
      if (byte >= text.size() || (text[byte] != '&' && text[byte] != '*')) return true;
      if (end < text.size() && std::strchr("?:%@`", text[end]) != nullptr) return true;
    }
    if (in_flow()) {
      if (question_since_last_event(byte)) return true;
      // yaml-cpp refuses a key of a flow mapping that goes on over lines (`{a\n b}`).
      if (flow_key() && e.end_mark.line != e.start_mark.line) return true;
    }
    return false;
  };
  const auto child = [&] {
    if (!open.empty()) ++open.back().children;
  };

  int documents = 0;
  for (;;) {
    libyaml_event ev;
    if (yaml_parser_parse(&parser.p, &ev.e) == 0) {
      if (parser.p.error == YAML_MEMORY_ERROR) throw std::bad_alloc();
      return outcome::refused;
    }
    const yaml_event_t& e = ev.e;
    switch (e.type) {
      case YAML_STREAM_START_EVENT:
      case YAML_DOCUMENT_END_EVENT:
      case YAML_NO_EVENT:
        break;
      case YAML_STREAM_END_EVENT:
        out = builder.take();
        return outcome::tree;
      case YAML_DOCUMENT_START_EVENT:
        // A second document is refused; yaml-cpp says so, with its position.
        if (++documents > 1) return outcome::declined;
        break;
      case YAML_SCALAR_EVENT: {
        const auto& sc = e.data.scalar;
        const std::string_view value{reinterpret_cast<const char*>(sc.value), sc.length};
        const std::size_t byte = loc.byte_of(e.start_mark.index);
        if (sc.style == YAML_PLAIN_SCALAR_STYLE && sc.length == 0 && sc.tag == nullptr) {
          // An empty node.
          std::size_t before = byte;  // the last character before it, past blanks
          while (before > 0 && std::strchr(" \t\n", text[before - 1]) != nullptr) --before;
          // After `?` (an empty explicit key) yaml-cpp reads a map. In a flow mapping, yaml-cpp
          // refuses an entry without a value that has a line break before its `,` or `}`,
          // and an anchored empty node.
          if (before > 0 && text[before - 1] == '?') return outcome::declined;
          if (in_flow() && (sc.anchor != nullptr || question_since_last_event(byte)))
            return outcome::declined;
          if (in_flow() && open.back().map &&
              text.substr(before, byte - before).find('\n') != std::string_view::npos)
            return outcome::declined;
          if (sc.anchor != nullptr) {
            // yaml-cpp marks an anchored empty node at its anchor, as libyaml does.
            if (differs(e, byte, sc.anchor, nullptr)) return outcome::declined;
            child();
            builder.on_null(loc.at(byte), anchor_number(sc.anchor));
            break;
          }
          // yaml-cpp marks it at the token after it. At the end of the text that is the end of
          // the innermost block sequence: at the end of the text if yaml-cpp closes it while
          // looking for a next token (its `-` is at or right of the last column), else at the
          // start of the last line.
          const std::size_t next = loc.next_token(byte);
          position at = loc.at(next);
          if (next == text.size()) {
            const bool closed_early = !open.empty() && !open.back().flow && !open.back().map &&
                                      open.back().dash >= at.column;
            if (!closed_early) at.column = 1;
          }
          child();
          builder.on_null(at, 0);
          break;
        }
        if (differs(e, byte, sc.anchor, sc.tag)) return outcome::declined;
        const position at = loc.at(byte);
        const char c = byte < text.size() ? text[byte] : ' ';
        char style = 0;
        switch (sc.style) {
          case YAML_PLAIN_SCALAR_STYLE:
            // yaml-cpp ends a plain scalar in a flow collection at a '?' and then refuses it,
            // and refuses an anchored one that goes on over lines (`- &a x\n  y`).
            if (in_flow() && value.find('?') != std::string_view::npos) return outcome::declined;
            if (sc.anchor != nullptr && e.end_mark.line != e.start_mark.line)
              return outcome::declined;
            break;
          case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
            // yaml-cpp writes the escapes \N and \_ as single bytes (not UTF-8).
            if (value.find("\xC2\x85") != std::string_view::npos ||
                value.find("\xC2\xA0") != std::string_view::npos)
              return outcome::declined;
            [[fallthrough]];
          case YAML_SINGLE_QUOTED_SCALAR_STYLE:
            // Over lines, with a line of nothing but blanks inside: yaml-cpp folds those
            // differently (`"'\n\n   \n  "`).
            if (e.end_mark.line != e.start_mark.line) {
              const std::size_t end = loc.byte_of(e.end_mark.index);
              for (std::size_t i = text.find('\n', byte); i < end; i = text.find('\n', i + 1)) {
                const std::size_t next = text.find_first_not_of(" \t", i + 1);
                if (next < end && text[next] == '\n') return outcome::declined;
              }
            }
            style = c == '"' || c == '\'' ? c : 0;
            break;
          case YAML_LITERAL_SCALAR_STYLE:
          case YAML_FOLDED_SCALAR_STYLE: {
            // Keep chomping (`|+`, `>+`): yaml-cpp keeps one line break fewer than libyaml
            // (and YAML) where the scalar is followed by more of the document.
            const std::size_t header_end = text.find_first_of(" #\n", byte);
            if (text.substr(byte, header_end - byte).find('+') != std::string_view::npos)
              return outcome::declined;
            // libyaml takes a `|` that starts a line after `-` even at the dash's column;
            // yaml-cpp ends the collection there. Rules write `|` after their key or dash.
            if (byte == 0 || text.find_last_not_of(' ', byte - 1) == text.rfind('\n', byte - 1))
              return outcome::declined;
            // Anchored (`- &a |`), yaml-cpp may read the text below as more of the document.
            if (sc.anchor != nullptr) return outcome::declined;
            style = c == '|' || c == '>' ? c : 0;
            break;
          }
          default:
            break;
        }
        child();
        const std::size_t anchor = anchor_number(sc.anchor);
        if (sc.style == YAML_PLAIN_SCALAR_STYLE && null_text(value))
          builder.on_null(at, anchor);
        else
          builder.on_scalar(at, anchor, value, style);
        break;
      }
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        const bool map = e.type == YAML_MAPPING_START_EVENT;
        const yaml_char_t* anchor =
            map ? e.data.mapping_start.anchor : e.data.sequence_start.anchor;
        const yaml_char_t* tag = map ? e.data.mapping_start.tag : e.data.sequence_start.tag;
        const bool flow = map ? e.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
                              : e.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
        const std::size_t byte = loc.byte_of(e.start_mark.index);
        if (differs(e, byte, anchor, nullptr) || tag != nullptr) return outcome::declined;
        // A list or map as a key of a flow mapping: yaml-cpp refuses some that go on over
        // lines (`{a: , [b,\n c]}`). Rules never have one.
        if (flow_key()) return outcome::declined;
        const position at = loc.at(byte);
        child();
        builder.on_open(at, anchor_number(anchor), map ? ynode_kind::map : ynode_kind::sequence);
        int dash = 0;
        if (!map && !flow) {
          // The event ends at its `-` (after it, for a sequence indented no more than its key).
          std::size_t d = loc.byte_of(e.end_mark.index);
          if (d > 0 && (d >= text.size() || text[d] != '-')) --d;
          dash = loc.at(d).column;
          loc.at(byte);  // back where the events are
        }
        open.push_back({flow, map, dash});
        break;
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT:
        builder.on_close();
        if (!open.empty()) open.pop_back();
        break;
      case YAML_ALIAS_EVENT: {
        const std::size_t byte = loc.byte_of(e.start_mark.index);
        if (differs(e, byte, e.data.alias.anchor, nullptr)) return outcome::declined;
        // An alias to an anchor not defined before it: yaml-cpp refuses the file.
        const auto it = anchors.find(reinterpret_cast<const char*>(e.data.alias.anchor));
        if (it == anchors.end()) return outcome::declined;
        child();
        builder.on_alias(it->second);
        break;
      }
    }
    // Past the size limits or round a cycle: refused, and yaml-cpp says where.
    if (builder.stopped()) return outcome::declined;
    last_end = loc.byte_of(e.end_mark.index);
  }
}

std::optional<ydoc> read_yaml(std::string_view text, const std::string& file,
                              std::vector<diagnostic>& out) {
  ydoc root;
  if (read_yaml_libyaml(text, root) == libyaml_outcome::tree) return root;
  return read_yaml_yamlcpp(text, file, out);
}

}  // namespace crmflow::loader
