// Everything a host needs: include this one header.
#pragma once

#include "crmflow/audit_trail.hpp"
#include "crmflow/clock.hpp"
#include "crmflow/diagnostic.hpp"
#include "crmflow/durable_engine.hpp"
#include "crmflow/engine.hpp"
#include "crmflow/graph.hpp"
#include "crmflow/observer.hpp"
#include "crmflow/rule_set.hpp"
#include "crmflow/snapshot.hpp"
#include "crmflow/store.hpp"
#include "crmflow/time.hpp"
#include "crmflow/value.hpp"
