// child_process.h — running work in other processes: a function in a forked child (SystemC allows
// one simulation per process), and a program with its output in a log (the sweep's steps, sbatch,
// the plot script).
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace saie::driver {

// Runs fn() in a forked child and returns its return value as the child's exit status (an
// exception there is printed as "error: <label>: <what>" and gives status 1; a killed child 128 +
// signal). stdout/stderr are flushed before the fork.
int run_in_child(const std::string& label, const std::function<int()>& fn);

// Runs exe with args (argv[0] = exe), stdin from /dev/null, stdout and stderr into log_path, and
// returns its exit status: 128 + signal if it was killed, 127 if it could not be started. The
// child is killed when this process dies (PR_SET_PDEATHSIG), so a killed parent leaves no
// orphans. Throws std::runtime_error if the log cannot be opened or fork fails.
int run_program(const std::string& exe, const std::vector<std::string>& args, const std::string& log_path);

// The one-line reason of a failed run_program: its log's last "error: ..." line, else its last
// line; "killed by signal N" for 128 + N; "exit status N" when the log says nothing. At most 400
// characters.
std::string failure_reason(const std::string& log_path, int code);

// This binary (/proc/self/exe), and a sibling binary in its folder (e.g. "sparseaie-trainer").
std::string self_exe();
std::string sibling_exe(const std::string& name);

// The full path of a program found on PATH ("" if none).
std::string find_on_path(const std::string& name);

// s in single quotes for a POSIX shell.
std::string shell_quote(const std::string& s);

}  // namespace saie::driver
