// The whole state of an engine as bytes, and back: cases (name, flow, state, fields, history),
// running deadlines in firing order, the triggers' live windows, and now(). Used by durable_engine for snapshots; usable
// on its own to copy or inspect an engine.
//
// The format is self-checking against the rule set (the rules' text is written and compared)
// but carries no checksum: the store adds one. Each distinct string is written once as text
// (a string table, in order of first use) and fields by their declared type, so bytes do not
// depend on string ids. Layout CRMFSNP5 (docs/store.md); CRMFSNP2-4 are still read. It is exact:
// encode_engine(restored) == encode_engine(original), byte for byte, and the restored engine
// handles any further input exactly as the original would.
#pragma once

#include <string>
#include <string_view>

#include "crmflow/engine.hpp"
#include "crmflow/export.hpp"
#include "crmflow/store.hpp"

namespace crmflow {

// Serialises `e`. O(cases + fields + history + deadlines log deadlines + live trigger keys
// log keys); allocates the result and a table indexed by string id.
// Not the observers, options, clock, or interned strings that no field holds.
CRMFLOW_EXPORT std::string encode_engine(const engine& e);

// Restores bytes from encode_engine into `e`, which must have no cases and run the same rule
// set (or one with the same flows, fields and ids). Tells no observer and runs no action.
// O(bytes + cases + fields + deadlines log deadlines); each distinct string is interned once
// and the engine's case arrays are reserved up front (CRMFSNP5). On error
// (store_code::corrupted for bad bytes, naming the section and byte; invalid for a non-empty
// engine or a rule set that does not match) `e` may hold part of the state: discard it
// (durable_engine does). A truncated CRMFSNP5 snapshot is mostly refused before any case.
CRMFLOW_EXPORT store_status decode_engine(std::string_view bytes, engine& e);

}  // namespace crmflow
