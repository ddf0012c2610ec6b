// compile_run.cpp — see compile_run.h.
#include "driver/compile_run.h"

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

compiler::CompileResult compile_bundle(ir::Graph g, const config::ArrayConfig& cfg, bool dense) {
  compiler::CompileOptions opt;
  opt.dense = dense;
  return compiler::compile(std::move(g), cfg, opt);
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
