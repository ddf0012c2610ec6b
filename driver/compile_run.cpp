// compile_run.cpp — see compile_run.h.
#include "driver/compile_run.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "hw/isa/program_io.h"
#include "traces/roofline.h"
#include "util/file_io.h"

namespace saie::driver {

namespace fs = std::filesystem;

void ensure_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create folder '" + dir + "': " + ec.message());
}

compiler::CompileResult compile_bundle(ir::Graph g, const config::ArrayConfig& cfg, bool dense,
                                       const std::string& dump_after, const std::string& dump_dir,
                                       std::string* dump_path) {
  compiler::CompileOptions opt;
  opt.dense = dense;
  bool dumped = false;
  if (!dump_after.empty()) {
    const std::vector<std::string> stages = compiler::compile_stages();
    if (std::find(stages.begin(), stages.end(), dump_after) == stages.end())
      throw std::runtime_error("--dump-after: unknown stage '" + dump_after + "'");
    opt.dump = [&](const std::string& stage, const std::string& text) {
      if (stage != dump_after) return;
      ensure_dir(dump_dir);
      const std::string path = dump_dir + "/after-" + stage + ".txt";
      util::write_file_atomic(path, text);
      if (dump_path) *dump_path = path;
      dumped = true;
    };
  }
  compiler::CompileResult r = compiler::compile(std::move(g), cfg, opt);
  if (!dump_after.empty() && !dumped) throw std::runtime_error("--dump-after: stage '" + dump_after + "' did not run");
  return r;
}

void write_compiled(const compiler::CompileResult& cr, const config::ArrayConfig& cfg, const std::string& dir) {
  ensure_dir(dir);
  isa::write_program_file(cr.program, dir + "/program.bin");
  util::write_file_atomic(dir + "/program.txt", isa::listing(cr.program));
  util::write_file_atomic(dir + "/schedule.txt", cr.schedule_listing);
  util::write_file_atomic(dir + "/config.json", config::to_json(cfg));
  util::write_file_atomic(dir + "/roofline.json", traces::roofline_json(cr.roofline));
}

std::string program_roofline_path(const std::string& program_path) {
  return (fs::path(program_path).parent_path() / "roofline.json").string();
}

std::string program_config_path(const std::string& program_path) {
  return (fs::path(program_path).parent_path() / "config.json").string();
}

}  // namespace saie::driver
