#include "loader/yaml_reader.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <cstdint>
#include <exception>
#include <istream>
#include <new>
#include <streambuf>

// The tree is built from yaml-cpp's parser events (YAML::Parser + an EventHandler), not from
// YAML::Load: yaml-cpp's node tree costs one reference-counted allocation per node plus a copy
// into ynode, which was about 40% of loading a large rule set (bench/README.md, loading). The
// result is the tree the node-tree conversion produced, node for node: the same kinds, texts,
// styles and positions, aliases expanded to copies, the same size and depth limits reported at
// the same position, the same messages for malformed YAML and extra documents.
//
// What yaml-cpp's node builder did and this reproduces:
// - a node's position is the mark of its first token, properties (`&a`, `!tag`) included;
// - an alias is the anchored node itself (same mark, same content), so it is expanded here by
//   copying the anchored subtree, with the positions written at the anchor;
// - map entries stay in file order, duplicates kept; `<<` is an ordinary key (yaml-cpp 0.7 has
//   no merge keys, and the loader reports it as an unknown key);
// - the size limits were checked while walking the expanded graph in document order; nodes
//   arrive here in that same order, so counting them as they arrive fails at the same node.

namespace crmflow::loader {
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

// 1-based position of a mark; `fallback` when yaml-cpp has none.
position at(const YAML::Mark& m, position fallback) noexcept {
  if (m.line < 0 || m.column < 0) return fallback;
  return {m.line + 1, m.column + 1};
}

// Builds the first document's tree from parser events.
class tree_builder final : public YAML::EventHandler {
 public:
  explicit tree_builder(std::string_view source) : source_(source) {
    root_.line = root_.column = 1;
  }

  // Whether the document exceeded the limits, and where the node-tree walk would have said so.
  bool too_big() const noexcept { return too_big_; }
  position bad_position() const noexcept { return bad_; }
  ynode take_root() { return std::move(root_); }

  YAML::Mark start;  // the document's first token

  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (stopped_) return;
    const slot s = open_slot();
    if (!visit(s)) return;
    ynode& n = place();
    set_position(n, mark, s.fallback);
    record_anchor(anchor, n, true);
    finish_value(n);
  }

  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    if (stopped_) return;
    const slot s = open_slot();
    if (!visit(s)) return;
    ynode& n = place();
    set_position(n, mark, s.fallback);
    n.kind = ynode_kind::scalar;
    n.text = value;
    if (mark.pos >= 0 && static_cast<std::size_t>(mark.pos) < source_.size()) {
      const char c = source_[static_cast<std::size_t>(mark.pos)];
      if (c == '"' || c == '\'' || c == '|' || c == '>') n.style = c;
    }
    record_anchor(anchor, n, true);
    finish_value(n);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, anchor, ynode_kind::sequence);
  }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, anchor, ynode_kind::map);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapEnd() override { close(); }

  void OnAlias(const YAML::Mark&, YAML::anchor_t anchor) override {
    if (stopped_) return;
    const slot s = open_slot();
    // yaml-cpp registers every anchor it reports, so the id is known; stay safe anyway.
    if (anchor == 0 || anchor >= anchors_.size()) {
      if (!visit(s)) return;
      ynode& n = place();
      n.line = s.fallback.line;
      n.column = s.fallback.column;
      finish_value(n);
      return;
    }
    const anchored& a = anchors_[anchor];
    if (a.open) {
      cycle(s, *a.open);
      return;
    }
    // The anchored node is found after placing the copy, which may move its siblings; the copy
    // only grows below itself, and the anchored node is complete, so neither moves the other.
    ynode& n = place();
    if (!copy(find(a.path), n, s.depth, s.fallback)) return;
    // The anchored node's own position: a null map value has since moved onto its key, and
    // finish_value moves the copy too if the alias is itself a null map value.
    n.line = a.line;
    n.column = a.column;
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
    ynode* node;
    std::size_t anchor;  // 0 if the node has none
    bool want_value;     // maps: the last entry has its key and waits for the value
  };

  // An anchored node stays where it is in the tree; an alias copies it from there. (Keeping a
  // copy per anchor instead would copy nested anchored nodes once per level: quadratic.)
  struct anchored {
    std::vector<std::uint32_t> path;  // child indices from the root (map: 2 * entry + 1 value)
    int line = 0, column = 0;         // its position as parsed
    const ynode* open = nullptr;      // while it is still being built
  };

  slot open_slot() const noexcept {
    if (stack_.empty()) return {0, {1, 1}};
    const frame& f = stack_.back();
    const int depth = static_cast<int>(stack_.size());
    if (f.node->kind == ynode_kind::map && f.want_value) {
      const ynode& key = f.node->entries.back().first;
      return {depth, {key.line, key.column}};
    }
    return {depth, {f.node->line, f.node->column}};
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

  // The node for the next slot, default-constructed in place. The open nodes on the stack stay
  // where they are: a parent only grows once its open child is complete.
  ynode& place() {
    if (stack_.empty()) return root_;
    frame& f = stack_.back();
    if (f.node->kind == ynode_kind::sequence) return f.node->items.emplace_back();
    if (f.want_value) return f.node->entries.back().second;
    return f.node->entries.emplace_back().first;
  }

  static void set_position(ynode& n, const YAML::Mark& mark, position fallback) noexcept {
    const position p = at(mark, fallback);
    n.line = p.line;
    n.column = p.column;
  }

  // After a complete node: a map's key now waits for its value, a value completes the entry
  // (a missing value, "key:", is marked at the next token: it takes the key's position).
  void finish_value(ynode& n) {
    if (stack_.empty()) return;
    frame& f = stack_.back();
    if (f.node->kind != ynode_kind::map) return;
    if (!f.want_value) {
      f.want_value = true;
      return;
    }
    f.want_value = false;
    if (n.is_null()) {
      const ynode& key = f.node->entries.back().first;
      n.line = key.line;
      n.column = key.column;
    }
  }

  // Notes where the node just placed (the last child of the innermost open node) is.
  void record_anchor(YAML::anchor_t anchor, const ynode& n, bool complete) {
    if (anchor == 0) return;
    if (anchor >= anchors_.size()) anchors_.resize(anchor + 1);
    anchored& a = anchors_[anchor];
    a.path.clear();
    a.path.reserve(stack_.size());
    for (const frame& f : stack_) {
      const ynode& p = *f.node;
      a.path.push_back(
          p.kind == ynode_kind::sequence
              ? static_cast<std::uint32_t>(p.items.size() - 1)
              : static_cast<std::uint32_t>(2 * (p.entries.size() - 1) + (f.want_value ? 1 : 0)));
    }
    a.line = n.line;
    a.column = n.column;
    a.open = complete ? nullptr : &n;
  }

  const ynode& find(const std::vector<std::uint32_t>& path) const {
    const ynode* n = &root_;
    for (const std::uint32_t i : path) {
      if (n->kind == ynode_kind::sequence)
        n = &n->items[i];
      else
        n = (i & 1) ? &n->entries[i / 2].second : &n->entries[i / 2].first;
    }
    return *n;
  }

  void open(const YAML::Mark& mark, YAML::anchor_t anchor, ynode_kind kind) {
    if (stopped_) return;
    const slot s = open_slot();
    if (!visit(s)) return;
    ynode& n = place();
    set_position(n, mark, s.fallback);
    n.kind = kind;
    record_anchor(anchor, n, false);
    stack_.push_back({&n, anchor, false});
  }

  void close() {
    if (stopped_ || stack_.empty()) return;  // once stopped, the tree is not used
    const frame f = stack_.back();
    stack_.pop_back();
    if (f.anchor != 0) anchors_[f.anchor].open = nullptr;
    finish_value(*f.node);
  }

  // Copies an anchored subtree into `out` as the node-tree walk would have expanded it at this
  // depth, counting every node; false (and the position) when a limit is passed.
  bool copy(const ynode& from, ynode& out, int depth, position fallback) {
    if (++nodes_ > max_nodes || depth > max_depth) {
      fail(fallback);
      return false;
    }
    out.kind = from.kind;
    out.line = from.line;
    out.column = from.column;
    out.style = from.style;
    switch (from.kind) {
      case ynode_kind::null:
        return true;
      case ynode_kind::scalar:
        out.text = from.text;
        return true;
      case ynode_kind::sequence:
        out.items.reserve(from.items.size());
        for (const ynode& item : from.items)
          if (!copy(item, out.items.emplace_back(), depth + 1, {out.line, out.column}))
            return false;
        return true;
      case ynode_kind::map:
        out.entries.reserve(from.entries.size());
        for (const auto& [k, v] : from.entries) {
          auto& entry = out.entries.emplace_back();
          if (!copy(k, entry.first, depth + 1, {out.line, out.column})) return false;
          if (!copy(v, entry.second, depth + 1, {entry.first.line, entry.first.column}))
            return false;
        }
        return true;
    }
    return true;
  }

  // An alias to a node still being built: the node contains itself, and the node-tree walk
  // went round the cycle until a limit. The walk never got past this alias, so everything it
  // visited is built by now: put a stand-in for the alias where it goes, walk the tree from the
  // root as that walk did (the stand-in is `target` again), and stop building.
  void cycle(const slot& s, const ynode& target) {
    const ynode& stand_in = place();
    stopped_ = true;
    std::size_t count = 0;
    // The walk cannot come back from the stand-in (the cycle is endless); if it ever did, the
    // document is still refused.
    if (walk_cycle(root_, 0, {1, 1}, &stand_in, target, count)) fail(s.fallback);
  }

  bool walk_cycle(const ynode& node, int depth, position fallback, const ynode* stand_in,
                  const ynode& target, std::size_t& count) {
    if (++count > max_nodes || depth > max_depth) {
      fail(fallback);
      return false;
    }
    const ynode& n = &node == stand_in ? target : node;
    const position here{n.line, n.column};
    for (const ynode& item : n.items)
      if (!walk_cycle(item, depth + 1, here, stand_in, target, count)) return false;
    for (const auto& [k, v] : n.entries) {
      if (!walk_cycle(k, depth + 1, here, stand_in, target, count)) return false;
      if (!walk_cycle(v, depth + 1, {k.line, k.column}, stand_in, target, count)) return false;
    }
    return true;
  }

  std::string_view source_;
  ynode root_;
  std::vector<frame> stack_;
  std::vector<anchored> anchors_;  // by yaml-cpp's anchor id (1, 2, ... per document)
  std::size_t nodes_ = 0;          // nodes of the expanded tree so far, as the limit counts them
  bool stopped_ = false;           // past a limit or a cycle: later events are ignored
  bool too_big_ = false;
  position bad_;
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

std::optional<ynode> read_yaml(std::string_view text, const std::string& file,
                               std::vector<diagnostic>& out) {
  tree_builder builder{text};
  bool any = false;   // a first document
  bool more = false;  // a second one
  YAML::Mark second_at;
  bool stuck = false;  // yaml-cpp stopped making progress
  YAML::Mark stuck_at;
  try {
    view_buf buf{text};
    std::istream in{&buf};
    YAML::Parser parser{in};
    any = parser.HandleNextDocument(builder);
    // Every document is parsed before anything is reported, as YAML::LoadAll did: a syntax
    // error anywhere comes before "a second document" and before the size limits.
    //
    // yaml-cpp 0.7 reads a token it cannot place at the top level (a stray ',') as an empty
    // document without consuming it, and then again, endlessly: YAML::LoadAll ran out of memory.
    // A document that starts where the one before started has consumed nothing.
    if (any) {
      int previous = builder.start.pos;
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
  if (!any) {
    ynode empty;
    empty.line = 1;
    empty.column = 1;
    return empty;
  }
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
  return builder.take_root();
}

}  // namespace crmflow::loader
