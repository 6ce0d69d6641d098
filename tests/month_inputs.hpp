// examples/data/month.jsonl as a list of engine inputs, for the store and crash tests: each
// line becomes create_case (with its data as fields) or post; an advance_to is added every
// 40 inputs and at the end (30 days after the last line), so every deadline fires.
#pragma once

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "crmflow/durable_engine.hpp"
#include "crmflow/rule_set.hpp"
#include "crmflow/time.hpp"

namespace crmflow_test {

struct month_input {
  crmflow::record_kind kind;
  std::string flow;   // create_case
  std::string name;   // create_case, post
  std::string event;  // post
  crmflow::timestamp at = 0;
  nlohmann::json data;
};

inline std::vector<month_input> load_month() {
  std::ifstream in(CRMFLOW_SOURCE_DIR "/examples/data/month.jsonl");
  std::vector<month_input> out;
  std::string line;
  crmflow::timestamp last = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const nlohmann::json j = nlohmann::json::parse(line);
    month_input m;
    m.at = *crmflow::parse_timestamp(j.at("at").get<std::string>());
    m.name = j.at("case").get<std::string>();
    m.data = j.value("data", nlohmann::json::object());
    if (j.contains("flow")) {
      m.kind = crmflow::record_kind::create_case;
      m.flow = j.at("flow").get<std::string>();
    } else {
      m.kind = crmflow::record_kind::post;
      m.event = j.at("event").get<std::string>();
    }
    if (out.size() % 40 == 39) out.push_back({crmflow::record_kind::advance_to, {}, {}, {}, m.at - 1, {}});
    out.push_back(std::move(m));
    last = std::max(last, out.back().at);
  }
  out.push_back({crmflow::record_kind::advance_to, {}, {}, {}, last + 30 * crmflow::days_ms, {}});
  return out;
}

// Converts JSON to a raw value of a declared type, interning strings through `host`.
template <class Host>
crmflow::raw_value to_raw(Host& host, const crmflow::detail::flow_program& fl, crmflow::value_type t,
                          std::uint32_t enum_index, const nlohmann::json& j) {
  using crmflow::value_type;
  switch (t) {
    case value_type::string: return host.intern(j.get<std::string>());
    case value_type::integer: return j.get<std::int64_t>();
    case value_type::boolean: return j.get<bool>() ? 1 : 0;
    case value_type::enumeration: {
      const auto& values = fl.enums[enum_index].values;
      for (std::size_t i = 0; i < values.size(); ++i)
        if (values[i] == j.get<std::string>()) return static_cast<crmflow::raw_value>(i);
      return -1;
    }
    case value_type::timestamp: return *crmflow::parse_timestamp(j.get<std::string>());
    case value_type::duration: return *crmflow::parse_duration(j.get<std::string>());
  }
  return 0;
}

// Feeds one input to a crmflow::engine (Host = engine) or a durable_engine; `read` gives the
// const engine to look names up in. Returns whether the input was acknowledged.
template <class Host, class Read>
bool feed(Host& host, Read read, const month_input& m, crmflow::data_record& rec) {
  const crmflow::rule_set& rules = read().rules();
  rec.clear();
  auto ack = [](const auto& r) {
    if constexpr (requires { r.stored; }) return r.acknowledged();
    else return true;
  };
  switch (m.kind) {
    case crmflow::record_kind::create_case: {
      const crmflow::flow_id f = *rules.find_flow(m.flow);
      const auto& fl = rules.flow(f);
      for (const auto& [k, v] : m.data.items()) {
        const crmflow::field_id id = *rules.find_field(f, k);
        rec.set(id, to_raw(host, fl, fl.fields[id].type, fl.fields[id].enum_index, v));
      }
      return ack(host.create_case(f, m.name, m.at, &rec));
    }
    case crmflow::record_kind::post: {
      const crmflow::case_id c = read().find_case(m.name).value_or(crmflow::no_id32);
      crmflow::event_id e = crmflow::no_id16;
      if (c != crmflow::no_id32) {
        const crmflow::flow_id f = read().case_flow(c);
        const auto& fl = rules.flow(f);
        e = rules.find_event(f, m.event).value_or(crmflow::no_id16);
        if (e != crmflow::no_id16)
          for (const auto& [k, v] : m.data.items())
            if (auto s = rules.find_slot(f, e, k))
              rec.set(*s, to_raw(host, fl, fl.events[e].data[*s].type, fl.events[e].data[*s].enum_index, v));
      }
      return ack(host.post(c, e, rec, m.at));
    }
    case crmflow::record_kind::advance_to: return ack(host.advance_to(m.at));
    case crmflow::record_kind::publish: return false;  // the demo month publishes no rules
  }
  return false;
}

// The bundled complaint flow, loaded once per test program.
inline std::shared_ptr<const crmflow::rule_set> complaint_rules() {
  static std::shared_ptr<const crmflow::rule_set> rules = [] {
    crmflow::load_result r = crmflow::load_rules({CRMFLOW_SOURCE_DIR "/rules/complaint.yaml"});
    BOOST_TEST_REQUIRE(r.ok());
    return r.rules;
  }();
  return rules;
}

// The demo month as inputs, read once per test program.
inline const std::vector<month_input>& month() {
  static const std::vector<month_input> m = load_month();
  return m;
}

}  // namespace crmflow_test
