// exit_codes.h — the exit status of every sparseaie command (docs: README "Errors").
#pragma once

namespace saie::driver {

enum ExitCode : int {
  kOk = 0,
  kError = 1,             // bad arguments, bad input files, compile errors
  kRejected = 2,          // program rejected by the simulator's loader
  kDeadlock = 3,          // simulation stopped making progress
  kMaxCycles = 4,         // --max-cycles exceeded
  kMismatch = 5,          // simulated outputs differ from the reference executor
  kTimingRegression = 6,  // check-timing: a metric moved beyond its tolerance (or the run does not match the golden)
};

}  // namespace saie::driver
