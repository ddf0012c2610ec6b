// main.cpp — the sparseaie driver: argument parsing only (CLI11); the commands call the libraries
// (driver/, compiler/, traces/). train, import and zoo need LibTorch: sparseaie checks their
// arguments, then hands the command line over to sparseaie-trainer next to it (torch_commands.h),
// so every other command starts without loading LibTorch.
//
// libsystemc.so defines main() and wants an sc_main: we define our own main() so the SystemC
// banner is off before the library prints it (SYSTEMC_DISABLE_COPYRIGHT_MESSAGE; a user's own
// setting wins), and an sc_main for the link.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "cli/check_timing_command.h"
#include "cli/estimate_command.h"
#include "cli/report_command.h"
#include "cli/simulate_command.h"
#include "cli/sweep_command.h"
#include "cli/torch_commands.h"
#include "driver/child_process.h"
#include "driver/exit_codes.h"

namespace {

// Replaces this process by sparseaie-trainer with the same arguments; returns only on failure.
int hand_over_to_trainer(const std::string& command, int argc, char** argv) {
  const std::string exe = saie::driver::sibling_exe("sparseaie-trainer");
  if (::access(exe.c_str(), X_OK) != 0) {
    std::fprintf(stderr,
                 "error: '%s' needs LibTorch, and this sparseaie has no %s next to it (built with SAIE_WITH_TORCH=OFF?)\n",
                 command.c_str(), exe.c_str());
    return saie::driver::kError;
  }
  std::vector<char*> args(argv, argv + argc);
  args[0] = const_cast<char*>(exe.c_str());
  args.push_back(nullptr);
  std::fflush(nullptr);
  ::execv(exe.c_str(), args.data());
  std::fprintf(stderr, "error: cannot start %s: %s\n", exe.c_str(), std::strerror(errno));
  return saie::driver::kError;
}

}  // namespace

static int run_driver(int argc, char** argv) {
  using namespace saie::cli;
  CLI::App app{"sparseaie — weight block sparsity from LibTorch training to a simulated AMD AIE2 array"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "sparseaie 0.1.0");

  TrainArgs ta;
  add_train_command(app, ta);
  saie::driver::CompileRequest ca;
  add_compile_command(app, ca);
  saie::driver::SimulateRequest sa;
  CLI::App* sim = add_simulate_command(app, sa);
  RunArgs ra;
  CLI::App* run = add_run_command(app, ra);
  ImportArgs ia;
  add_import_command(app, ia);
  ZooArgs za;
  add_zoo_command(app, za);
  EstimateArgs ea;
  add_estimate_command(app, ea);
  CheckTimingArgs cta;
  add_check_timing_command(app, cta);
  saie::driver::sweep::SweepOptions swa;
  add_sweep_command(app, swa);
  ReportArgs rpa;
  add_report_command(app, rpa);

  try {
    app.parse(argc, argv);
    sa.images_set = sim->count("--images") > 0;
    ra.simulate.images_set = run->count("--images") > 0;
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  const std::string command = app.get_subcommands().front()->get_name();
  if (is_torch_command(command)) return hand_over_to_trainer(command, argc, argv);
  try {
    if (command == "compile") return cmd_compile(ca);
    if (command == "simulate") return cmd_simulate(sa);
    if (command == "run") return cmd_run(ra);
    if (command == "estimate") return cmd_estimate(ea);
    if (command == "check-timing") return cmd_check_timing(cta);
    if (command == "sweep") return cmd_sweep(swa);
    if (command == "report") return cmd_report(rpa);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return saie::driver::kError;
  }
  return saie::driver::kError;
}

extern "C" int sc_main(int argc, char** argv) { return run_driver(argc, argv); }  // C linkage, as SystemC declares it

int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  return run_driver(argc, argv);
}
