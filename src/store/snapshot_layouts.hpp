// Snapshot layouts other than the current one (snapshot_codec.cpp, docs/store.md): written
// only so that tests can build the older layouts that decode_engine still reads.
#pragma once

#include <string>

#include "crmflow/engine.hpp"
#include "crmflow/export.hpp"

namespace crmflow::store_detail {

// The engine in the CRMFSNP4 layout (before CRMFSNP5's string table and compact fields).
// Same cost as encode_engine.
CRMFLOW_EXPORT std::string encode_engine_v4(const engine& e);

}  // namespace crmflow::store_detail
