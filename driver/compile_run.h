// compile_run.h — compiling a bundle for an array and writing what `compile` writes:
// program.bin, program.txt (listing), schedule.txt, config.json (the resolved config, which
// `simulate` takes by default) and roofline.json (the floors, docs/roofline.md).
#pragma once

#include <string>

#include "compiler/compile.h"
#include "hw/config/array_config.h"
#include "model/ir/graph.h"

namespace saie::driver {

struct CompileRequest {
  std::string bundle_dir;
  std::string config = "paper-2x2";  // preset name or config .json
  std::string out_dir;
  bool dense = false;                // ignore the block masks (baseline)
  std::string dump_after;            // a compiler::compile_stages() name: write out_dir/after-STAGE.txt
};

// dump_after (a compiler::compile_stages() name, or empty): the text form of that stage's result
// is written to dump_dir/after-STAGE.txt as soon as the stage has run (so it survives a later
// failure); returns its path in *dump_path. Throws when the stage never ran.
compiler::CompileResult compile_bundle(ir::Graph g, const config::ArrayConfig& cfg, bool dense,
                                       const std::string& dump_after = "", const std::string& dump_dir = "",
                                       std::string* dump_path = nullptr);
// Writes the five files into dir (created if needed), each atomically.
void write_compiled(const compiler::CompileResult& cr, const config::ArrayConfig& cfg, const std::string& dir);
// The config a program was compiled for: <dir of program>/config.json.
std::string program_config_path(const std::string& program_path);
// The roofline compile wrote for a program: <dir of program>/roofline.json.
std::string program_roofline_path(const std::string& program_path);

// Creates dir (and parents); throws "cannot create folder '<dir>': <reason>".
void ensure_dir(const std::string& dir);

}  // namespace saie::driver
