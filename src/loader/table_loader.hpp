// `tables:` sections -> decision tables compiled into the flows that use them. A table names
// case fields, so it is typed by each flow whose `decide` action names it; tables may live in
// any file of the set, so they are compiled after every file's flows (as triggers are).
#pragma once

#include <string>
#include <vector>

#include "crmflow/detail/program.hpp"
#include "crmflow/detail/string_pool.hpp"
#include "crmflow/diagnostic.hpp"
#include "loader/yaml_reader.hpp"

namespace crmflow::loader {

// One file's `tables:` value, copied out of its YAML tree.
struct table_source {
  std::string file;
  ydoc node;  // a deep copy: the file's tree is gone by the time this is read
};

// Checks every table of `sources` (names, keys, rows, hit policy), then compiles each table
// into every flow of `flows` whose `decide` actions name it: the flow walk leaves in
// flow.tables one entry per table named, holding only the name, and this fills it in (rows in
// the order the engine tries them, tests, outputs). Per using flow, checks the fields and
// values against the flow's types, and that no input falls through (a gap: no row matches and
// there is no default) and, under `hit: unique` (or between rows of equal priority), that no
// two rows match one input. Strings are interned in `literals`. Appends every problem to `diags`
// (a table unused by any flow gets a warning); the flows are only meaningful if no error was
// added.
void compile_tables(const std::vector<table_source>& sources,
                    std::vector<detail::flow_program>& flows, detail::string_pool& literals,
                    std::vector<diagnostic>& diags);

}  // namespace crmflow::loader
