// zoo_names.h — the names `sparseaie zoo` and sweep grids accept (one list; the networks
// themselves are built in trainer/zoo/model_zoo.cpp, which links LibTorch).
#pragma once

#include <string>
#include <vector>

namespace saie::model {

// torchvision classification networks at ImageNet shapes: alexnet, inception_v3 (input 299),
// resnet50, vgg16, vgg16_features (VGG-16's convolutional part, which the paper times) and
// wide_resnet50_2.
inline const std::vector<std::string>& zoo_model_names() {
  static const std::vector<std::string> names{"alexnet",         "inception_v3", "resnet50",
                                              "vgg16",           "vgg16_features", "wide_resnet50_2"};
  return names;
}

// "a, b, ... or z" for help texts and error lines.
inline std::string zoo_model_list() {
  const auto& v = zoo_model_names();
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i == 0 ? "" : i + 1 == v.size() ? " or " : ", ") + v[i];
  return s;
}

}  // namespace saie::model
