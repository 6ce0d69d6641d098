// encode_engine / decode_engine (snapshot.hpp). Written: "CRMFSNP5"; read: CRMFSNP5 and the
// older layouts below. docs/store.md describes CRMFSNP5 byte by byte.
//
// CRMFSNP5, little-endian; uv = LEB128 (7 bits a byte, low first, one encoding per value),
// zz = zigzag then uv, vstr = len:uv bytes:
//
//   "CRMFSNP5"  now:i64
//   slots:u32 { present:u8 [ name:str version:u32 loaded:u8 files:u32 { file:str text:str } ] }
//   newest:u32                                        -- the version table, as in CRMFSNP4
//   strings:uv { text:vstr }                          -- each distinct non-empty text a string
//                                                        field holds, in order of first use
//                                                        (cases by id, fields in order); a
//                                                        field's index 0 is "", i is text i-1
//   kinds:uv { slot:uv flow:uv cases:uv named:uv }    -- each (version, flow) in order of first
//                                                        case, with its cases and named cases
//   cases (the sum of the kinds' counts), in id order:
//     kind:uv name:vstr state:uv { field }            -- string: index:uv; bool, enum: uv;
//                                                        int, timestamp, duration: zz
//     history:uv { at:zz event:uv from:uv to:uv cause:u8 }
//     { phase:u8 [ marks:uv calendar:uv since:zz elapsed:zz paused:zz limit:zz ] }
//                                                     -- per SLA clock, [...] unless idle;
//                                                        calendar: 0 none, else its index + 1
//                                                        in the case's version
//   deadlines:uv { case:uv timer:uv due:zz }          -- in start order, due - now (mod 2^64)
//   triggers, per present slot: as CRMFSNP4 (below)
//
// Why: each string is interned once per snapshot instead of once per field (14 per complaint),
// the counts let the decoder reserve the engine's arrays before the first case, and fields take
// 1-6 bytes instead of 8 or a length-prefixed text. A truncated or inconsistent snapshot is
// refused with the section it fails in; the kinds' counts are checked against the bytes left
// before anything is reserved or restored.
//
// "CRMFSNP4" (rule versions) is the layout below with the flow table replaced by the version
// table above, each case starting with slot:u16 (its version), clock calendars and names read
// from that version, and one trigger table per present slot. Each version carries the text of
// its rules, so versions published at run time come back without the host: the version the
// host supplies is checked against its copy (same text), the others are compiled from theirs.
// The layouts of one rule set below (CRMFSNP3, and CRMFSNP2 without clocks) are still read.
//
// Layout of one rule set, little-endian:
//
//   "CRMFSNP3"  now:i64
//   flows:u32 { name:str fields:u32 { type:u8 } clocks:u16 { name:str } }  -- checked against
//                                                                          the rule set
//   cases:u32 { flow:u16 name:str state:u16 { field value }  -- strings as text, else i64
//               history:u32 { at:i64 event:u16 from:u16 to:u16 cause:u8 }
//               { clock } }                                  -- one per SLA clock of the flow:
//       phase:u8 [ marks:u16 calendar:str since:i64 elapsed:i64 paused:i64 limit:i64 ]
//                                                            -- [...] unless idle; calendar
//                                                               by name, "" for none
//   deadlines:u32 { case:u32 timer:u16 due:i64 }             -- in start (firing) order; a
//                                                               timer id past the flow's
//                                                               timers is a clock's
//   triggers:u32 { name:str opened:u32 latest:u8 [i64]        -- windows (trigger.hpp)
//                  keys:u32 { key values  fired:u8 [i64]  occurrences:u32 { at:i64 [distinct value] } } }
//
// "CRMFSNP2" (before SLA clocks: no clock table, no clock records) is still read, for a rule
// set without clocks.
//
// Trigger keys are written sorted by their encoded bytes: the live table's order follows the
// raw values, and string ids differ between an engine and its restored copy.
//
// Deadlines are written in start order without the engine's own order numbers, which differ
// between an engine and its restored copy; that is what makes the encoding a fixed point.
#include <algorithm>
#include <vector>

#include "crmflow/snapshot.hpp"
#include "store/bytes.hpp"
#include "store/snapshot_layouts.hpp"

namespace crmflow {

using store_detail::reader;
using store_detail::writer;

namespace {

constexpr std::string_view magic = "CRMFSNP5";
constexpr std::string_view magic_v4 = "CRMFSNP4";
constexpr std::string_view magic_one_rule_set = "CRMFSNP3";
constexpr std::string_view magic_before_clocks = "CRMFSNP2";

store_status corrupt(const reader& in, const std::string& what) {
  return store_status::error(store_code::corrupted,
                             "snapshot: " + what + " (at byte " + std::to_string(in.position()) + ")");
}

void write_value(writer& w, const engine& e, value_type type, raw_value v) {
  if (type == value_type::string) w.str(e.text(v));
  else w.i64(v);
}

raw_value read_value(reader& in, engine& e, value_type type) {
  return type == value_type::string ? e.intern(in.str()) : in.i64();
}

void encode_triggers(const engine& e, writer& w, std::size_t slot) {
  const rule_set& rules = *e.slot_rules(slot);
  const trigger_set& ts = rules.triggers();
  w.u32(static_cast<std::uint32_t>(ts.size()));
  std::vector<std::string> keys;
  for (trigger_id t = 0; t < ts.size(); ++t) {
    const trigger_def& d = ts.at(t);
    const detail::flow_program& fl = rules.flow(d.flow);
    w.str(d.name);
    w.u32(e.trigger_open_counts(slot)[t]);
    const std::optional<timestamp> latest = e.trigger_windows(slot).latest(t);
    w.u8(latest ? 1 : 0);
    if (latest) w.i64(*latest);
    keys.clear();
    e.trigger_windows(slot).for_each_live_key(t, [&](const trigger_state::saved_key& k) {
      std::string& out = keys.emplace_back();
      writer kw(out);
      for (std::size_t i = 0; i < k.key.size(); ++i) write_value(kw, e, fl.fields[d.key[i]].type, k.key[i]);
      kw.u8(k.last_fired ? 1 : 0);
      if (k.last_fired) kw.i64(*k.last_fired);
      kw.u32(static_cast<std::uint32_t>(k.times.size()));
      for (std::size_t i = 0; i < k.times.size(); ++i) {
        kw.i64(k.times[i]);
        if (!k.values.empty()) write_value(kw, e, fl.fields[d.distinct].type, k.values[i]);
      }
    });
    std::sort(keys.begin(), keys.end());
    w.u32(static_cast<std::uint32_t>(keys.size()));
    for (const std::string& k : keys) w.raw(k);
  }
}

store_status decode_triggers(reader& in, engine& e, std::size_t slot) {
  const rule_set& rules = *e.slot_rules(slot);
  const trigger_set& ts = rules.triggers();
  const std::uint32_t n = in.u32();
  if (in.failed()) return corrupt(in, "truncated trigger table");
  if (n != ts.size())
    return store_status::error(store_code::invalid, "snapshot: written for " + std::to_string(n) +
                                                        " triggers, the rule set has " + std::to_string(ts.size()));
  std::vector<raw_value> key, values;
  std::vector<timestamp> times;
  trigger_state& windows = e.trigger_windows_for_restore(slot);
  for (trigger_id t = 0; t < ts.size(); ++t) {
    const trigger_def& d = ts.at(t);
    const detail::flow_program& fl = rules.flow(d.flow);
    const std::string_view name = in.str();
    const std::uint32_t opened = in.u32();
    const bool has_latest = in.u8() != 0;
    const timestamp latest = has_latest ? in.i64() : 0;
    if (in.failed()) return corrupt(in, "truncated trigger table");
    if (name != d.name)
      return store_status::error(store_code::invalid, "snapshot: trigger " + std::string(name) +
                                                          " does not match the rule set's trigger " + d.name);
    e.restore_trigger_open_count(slot, t, opened);
    if (has_latest) windows.set_latest(t, latest);
    const std::uint32_t keys = in.u32();
    if (in.failed() || keys > in.remaining()) return corrupt(in, "truncated windows of trigger " + d.name);
    for (std::uint32_t k = 0; k < keys; ++k) {
      key.clear();
      values.clear();
      times.clear();
      for (const field_id f : d.key) key.push_back(read_value(in, e, fl.fields[f].type));
      std::optional<timestamp> fired;
      if (in.u8() != 0) fired = in.i64();
      const std::uint32_t occ = in.u32();
      if (in.failed() || occ > d.count) return corrupt(in, "bad window of trigger " + d.name);
      for (std::uint32_t i = 0; i < occ; ++i) {
        times.push_back(in.i64());
        if (d.distinct != no_id16) values.push_back(read_value(in, e, fl.fields[d.distinct].type));
      }
      if (in.failed()) return corrupt(in, "truncated windows of trigger " + d.name);
      if (!windows.restore_key(t, key, fired, times, values))
        return corrupt(in, "trigger " + d.name + " has a key twice or a window that does not fit");
    }
  }
  return {};
}


bool same_texts(const std::vector<rules_source>& a, const std::vector<rules_source>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].text != b[i].text) return false;
  return true;
}

// The version table of a CRMFSNP2 snapshot, into `e`.
store_status decode_versions(reader& in, engine& e) {
  const std::shared_ptr<const rule_set> supplied = e.rules_ptr();
  const std::uint32_t count = in.u32();
  if (in.failed() || count == 0 || count > 0xFFFE) return corrupt(in, "bad version table");
  std::vector<std::shared_ptr<const rule_set>> slots(count);
  std::vector<bool> loaded(count, false);
  std::vector<rules_source> sources;
  for (std::uint32_t v = 0; v < count; ++v) {
    const std::uint8_t present = in.u8();
    if (present == 0) continue;
    const std::string name(in.str());
    const std::uint32_t version = in.u32();
    loaded[v] = in.u8() != 0;
    const std::uint32_t files = in.u32();
    if (in.failed() || files > 65536) return corrupt(in, "truncated version table");
    sources.clear();
    for (std::uint32_t i = 0; i < files && !in.failed(); ++i) {
      rules_source src;
      src.file = std::string(in.str());
      src.text = std::string(in.str());
      sources.push_back(std::move(src));
    }
    if (in.failed()) return corrupt(in, "truncated version table");
    const std::string what = "version " + std::to_string(version) + " of rule set '" + name + "'";
    if (name != supplied->name())
      return store_status::error(store_code::invalid, "snapshot: written for rule set '" + name +
                                                          "', the rules supplied are '" + supplied->name() + "'");
    if (version == supplied->version()) {
      if (!same_texts(sources, supplied->sources()))
        return store_status::error(store_code::invalid,
                                   "snapshot: " + what + " differs from the rules supplied with that version");
      slots[v] = supplied;
      continue;
    }
    load_result r = e.compile_version(sources);
    if (!r.ok())
      return store_status::error(
          store_code::invalid, "snapshot: " + what + " no longer loads" +
                                   (r.diagnostics.empty() ? std::string() : ": " + to_string(r.diagnostics.front())));
    if (r.rules->name() != name || r.rules->version() != version)
      return corrupt(in, what + " holds the rules of another version");
    slots[v] = std::move(r.rules);
  }
  const std::uint32_t newest = in.u32();
  if (in.failed() || newest >= count || !slots[newest]) return corrupt(in, "bad newest version");
  if (supplied->version() > slots[newest]->version())
    return store_status::error(store_code::invalid,
                               "snapshot: its newest version of '" + supplied->name() + "' is " +
                                   std::to_string(slots[newest]->version()) + ", older than the rules supplied (version " +
                                   std::to_string(supplied->version()) + "); open with the rules it was written with, then publish");
  if (!e.restore_versions(std::move(slots), newest, loaded)) return corrupt(in, "inconsistent version table");
  return {};
}

void encode_versions(const engine& e, writer& w) {
  w.u32(static_cast<std::uint32_t>(e.slot_count()));
  for (std::size_t v = 0; v < e.slot_count(); ++v) {
    const std::shared_ptr<const rule_set> r = e.slot_rules(v);
    w.u8(r ? 1 : 0);
    if (!r) continue;
    w.str(r->name());
    w.u32(r->version());
    w.u8(e.slot_loaded(v) ? 1 : 0);
    w.u32(static_cast<std::uint32_t>(r->sources().size()));
    for (const rules_source& src : r->sources()) {
      w.str(src.file);
      w.str(src.text);
    }
  }
  w.u32(static_cast<std::uint32_t>(e.newest_slot()));
}

}  // namespace

std::string store_detail::encode_engine_v4(const engine& e) {
  std::string out;
  writer w(out);
  w.raw(magic_v4);
  w.i64(e.now());
  encode_versions(e, w);
  w.u32(static_cast<std::uint32_t>(e.case_count()));
  for (case_id c = 0; c < e.case_count(); ++c) {
    const flow_id f = e.case_flow(c);
    const rule_set& rules = e.rules_of(c);
    const detail::flow_program& fl = rules.flow(f);
    w.u16(e.case_slot(c));
    w.u16(f);
    w.str(e.case_name(c));
    w.u16(e.state(c));
    for (std::size_t i = 0; i < fl.fields.size(); ++i) {
      const raw_value v = e.field(c, static_cast<field_id>(i));
      if (fl.fields[i].type == value_type::string) w.str(e.text(v));
      else w.i64(v);
    }
    const std::vector<history_entry> h = e.history(c);
    w.u32(static_cast<std::uint32_t>(h.size()));
    for (const history_entry& x : h) {
      w.i64(x.at);
      w.u16(x.event);
      w.u16(x.from);
      w.u16(x.to);
      w.u8(static_cast<std::uint8_t>(x.why));
    }
    for (std::size_t k = 0; k < fl.clocks.size(); ++k) {
      const clock_state st = e.saved_clock(c, static_cast<clock_id>(k));
      w.u8(static_cast<std::uint8_t>(st.phase));
      if (st.phase == clock_phase::idle) continue;
      w.u16(st.marks);
      w.str(st.calendar == detail::no_calendar ? std::string_view{} : std::string_view{rules.calendars()[st.calendar].name()});
      w.i64(st.since);
      w.i64(st.elapsed);
      w.i64(st.paused);
      w.i64(st.limit);
    }
  }
  const std::vector<scheduled_deadline> d = e.scheduled_deadlines();
  w.u32(static_cast<std::uint32_t>(d.size()));
  for (const scheduled_deadline& x : d) {
    w.u32(x.id);
    w.u16(x.timer);
    w.i64(x.due);
  }
  for (std::size_t v = 0; v < e.slot_count(); ++v)
    if (e.slot_rules(v)) encode_triggers(e, w, v);
  return out;
}

namespace {

// CRMFSNP4 and the layouts of one rule set before it.
store_status decode_older(std::string_view bytes, engine& e) {
  reader in(bytes);
  // The layouts of one rule set: the flow table instead of versions; before SLA clocks,
  // without them.
  bool before_clocks = false;
  bool one_rule_set = false;
  if (!in.expect(magic_v4)) {
    one_rule_set = true;
    reader again(bytes);
    if (!again.expect(magic_one_rule_set)) {
      reader before(bytes);
      if (!before.expect(magic_before_clocks)) return corrupt(in, "not a crmflow snapshot");
      before_clocks = true;
      again = before;
    }
    in = again;
  }
  const timestamp now = in.i64();
  if (in.failed()) return corrupt(in, "truncated header");
  if (!one_rule_set)
    if (store_status s = decode_versions(in, e); !s) return s;
  const rule_set& supplied = e.rules();
  const std::uint32_t flows = one_rule_set ? in.u32() : static_cast<std::uint32_t>(supplied.flow_count());
  const rule_set& rules = supplied;
  if (in.failed()) return corrupt(in, "truncated header");
  if (flows != rules.flow_count())
    return store_status::error(store_code::invalid, "snapshot: written for " + std::to_string(flows) +
                                                        " flows, the rule set has " + std::to_string(rules.flow_count()));
  for (const detail::flow_program& fl : rules.flows()) {
    if (!one_rule_set) break;
    const std::string_view name = in.str();
    const std::uint32_t fields = in.u32();
    if (in.failed()) return corrupt(in, "truncated flow table");
    bool same = name == fl.name && fields == fl.fields.size();
    for (std::uint32_t i = 0; i < fields; ++i) {
      const std::uint8_t type = in.u8();
      if (same && type != static_cast<std::uint8_t>(fl.fields[i].type)) same = false;
    }
    const std::uint16_t clocks = before_clocks ? 0 : in.u16();
    same = same && clocks == fl.clocks.size();
    for (std::uint16_t i = 0; i < clocks; ++i) {
      const std::string_view clock = in.str();
      if (same && clock != fl.clocks[i].name) same = false;
    }
    if (in.failed()) return corrupt(in, "truncated flow table");
    if (!same)
      return store_status::error(store_code::invalid,
                                 "snapshot: flow " + std::string(name) + " does not match the rule set's flow " + fl.name);
  }

  const std::uint32_t cases = in.u32();
  std::vector<raw_value> fields;
  std::vector<history_entry> history;
  for (std::uint32_t c = 0; c < cases; ++c) {
    const std::uint16_t slot = one_rule_set ? static_cast<std::uint16_t>(e.newest_slot()) : in.u16();
    const flow_id f = in.u16();
    const std::string name(in.str());
    const state_id s = in.u16();
    if (in.failed()) return corrupt(in, "truncated case " + std::to_string(c));
    if (slot >= e.slot_count() || !e.slot_rules(slot) || f >= e.slot_rules(slot)->flow_count())
      return corrupt(in, "case " + std::to_string(c) + " has an unknown version or flow");
    const rule_set& case_rules = *e.slot_rules(slot);
    const detail::flow_program& fl = case_rules.flow(f);
    fields.clear();
    for (const detail::field_def& fd : fl.fields)
      fields.push_back(fd.type == value_type::string ? e.intern(in.str()) : in.i64());
    const std::uint32_t n = in.u32();
    if (in.failed() || n > bytes.size()) return corrupt(in, "truncated case " + std::to_string(c));
    history.clear();
    for (std::uint32_t i = 0; i < n; ++i) {
      history_entry h{};
      h.at = in.i64();
      h.event = in.u16();
      h.from = in.u16();
      h.to = in.u16();
      const std::uint8_t why = in.u8();
      if (why > static_cast<std::uint8_t>(cause::timer)) in.fail();
      h.why = static_cast<cause>(why);
      history.push_back(h);
    }
    if (in.failed()) return corrupt(in, "truncated history of case " + std::to_string(c));
    const create_result r = e.restore_case_on(slot, f, name, s, fields.data(), history);
    if (!r.accepted() || r.id != c)
      return corrupt(in, "case " + std::to_string(c) + " (" + name + ") refused: " + std::string(to_string(r.status)));
    for (std::size_t k = 0; k < fl.clocks.size(); ++k) {
      clock_state st;
      const std::uint8_t phase = in.u8();
      if (phase > static_cast<std::uint8_t>(clock_phase::stopped)) in.fail();
      st.phase = static_cast<clock_phase>(phase);
      if (st.phase != clock_phase::idle) {
        st.marks = in.u16();
        const std::string_view cal = in.str();
        if (!cal.empty()) {
          const calendar* named = case_rules.find_calendar(cal);
          if (!named) in.fail();
          else st.calendar = static_cast<std::uint16_t>(named - case_rules.calendars().data());
        }
        st.since = in.i64();
        st.elapsed = in.i64();
        st.paused = in.i64();
        st.limit = in.i64();
      }
      if (in.failed() || !e.restore_clock(c, static_cast<clock_id>(k), st))
        return corrupt(in, "bad clock " + fl.clocks[k].name + " of case " + std::to_string(c));
    }
  }
  const std::uint32_t deadlines = in.u32();
  for (std::uint32_t i = 0; i < deadlines; ++i) {
    const case_id c = in.u32();
    const timer_id t = in.u16();
    const timestamp due = in.i64();
    if (in.failed()) return corrupt(in, "truncated deadline table");
    if (!e.restore_deadline(c, t, due))
      return corrupt(in, "deadline " + std::to_string(i) + " names an unknown or running timer");
  }
  if (one_rule_set) {
    if (store_status t = decode_triggers(in, e, e.newest_slot()); !t) return t;
  } else {
    for (std::size_t v = 0; v < e.slot_count(); ++v)
      if (e.slot_rules(v))
        if (store_status t = decode_triggers(in, e, v); !t) return t;
  }
  if (in.failed() || !in.at_end()) return corrupt(in, "trailing bytes");
  e.restore_now(now);
  return {};
}


// ---- CRMFSNP5 ------------------------------------------------------------------------------

// What a CRMFSNP5 snapshot holds of one (version, flow): its cases are written with the kind's
// index, and the counts let the decoder reserve the engine's arrays before the first case.
struct case_kind {
  std::uint16_t slot = 0;
  flow_id flow = 0;
  std::uint64_t cases = 0;
  std::uint64_t named = 0;
};

constexpr std::uint64_t max_u16 = 0xFFFF;

void write_clock(writer& w, const clock_state& st) {
  w.u8(static_cast<std::uint8_t>(st.phase));
  if (st.phase == clock_phase::idle) return;
  w.uv(st.marks);
  // The calendar by its index in the case's version (whose text the snapshot carries), +1.
  w.uv(st.calendar == detail::no_calendar ? 0 : std::uint64_t{st.calendar} + 1);
  w.zz(st.since);
  w.zz(st.elapsed);
  w.zz(st.paused);
  w.zz(st.limit);
}

}  // namespace

std::string encode_engine(const engine& e) {
  // First pass: each case's kind, the kinds' counts, and the string table (every text a
  // string field holds, in order of first use: cases by id, fields in order; "" is index 0).
  std::vector<case_kind> kinds;
  std::vector<std::vector<std::uint32_t>> kind_of_flow(e.slot_count());
  std::vector<std::uint32_t> case_kinds(e.case_count());
  std::vector<std::uint32_t> string_index;  // by string id; 0: not yet in the table
  std::vector<std::string_view> strings;
  std::size_t name_bytes = 0;
  for (case_id c = 0; c < e.case_count(); ++c) {
    const std::uint16_t slot = e.case_slot(c);
    const flow_id f = e.case_flow(c);
    std::vector<std::uint32_t>& by_flow = kind_of_flow[slot];
    if (by_flow.size() <= f) by_flow.resize(std::size_t{f} + 1, no_id32);
    if (by_flow[f] == no_id32) {
      by_flow[f] = static_cast<std::uint32_t>(kinds.size());
      kinds.push_back({slot, f, 0, 0});
    }
    case_kind& k = kinds[by_flow[f]];
    case_kinds[c] = by_flow[f];
    ++k.cases;
    const std::string_view name = e.case_name(c);
    name_bytes += name.size();
    if (!name.empty()) ++k.named;
    const detail::flow_program& fl = e.rules_of(c).flow(f);
    for (std::size_t i = 0; i < fl.fields.size(); ++i) {
      if (fl.fields[i].type != value_type::string) continue;
      const raw_value v = e.field(c, static_cast<field_id>(i));
      const std::string_view text = e.text(v);
      if (text.empty()) continue;
      const auto id = static_cast<std::size_t>(v);  // a non-empty text: a valid id
      if (string_index.size() <= id) string_index.resize(id + 1, 0);
      if (string_index[id] == 0) {
        strings.push_back(text);
        string_index[id] = static_cast<std::uint32_t>(strings.size());
      }
    }
  }

  std::string out;
  out.reserve(64 + name_bytes + e.case_count() * 64);
  writer w(out);
  w.raw(magic);
  w.i64(e.now());
  encode_versions(e, w);
  w.uv(strings.size());
  for (const std::string_view text : strings) w.vstr(text);
  w.uv(kinds.size());
  for (const case_kind& k : kinds) {
    w.uv(k.slot);
    w.uv(k.flow);
    w.uv(k.cases);
    w.uv(k.named);
  }
  std::vector<history_entry> history;
  for (case_id c = 0; c < e.case_count(); ++c) {
    const rule_set& rules = e.rules_of(c);
    const detail::flow_program& fl = rules.flow(e.case_flow(c));
    w.uv(case_kinds[c]);
    w.vstr(e.case_name(c));
    w.uv(e.state(c));
    for (std::size_t i = 0; i < fl.fields.size(); ++i) {
      const raw_value v = e.field(c, static_cast<field_id>(i));
      switch (fl.fields[i].type) {
        case value_type::string: {
          const bool empty = e.text(v).empty();
          w.uv(empty ? 0 : string_index[static_cast<std::size_t>(v)]);
          break;
        }
        case value_type::boolean:
        case value_type::enumeration: w.uv(static_cast<std::uint64_t>(v)); break;
        default: w.zz(v);
      }
    }
    history = e.history(c);
    w.uv(history.size());
    for (const history_entry& x : history) {
      w.zz(x.at);
      w.uv(x.event);
      w.uv(x.from);
      w.uv(x.to);
      w.u8(static_cast<std::uint8_t>(x.why));
    }
    for (std::size_t k = 0; k < fl.clocks.size(); ++k) write_clock(w, e.saved_clock(c, static_cast<clock_id>(k)));
  }
  const std::vector<scheduled_deadline> d = e.scheduled_deadlines();
  w.uv(d.size());
  for (const scheduled_deadline& x : d) {
    w.uv(x.id);
    w.uv(x.timer);
    w.zz(static_cast<std::int64_t>(static_cast<std::uint64_t>(x.due) - static_cast<std::uint64_t>(e.now())));
  }
  for (std::size_t v = 0; v < e.slot_count(); ++v)
    if (e.slot_rules(v)) encode_triggers(e, w, v);
  return out;
}

namespace {

store_status decode_v5(reader& in, engine& e) {
  const timestamp now = in.i64();
  if (in.failed()) return corrupt(in, "truncated header");
  if (store_status s = decode_versions(in, e); !s) return s;

  // The string table: each text interned once; fields hold indices into `ids`.
  const std::uint64_t string_count = in.uv();
  if (in.failed() || string_count > in.remaining()) return corrupt(in, "truncated string table");
  std::vector<raw_value> ids;
  ids.reserve(string_count + 1);
  ids.push_back(0);
  for (std::uint64_t i = 0; i < string_count; ++i) {
    const std::string_view text = in.vstr();
    if (in.failed()) return corrupt(in, "truncated string table");
    if (text.empty()) return corrupt(in, "empty text in the string table");
    ids.push_back(e.intern(text));
  }

  // The kinds of case and their counts; every case takes at least 3 bytes and each of its
  // fields, clocks and name at least one more, which bounds what is reserved.
  std::uint64_t flows = 0;  // at most one kind per (version, flow)
  for (std::size_t v = 0; v < e.slot_count(); ++v)
    if (e.slot_rules(v)) flows += e.slot_rules(v)->flow_count();
  const std::uint64_t kind_count = in.uv();
  if (in.failed() || kind_count > in.remaining()) return corrupt(in, "truncated case kinds");
  if (kind_count > flows) return corrupt(in, "more case kinds than flows");
  std::vector<case_kind> kinds(kind_count);
  std::vector<const detail::flow_program*> kind_flow(kind_count);
  std::uint64_t cases = 0, fields = 0, timers = 0, clocks = 0, named = 0;
  for (std::uint64_t k = 0; k < kind_count; ++k) {
    const std::uint64_t slot = in.uv();
    const std::uint64_t flow = in.uv();
    const std::uint64_t n = in.uv();
    const std::uint64_t with_name = in.uv();
    if (in.failed()) return corrupt(in, "truncated case kinds");
    if (slot >= e.slot_count() || !e.slot_rules(slot) || flow >= e.slot_rules(slot)->flow_count())
      return corrupt(in, "case kind " + std::to_string(k) + " names an unknown version or flow");
    if (n > in.remaining() || with_name > n) return corrupt(in, "case kind " + std::to_string(k) + " has bad counts");
    const detail::flow_program& fl = e.slot_rules(slot)->flow(static_cast<flow_id>(flow));
    kinds[k] = {static_cast<std::uint16_t>(slot), static_cast<flow_id>(flow), n, with_name};
    kind_flow[k] = &fl;
    cases += n;
    fields += n * fl.fields.size();
    timers += n * fl.timers.size();
    clocks += n * fl.clocks.size();
    named += with_name;
    if (3 * cases + fields + clocks + named > in.remaining() || cases >= no_id32)
      return corrupt(in, "case kinds count more cases than the snapshot holds");
  }
  e.restore_reserve(cases, fields, timers, clocks, named);

  std::vector<raw_value> values;
  std::vector<history_entry> history;
  for (std::uint64_t c = 0; c < cases; ++c) {
    const std::uint64_t kind = in.uv();
    if (in.failed()) return corrupt(in, "truncated case " + std::to_string(c));
    if (kind >= kind_count) return corrupt(in, "case " + std::to_string(c) + " has an unknown kind");
    case_kind& k = kinds[kind];
    const std::string_view name = in.vstr();
    const std::uint64_t state = in.uv();
    if (in.failed()) return corrupt(in, "truncated case " + std::to_string(c));
    if (k.cases == 0 || (!name.empty() && k.named == 0))
      return corrupt(in, "case " + std::to_string(c) + " is one more than its kind counts");
    --k.cases;
    if (!name.empty()) --k.named;
    if (state > max_u16) return corrupt(in, "case " + std::to_string(c) + " has a bad state");
    const detail::flow_program& fl = *kind_flow[kind];
    values.resize(fl.fields.size());
    for (std::size_t i = 0; i < fl.fields.size(); ++i) {
      switch (fl.fields[i].type) {
        case value_type::string: {
          const std::uint64_t at = in.uv();
          if (at >= ids.size()) {
            in.fail();
            break;
          }
          values[i] = ids[at];
          break;
        }
        case value_type::boolean:
        case value_type::enumeration: values[i] = static_cast<raw_value>(in.uv()); break;
        default: values[i] = in.zz();
      }
    }
    if (in.failed()) return corrupt(in, "truncated or bad fields of case " + std::to_string(c));
    const std::uint64_t n = in.uv();
    if (in.failed() || n > in.remaining()) return corrupt(in, "truncated case " + std::to_string(c));
    history.clear();
    for (std::uint64_t i = 0; i < n; ++i) {
      history_entry h{};
      h.at = in.zz();
      const std::uint64_t event = in.uv(), from = in.uv(), to = in.uv();
      const std::uint8_t why = in.u8();
      if (event > max_u16 || from > max_u16 || to > max_u16 || why > static_cast<std::uint8_t>(cause::timer)) in.fail();
      h.event = static_cast<event_id>(event);
      h.from = static_cast<state_id>(from);
      h.to = static_cast<state_id>(to);
      h.why = static_cast<cause>(why);
      history.push_back(h);
    }
    if (in.failed()) return corrupt(in, "truncated history of case " + std::to_string(c));
    const create_result r =
        e.restore_case_on(k.slot, k.flow, name, static_cast<state_id>(state), values.data(), history);
    if (!r.accepted() || r.id != c)
      return corrupt(in, "case " + std::to_string(c) + " (" + std::string(name) + ") refused: " +
                             std::string(to_string(r.status)));
    const rule_set& case_rules = *e.slot_rules(k.slot);
    for (std::size_t j = 0; j < fl.clocks.size(); ++j) {
      clock_state st;
      const std::uint8_t phase = in.u8();
      if (phase > static_cast<std::uint8_t>(clock_phase::stopped)) in.fail();
      st.phase = static_cast<clock_phase>(phase);
      if (st.phase != clock_phase::idle) {
        const std::uint64_t marks = in.uv();
        const std::uint64_t calendar = in.uv();
        if (marks > max_u16 || calendar > case_rules.calendars().size()) in.fail();
        st.marks = static_cast<std::uint16_t>(marks);
        st.calendar = calendar == 0 ? detail::no_calendar : static_cast<std::uint16_t>(calendar - 1);
        st.since = in.zz();
        st.elapsed = in.zz();
        st.paused = in.zz();
        st.limit = in.zz();
      }
      if (in.failed() || !e.restore_clock(static_cast<case_id>(c), static_cast<clock_id>(j), st))
        return corrupt(in, "bad clock " + fl.clocks[j].name + " of case " + std::to_string(c));
    }
  }
  for (const case_kind& k : kinds)
    if (k.named != 0) return corrupt(in, "fewer named cases than the case kinds count");

  const std::uint64_t deadlines = in.uv();
  if (in.failed() || deadlines > in.remaining() / 3) return corrupt(in, "truncated deadline table");
  for (std::uint64_t i = 0; i < deadlines; ++i) {
    const std::uint64_t c = in.uv();
    const std::uint64_t t = in.uv();
    const std::int64_t due = in.zz();
    if (in.failed()) return corrupt(in, "truncated deadline table");
    if (c > no_id32 || t > max_u16 ||
        !e.restore_deadline(static_cast<case_id>(c), static_cast<timer_id>(t),
                            static_cast<timestamp>(static_cast<std::uint64_t>(now) + static_cast<std::uint64_t>(due))))
      return corrupt(in, "deadline " + std::to_string(i) + " names an unknown or running timer");
  }
  for (std::size_t v = 0; v < e.slot_count(); ++v)
    if (e.slot_rules(v))
      if (store_status t = decode_triggers(in, e, v); !t) return t;
  if (in.failed() || !in.at_end()) return corrupt(in, "trailing bytes");
  e.restore_now(now);
  return {};
}

}  // namespace

store_status decode_engine(std::string_view bytes, engine& e) {
  if (e.case_count() != 0) return store_status::error(store_code::invalid, "decode_engine: the engine already has cases");
  reader in(bytes);
  if (in.expect(magic)) return decode_v5(in, e);
  return decode_older(bytes, e);
}

}  // namespace crmflow
