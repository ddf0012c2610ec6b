// train_summary.cpp — see train_summary.h.
#include "model/bundle/train_summary.h"

#include <filesystem>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "util/file_io.h"

namespace saie::bundle {

std::optional<TrainAccuracy> read_train_accuracy(const std::string& bundle_dir) {
  const std::string path = (std::filesystem::path(bundle_dir) / "train_summary.json").string();
  if (!std::filesystem::exists(path)) return std::nullopt;
  try {
    const nlohmann::json j = nlohmann::json::parse(util::read_file(path));
    if (!j.is_object() || j.value("format", "") != kTrainSummaryFormat)
      throw std::runtime_error(std::string("not a ") + kTrainSummaryFormat + " file");
    if (j.value("version", "") != kTrainSummaryVersion)
      throw std::runtime_error("version " + j.value("version", std::string("?")) + ", this build reads " + kTrainSummaryVersion);
    TrainAccuracy a;
    a.float_accuracy = j.at("float_accuracy").get<double>();
    a.int8_accuracy = j.at("int8_accuracy").get<double>();
    a.int8_eval_images = j.at("int8_eval_images").get<int64_t>();
    return a;
  } catch (const nlohmann::json::exception& e) {
    std::string m = e.what();
    const size_t b = m.find("] ");
    throw std::runtime_error(path + ": " + (b == std::string::npos ? m : m.substr(b + 2)));
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

}  // namespace saie::bundle
