// simulate_command.h — the driver's `compile`, `simulate` and `run` subcommands: CLI11 wiring of
// their options into driver requests (driver/compile_run.h, driver/simulate_run.h) and what they
// print.
#pragma once

#include "driver/compile_run.h"
#include "driver/simulate_run.h"

namespace CLI {
class App;
}

namespace saie::cli {

struct RunArgs {
  driver::CompileRequest compile;
  driver::SimulateRequest simulate;
  bool dense_baseline = true;  // also compile + simulate the dense program (in a child process)
};

// Each adds its subcommand; the structs must outlive parsing. After app.parse(), call finish_*
// (it records which options were given) and then the cmd_*.
CLI::App* add_compile_command(CLI::App& app, driver::CompileRequest& a);
CLI::App* add_simulate_command(CLI::App& app, driver::SimulateRequest& a);
CLI::App* add_run_command(CLI::App& app, RunArgs& a);

int cmd_compile(const driver::CompileRequest& a);
int cmd_simulate(const driver::SimulateRequest& a);
int cmd_run(const RunArgs& a);

}  // namespace saie::cli
