// train_summary.h — train_summary.json, which `sparseaie train` writes next to a bundle: its
// format tag and the reader of the accuracies it records (the whole file is written by the
// trainer, trainer/train_pipeline.cpp; the driver reads the accuracies so that a simulation
// need not recompute them).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace saie::bundle {

inline constexpr const char* kTrainSummaryFormat = "sparseaie-train-summary";
inline constexpr const char* kTrainSummaryVersion = "1.0";

struct TrainAccuracy {
  double float_accuracy = -1;    // the fine-tuned float model on the test set
  double int8_accuracy = -1;     // the int8 reference executor; -1 = not computed
  int64_t int8_eval_images = 0;  // test images behind int8_accuracy
};

// The accuracies in <bundle_dir>/train_summary.json; nullopt when the bundle has none (an
// imported or zoo bundle). Throws std::runtime_error naming the file when it is not a train
// summary this build reads.
std::optional<TrainAccuracy> read_train_accuracy(const std::string& bundle_dir);

}  // namespace saie::bundle
