// verify_program.h — structural checks of a lowered program against the target: resource ids
// and counts, address ranges, lock values, routes for every task, and that every route's
// source sends exactly as many bytes as each destination receives.
#pragma once

#include <string>
#include <vector>

#include "compiler/target/target_model.h"
#include "hw/isa/program.h"

namespace saie::lower {

// Returns one line per problem (empty = the program passes). Each line names the phase and
// the tile/channel/BD involved.
std::vector<std::string> verify_program(const isa::Program& p, const target::TargetModel& tm);

// Bytes a task moves: follows its BD chain for bd_executions executions (or until next_bd = -1).
// Returns 0 when the chain refers to a missing BD.
uint64_t task_bytes(const isa::Phase& ph, const isa::DmaTask& t);

}  // namespace saie::lower
