// bundle_io.cpp — strict reader and deterministic writer of model bundles (docs/bundle-format.md).
#include "model/bundle/bundle_io.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "model/bundle/safetensors.h"
#include "util/file_io.h"

namespace saie::bundle {

namespace {

using nlohmann::json;
using ojson = nlohmann::ordered_json;  // writer: keys in the documented order

constexpr const char* kFormat = "sparseaie-bundle";
constexpr const char* kVersion = "1.0";
constexpr int kMajor = 1;

[[noreturn]] void fail(const std::string& msg) { throw BundleError(msg); }

// ---------------------------------------------------------------------------------------------
// Reading: small typed accessors that name the object ("node 'conv2'") and key in every error.

struct Obj {
  const json& j;
  std::string where;  // e.g. "model.json: node 'conv2'"

  void only(std::initializer_list<const char*> allowed) const {
    for (auto it = j.begin(); it != j.end(); ++it) {
      bool ok = false;
      for (const char* a : allowed) ok = ok || it.key() == a;
      if (!ok) fail(where + ": unknown key '" + it.key() + "'");
    }
  }
  bool has(const char* k) const { return j.contains(k); }
  const json& get(const char* k) const {
    if (!j.contains(k)) fail(where + ": missing key '" + k + "'");
    return j.at(k);
  }
  std::string str(const char* k) const {
    const json& v = get(k);
    if (!v.is_string()) fail(where + ": key '" + k + "' must be a string");
    return v.get<std::string>();
  }
  double num(const char* k) const {
    const json& v = get(k);
    if (!v.is_number()) fail(where + ": key '" + k + "' must be a number");
    return v.get<double>();
  }
  bool boolean(const char* k) const {
    const json& v = get(k);
    if (!v.is_boolean()) fail(where + ": key '" + k + "' must be true or false");
    return v.get<bool>();
  }
  uint32_t u32(const json& v, const std::string& k) const {
    if (!v.is_number_unsigned() || v.get<uint64_t>() > 0xffffffffull)
      fail(where + ": key '" + k + "' must hold unsigned 32-bit integers");
    return static_cast<uint32_t>(v.get<uint64_t>());
  }
  std::vector<uint32_t> u32s(const char* k, size_t n) const {
    const json& v = get(k);
    if (!v.is_array() || v.size() != n) fail(where + ": key '" + k + "' must be an array of " + std::to_string(n) + " integers");
    std::vector<uint32_t> out;
    for (const json& e : v) out.push_back(u32(e, k));
    return out;
  }
  uint32_t u32(const char* k) const { return u32(get(k), k); }
};

ir::Shape read_shape(const Obj& o) {
  std::vector<uint32_t> s = o.u32s("shape", 3);
  return ir::Shape{s[0], s[1], s[2]};
}

float read_scale(const Obj& o, const char* k) {
  const double s = o.num(k);
  if (!(s > 0) || !std::isfinite(s) || s > 3.4e38) fail(o.where + ": key '" + k + "' must be positive and finite");
  return static_cast<float>(s);
}

void check_version(const std::string& v, const std::string& where) {
  const size_t dot = v.find('.');
  int major = -1;
  try {
    size_t used = 0;
    major = std::stoi(v.substr(0, dot), &used);
    if (used != v.substr(0, dot).size() || dot == std::string::npos) major = -1;
  } catch (const std::exception&) {
    major = -1;
  }
  if (major != kMajor) fail(where + ": unsupported version '" + v + "' (this reader knows " + kVersion + ")");
}

const RawTensor& tensor(const SafetensorsFile& st, const std::string& name, const std::string& where, DType dt,
                        const std::vector<uint64_t>& shape) {
  auto it = st.tensors.find(name);
  if (it == st.tensors.end()) fail(where + ": tensor '" + name + "' is not in weights.safetensors");
  const RawTensor& t = it->second;
  if (t.dtype != dt)
    fail(where + ": tensor '" + name + "' has dtype " + dtype_name(t.dtype) + ", expected " + dtype_name(dt));
  if (t.shape != shape) {
    std::ostringstream os;
    os << where << ": tensor '" << name << "' has shape [";
    for (size_t i = 0; i < t.shape.size(); ++i) os << (i ? ", " : "") << t.shape[i];
    os << "], expected [";
    for (size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
    os << "]";
    fail(os.str());
  }
  return t;
}

ir::BlockMask read_mask(const Obj& node, uint32_t bo, uint32_t bi, uint32_t cout, uint32_t cin) {
  const json& mj = node.get("mask");
  Obj m{mj, node.where + ": mask"};
  if (!mj.is_object()) fail(m.where + " must be an object");
  m.only({"rows", "cols", "bits"});
  ir::BlockMask mask;
  mask.bo = bo;
  mask.bi = bi;
  mask.rows = m.u32("rows");
  mask.cols = m.u32("cols");
  // Any non-zero block shape (1x1, 4x16, 8x8, 16x4, ...); 64-bit so a huge bo cannot wrap.
  const uint64_t want_rows = (uint64_t{cout} + bo - 1) / bo, want_cols = (uint64_t{cin} + bi - 1) / bi;
  if (mask.rows != want_rows || mask.cols != want_cols)
    fail(m.where + " is " + std::to_string(mask.rows) + "x" + std::to_string(mask.cols) + ", expected " +
         std::to_string(want_rows) + "x" + std::to_string(want_cols) + " (ceil(cout/bo) x ceil(cin/bi))");
  const json& bits = m.get("bits");
  if (!bits.is_array() || bits.size() != mask.rows)
    fail(m.where + ": 'bits' must be an array of " + std::to_string(mask.rows) + " strings");
  for (size_t r = 0; r < bits.size(); ++r) {
    if (!bits[r].is_string()) fail(m.where + ": bits[" + std::to_string(r) + "] must be a string");
    const std::string row = bits[r].get<std::string>();
    if (row.size() != mask.cols)
      fail(m.where + ": bits[" + std::to_string(r) + "] has " + std::to_string(row.size()) + " characters, expected " +
           std::to_string(mask.cols));
    for (char c : row) {
      if (c != '0' && c != '1') fail(m.where + ": bits[" + std::to_string(r) + "] must contain only '0' and '1'");
      mask.bits.push_back(c == '1' ? 1 : 0);
    }
  }
  return mask;
}

// ---------------------------------------------------------------------------------------------
// Writing.

// The shortest decimal that reads back as the same float, stored as a double, so model.json
// shows 0.031 rather than 0.03099999949336052 and still round-trips exactly.
double float_for_json(float f) {
  char buf[64];
  for (int prec = 6; prec <= 9; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, static_cast<double>(f));
    if (std::strtof(buf, nullptr) == f) return std::strtod(buf, nullptr);
  }
  return static_cast<double>(f);
}

ojson shape_json(const ir::Shape& s) { return ojson::array({s.h, s.w, s.c}); }

}  // namespace

ir::Graph read_bundle(const std::string& dir) {
  namespace fs = std::filesystem;
  const std::string model_path = (fs::path(dir) / "model.json").string();
  const std::string weights_path = (fs::path(dir) / "weights.safetensors").string();

  json root;
  {
    std::string bytes;
    try {
      bytes = util::read_file(model_path);
    } catch (const util::FileError& e) {
      fail(e.what());
    }
    try {
      root = json::parse(bytes.begin(), bytes.end());
    } catch (const json::exception& e) {
      std::string m = e.what();
      for (char& c : m)
        if (c == '\n') c = ' ';
      fail(model_path + ": invalid JSON: " + m);
    }
  }
  SafetensorsFile st;
  try {
    st = read_safetensors(weights_path);
  } catch (const SafetensorsError& e) {
    fail(e.what());
  }

  const std::string mj = "model.json";
  if (!root.is_object()) fail(mj + ": top level must be an object");
  Obj top{root, mj};
  top.only({"format", "version", "name", "block", "provenance", "input", "nodes", "output"});
  if (top.str("format") != kFormat) fail(mj + ": unknown format '" + top.str("format") + "'");
  check_version(top.str("version"), mj);

  auto meta_fmt = st.metadata.find("format");
  auto meta_ver = st.metadata.find("version");
  if (meta_fmt == st.metadata.end() || meta_fmt->second != kFormat)
    fail("weights.safetensors: __metadata__ 'format' must be '" + std::string(kFormat) + "'");
  if (meta_ver == st.metadata.end()) fail("weights.safetensors: __metadata__ 'version' missing");
  check_version(meta_ver->second, "weights.safetensors: __metadata__");

  ir::Graph g;
  g.name = top.str("name");
  std::vector<uint32_t> block = top.u32s("block", 2);
  if (block[0] == 0 || block[1] == 0) fail(mj + ": key 'block' must be non-zero");
  g.block_o = block[0];
  g.block_i = block[1];

  if (top.has("provenance")) {
    const json& pj = top.get("provenance");
    Obj p{pj, mj + ": provenance"};
    if (!pj.is_object()) fail(p.where + " must be an object");
    p.only({"dataset", "model", "float_accuracy", "notes"});
    if (p.has("dataset")) g.provenance.dataset = p.str("dataset");
    if (p.has("model")) g.provenance.model = p.str("model");
    if (p.has("float_accuracy")) g.provenance.float_accuracy = p.num("float_accuracy");
    if (p.has("notes")) g.provenance.notes = p.str("notes");
  }

  std::map<std::string, int> index;  // node name -> node index
  {
    const json& ij = top.get("input");
    Obj in{ij, mj + ": input"};
    if (!ij.is_object()) fail(in.where + " must be an object");
    in.only({"name", "shape", "scale"});
    ir::Node n;
    n.name = in.str("name");
    in.where = mj + ": input '" + n.name + "'";
    n.op = ir::OpKind::Input;
    n.out = read_shape(in);
    n.out_scale = read_scale(in, "scale");
    index[n.name] = 0;
    g.nodes.push_back(std::move(n));
  }

  const json& nodes = top.get("nodes");
  if (!nodes.is_array()) fail(mj + ": key 'nodes' must be an array");
  std::set<std::string> used_tensors;
  for (size_t ni = 0; ni < nodes.size(); ++ni) {
    const json& nj = nodes[ni];
    Obj o{nj, mj + ": nodes[" + std::to_string(ni) + "]"};
    if (!nj.is_object()) fail(o.where + " must be an object");
    ir::Node n;
    n.name = o.str("name");
    o.where = mj + ": node '" + n.name + "'";
    if (index.count(n.name)) fail(o.where + ": duplicate name");
    const std::string op = o.str("op");
    try {
      n.op = ir::op_from_name(op);
    } catch (const std::invalid_argument&) {
      fail(o.where + ": unknown op '" + op + "'");
    }
    switch (n.op) {
      case ir::OpKind::Input: fail(o.where + ": op 'input' is only allowed as the top-level 'input'");
      case ir::OpKind::Conv:
        o.only({"name", "op", "inputs", "shape", "scale", "kernel", "stride", "pad", "groups", "relu", "weight", "bias",
                "weight_scales", "sparse", "sparsity", "mask"});
        break;
      case ir::OpKind::Fc:
        o.only({"name", "op", "inputs", "shape", "scale", "kernel", "stride", "pad", "relu", "weight", "bias",
                "weight_scales", "sparse", "sparsity", "mask"});
        break;
      case ir::OpKind::MaxPool: o.only({"name", "op", "inputs", "shape", "scale", "kernel", "stride", "pad", "ceil_mode"}); break;
      case ir::OpKind::AvgPool:
        o.only({"name", "op", "inputs", "shape", "scale", "kernel", "stride", "pad", "ceil_mode", "count_include_pad"});
        break;
      case ir::OpKind::Add: o.only({"name", "op", "inputs", "shape", "scale", "relu"}); break;
      case ir::OpKind::Relu:
      case ir::OpKind::Mul:
      case ir::OpKind::Concat: o.only({"name", "op", "inputs", "shape", "scale"}); break;
      case ir::OpKind::Lut: o.only({"name", "op", "inputs", "shape", "scale", "function", "table"}); break;
    }
    const json& inputs = o.get("inputs");
    if (!inputs.is_array()) fail(o.where + ": key 'inputs' must be an array of node names");
    for (const json& in : inputs) {
      if (!in.is_string()) fail(o.where + ": key 'inputs' must be an array of node names");
      auto it = index.find(in.get<std::string>());
      if (it == index.end()) fail(o.where + ": input '" + in.get<std::string>() + "' is not an earlier node");
      n.inputs.push_back(it->second);
    }
    if (n.op == ir::OpKind::Concat) {
      if (n.inputs.size() < 2)
        fail(o.where + ": 'concat' takes at least 2 inputs, has " + std::to_string(n.inputs.size()));
    } else {
      const size_t arity = n.op == ir::OpKind::Add || n.op == ir::OpKind::Mul ? 2 : 1;
      if (n.inputs.size() != arity)
        fail(o.where + ": '" + op + "' takes " + std::to_string(arity) + " input(s), has " +
             std::to_string(n.inputs.size()));
    }
    n.out = read_shape(o);
    n.out_scale = read_scale(o, "scale");
    const ir::Shape in_shape = g.nodes[static_cast<size_t>(n.inputs[0])].out;

    const bool windowed = n.op == ir::OpKind::Conv || n.op == ir::OpKind::MaxPool || n.op == ir::OpKind::AvgPool;
    if (n.op == ir::OpKind::Fc) {
      // The kernel of an fc is implied by its input; kernel/stride/pad are optional and checked.
      n.kh = in_shape.h;
      n.kw = in_shape.w;
    }
    if (windowed || (n.op == ir::OpKind::Fc && o.has("kernel"))) {
      std::vector<uint32_t> k = o.u32s("kernel", 2);
      n.kh = k[0];
      n.kw = k[1];
    }
    if (windowed || (n.op == ir::OpKind::Fc && o.has("stride"))) {
      std::vector<uint32_t> s = o.u32s("stride", 2);
      n.stride_h = s[0];
      n.stride_w = s[1];
    }
    if (windowed || (n.op == ir::OpKind::Fc && o.has("pad"))) {
      std::vector<uint32_t> p = o.u32s("pad", 2);
      n.pad_h = p[0];
      n.pad_w = p[1];
    }
    if (n.op == ir::OpKind::Conv || n.op == ir::OpKind::Fc || n.op == ir::OpKind::Add) n.relu = o.boolean("relu");
    if ((n.op == ir::OpKind::MaxPool || n.op == ir::OpKind::AvgPool) && o.has("ceil_mode")) n.ceil_mode = o.boolean("ceil_mode");
    if (n.op == ir::OpKind::AvgPool && o.has("count_include_pad")) n.count_include_pad = o.boolean("count_include_pad");
    if (n.op == ir::OpKind::Lut) {
      n.act = o.str("function");
      const json& t = o.get("table");
      if (!t.is_array() || t.size() != ir::kLutEntries)
        fail(o.where + ": key 'table' must be an array of " + std::to_string(ir::kLutEntries) + " integers in [-128, 127]");
      for (const json& e : t) {
        if (!e.is_number_integer() || e.get<int64_t>() < -128 || e.get<int64_t>() > 127)
          fail(o.where + ": key 'table' must be an array of " + std::to_string(ir::kLutEntries) +
               " integers in [-128, 127]");
        n.lut.push_back(static_cast<int8_t>(e.get<int64_t>()));
      }
    }

    if (n.op == ir::OpKind::Conv || n.op == ir::OpKind::Fc) {
      const uint32_t cout = n.out.c, cin = in_shape.c;
      const std::string wn = o.str("weight"), bn = o.str("bias"), sn = o.str("weight_scales");
      for (const std::string& t : {wn, bn, sn})
        if (!used_tensors.insert(t).second) fail(o.where + ": tensor '" + t + "' is used twice");
      if (o.has("groups")) {
        n.groups = o.u32("groups");
        if (n.groups == 0 || cin % n.groups != 0 || cout % n.groups != 0)
          fail(o.where + ": key 'groups' (" + std::to_string(n.groups) + ") must divide the input channels " +
               std::to_string(cin) + " and the output channels " + std::to_string(cout));
      }
      // (a grouped conv's tensor holds each output channel's own group of input channels)
      n.weight = ir::expand_group_weights(
          as_i8(tensor(st, wn, o.where, DType::I8, {cout, n.kh, n.kw, cin / n.groups})), cout,
          uint64_t{n.kh} * n.kw, cin, n.groups);
      n.bias = as_i32(tensor(st, bn, o.where, DType::I32, {cout}));
      n.weight_scales = as_f32(tensor(st, sn, o.where, DType::F32, {cout}));
      n.sparse = o.boolean("sparse");
      if (o.has("sparsity")) {
        const double s = o.num("sparsity");
        if (!(s >= 0 && s <= 1)) fail(o.where + ": key 'sparsity' must lie in [0, 1]");
      }
      if (n.sparse) {
        n.mask = read_mask(o, g.block_o, g.block_i, cout, cin);
      } else if (o.has("mask")) {  // 'sparsity' stays allowed: informational only
        fail(o.where + ": a dense layer (sparse: false) has no 'mask'");
      }
    }
    index[n.name] = static_cast<int>(g.nodes.size());
    g.nodes.push_back(std::move(n));
  }
  for (const auto& kv : st.tensors)
    if (!used_tensors.count(kv.first)) fail("weights.safetensors: tensor '" + kv.first + "' is not used by any node");

  const std::string out = top.str("output");
  auto it = index.find(out);
  if (it == index.end()) fail(mj + ": output '" + out + "' is not a node");
  g.output = it->second;

  try {
    g.validate();
  } catch (const std::exception& e) {
    fail(mj + ": " + e.what());
  }
  return g;
}

void write_bundle(const ir::Graph& g, const std::string& dir) {
  namespace fs = std::filesystem;
  try {
    g.validate();
  } catch (const std::exception& e) {
    fail(std::string("write_bundle: ") + e.what());
  }
  for (const ir::Node& n : g.nodes)
    if (ir::has_fused_add(n) || ir::has_fused_lut(n) || ir::is_gate_conv(n))
      fail("write_bundle: node '" + n.name + "' carries a fused add, a fused lookup table or a gate (a compiler-internal "
           "form the bundle format has no fields for)");

  ojson root;
  root["format"] = kFormat;
  root["version"] = kVersion;
  root["name"] = g.name;
  root["block"] = ojson::array({g.block_o, g.block_i});
  root["provenance"] = ojson{{"dataset", g.provenance.dataset},
                             {"model", g.provenance.model},
                             {"float_accuracy", g.provenance.float_accuracy},
                             {"notes", g.provenance.notes}};
  const ir::Node& in = g.input();
  root["input"] = ojson{{"name", in.name}, {"shape", shape_json(in.out)}, {"scale", float_for_json(in.out_scale)}};

  SafetensorsFile st;
  st.metadata["format"] = kFormat;
  st.metadata["version"] = kVersion;
  ojson nodes = ojson::array();
  for (size_t i = 1; i < g.nodes.size(); ++i) {
    const ir::Node& n = g.nodes[i];
    ojson j;
    j["name"] = n.name;
    j["op"] = ir::op_name(n.op);
    ojson inputs = ojson::array();
    for (int x : n.inputs) inputs.push_back(g.nodes[static_cast<size_t>(x)].name);
    j["inputs"] = inputs;
    j["shape"] = shape_json(n.out);
    j["scale"] = float_for_json(n.out_scale);
    if (n.op == ir::OpKind::Conv || n.op == ir::OpKind::MaxPool || n.op == ir::OpKind::AvgPool) {
      j["kernel"] = ojson::array({n.kh, n.kw});
      j["stride"] = ojson::array({n.stride_h, n.stride_w});
      j["pad"] = ojson::array({n.pad_h, n.pad_w});
      if (n.groups != 1) j["groups"] = n.groups;
      if (n.ceil_mode) j["ceil_mode"] = true;
      if (!n.count_include_pad) j["count_include_pad"] = false;
    }
    if (n.op == ir::OpKind::Conv || n.op == ir::OpKind::Fc || n.op == ir::OpKind::Add) j["relu"] = n.relu;
    if (n.op == ir::OpKind::Lut) {
      j["function"] = n.act;
      ojson t = ojson::array();
      for (int8_t v : n.lut) t.push_back(int{v});
      j["table"] = std::move(t);
    }
    if (n.op == ir::OpKind::Conv || n.op == ir::OpKind::Fc) {
      const uint64_t cout = n.out.c, cin = g.nodes[static_cast<size_t>(n.inputs[0])].out.c;
      j["weight"] = n.name + ".weight";
      j["bias"] = n.name + ".bias";
      j["weight_scales"] = n.name + ".weight_scales";
      j["sparse"] = n.sparse;
      if (n.sparse) {
        j["sparsity"] = n.mask.sparsity();
        ojson bits = ojson::array();
        for (uint32_t r = 0; r < n.mask.rows; ++r) {
          std::string row;
          for (uint32_t c = 0; c < n.mask.cols; ++c) row.push_back(n.mask.at(r, c) ? '1' : '0');
          bits.push_back(row);
        }
        j["mask"] = ojson{{"rows", n.mask.rows}, {"cols", n.mask.cols}, {"bits", bits}};
      }
      try {
        for (const char* suffix : {".weight", ".bias", ".weight_scales"})
          if (st.tensors.count(n.name + suffix)) fail("write_bundle: tensor '" + n.name + suffix + "' would be written twice");
        st.tensors[n.name + ".weight"] =
            make_i8(ir::group_slice_weights(n.weight, static_cast<uint32_t>(cout), uint64_t{n.kh} * n.kw,
                                            static_cast<uint32_t>(cin), n.groups),
                    {cout, n.kh, n.kw, cin / n.groups});
        st.tensors[n.name + ".bias"] = make_i32(n.bias, {cout});
        st.tensors[n.name + ".weight_scales"] = make_f32(n.weight_scales, {cout});
      } catch (const SafetensorsError& e) {
        fail("write_bundle: node '" + n.name + "': " + e.what());
      }
    }
    nodes.push_back(std::move(j));
  }
  root["nodes"] = std::move(nodes);
  root["output"] = g.nodes[static_cast<size_t>(g.output)].name;

  const std::string text = root.dump(2) + "\n";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail("write_bundle: cannot create directory '" + dir + "': " + ec.message());
  const std::string model_path = (fs::path(dir) / "model.json").string();
  const std::string weights_path = (fs::path(dir) / "weights.safetensors").string();
  try {
    // Both files are complete under their temporary names before either replaces an old file.
    util::StagedFile weights(weights_path), model(model_path);
    weights.write(serialize_safetensors(st));
    model.write(text);
    weights.commit();
    model.commit();
  } catch (const util::FileError& e) {
    fail(std::string("write_bundle: ") + e.what());
  }
}

}  // namespace saie::bundle
