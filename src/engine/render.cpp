// The parts of the engine that produce text: only reached when someone listens.
#include <string>

#include "crmflow/engine.hpp"
#include "crmflow/time.hpp"

namespace crmflow {
namespace {

void append_value(std::string& out, const engine& eng, const detail::flow_program& fl,
                  value_type type, std::uint32_t enum_index, raw_value v) {
  switch (type) {
    case value_type::string: out += eng.text(v); break;
    case value_type::integer: out += std::to_string(v); break;
    case value_type::boolean: out += v ? "true" : "false"; break;
    case value_type::enumeration: {
      const auto& values = fl.enums[enum_index].values;
      if (v >= 0 && static_cast<std::size_t>(v) < values.size()) out += values[static_cast<std::size_t>(v)];
      break;
    }
    case value_type::timestamp:
      append_timestamp(out, v, eng.options().display_utc_offset_minutes);
      break;
    case value_type::duration: append_duration(out, v); break;
  }
}

}  // namespace

std::string engine::field_text(case_id c, field_id f) const {
  const raw_value v = field(c, f);
  const detail::flow_program& fl = program(cases_[c]);
  std::string out;
  append_value(out, *this, fl, fl.fields[f].type, fl.fields[f].enum_index, v);
  return out;
}

void engine::render(case_id c, std::uint32_t t, std::string& out) const {
  out.clear();
  const case_record& rec = cases_.at(c);
  const detail::flow_program& fl = program(rec);
  if (t >= fl.templates.size()) return;
  const detail::template_def& tpl = fl.templates[t];
  for (std::uint32_t i = 0; i < tpl.count; ++i) {
    const detail::template_segment& seg = fl.segments[tpl.first + i];
    switch (seg.kind) {
      case detail::segment_kind::text: out.append(fl.text, seg.first, seg.length); break;
      case detail::segment_kind::field: {
        const detail::field_def& fd = fl.fields[seg.field];
        append_value(out, *this, fl, fd.type, fd.enum_index, fields_[rec.fields + seg.field]);
        break;
      }
      case detail::segment_kind::case_name:
        if (const std::string_view name = names_.at(c); name.empty()) out += '#' + std::to_string(c);
        else out += name;
        break;
      case detail::segment_kind::state: {
        const detail::state_def& st = fl.states[rec.state];
        out += st.label.empty() ? st.name : st.label;
        break;
      }
      case detail::segment_kind::flow: out += fl.name; break;
    }
  }
}

}  // namespace crmflow
