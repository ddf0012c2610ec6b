// tile_base.cpp — channel creation, phase reset and start, blocked-agent listing.
#include "hw/tile/tile_base.h"

namespace saie::hw {

TileBase::TileBase(sc_core::sc_module_name name, isa::TileId id, const config::DmaResources& res, SimContext& ctx)
    : sc_core::sc_module(name), id_(id), res_(res), ctx_(ctx), locks_(id, res.locks, ctx), bds_(res.bds) {}

void TileBase::create_channels(tlm_utils::multi_passthrough_target_socket<Memory>& target) {
  create_channels([&](DmaChannel& c, isa::DmaDir, uint32_t) { c.socket.bind(target); });
}

void TileBase::create_channels(const ChannelBinder& bind) {
  for (uint32_t k = 0; k < res_.mm2s_channels; ++k) {
    std::string n = "mm2s_" + std::to_string(k);
    mm2s_.push_back(std::make_unique<DmaChannel>(n.c_str(), id_, isa::DmaDir::MM2S, k, locks_, bds_, ctx_));
    bind(*mm2s_.back(), isa::DmaDir::MM2S, k);
  }
  for (uint32_t k = 0; k < res_.s2mm_channels; ++k) {
    std::string n = "s2mm_" + std::to_string(k);
    s2mm_.push_back(std::make_unique<DmaChannel>(n.c_str(), id_, isa::DmaDir::S2MM, k, locks_, bds_, ctx_));
    bind(*s2mm_.back(), isa::DmaDir::S2MM, k);
  }
}

DmaChannel* TileBase::channel(isa::DmaDir dir, int index) {
  auto& v = dir == isa::DmaDir::MM2S ? mm2s_ : s2mm_;
  return index >= 0 && index < static_cast<int>(v.size()) ? v[index].get() : nullptr;
}

void TileBase::clear_phase() {
  locks_.reset();
  for (auto& b : bds_) b.reset();
  for (auto& c : mm2s_) c->clear();
  for (auto& c : s2mm_) c->clear();
  if (CoreModel* c = core()) c->clear();
}

uint32_t TileBase::start_all() {
  uint32_t n = 0;
  if (CoreModel* c = core(); c && c->has_program()) {
    c->start();
    ++n;
  }
  for (auto* v : {&mm2s_, &s2mm_})
    for (auto& c : *v)
      if (c->has_task()) {
        c->start();
        ++n;
      }
  return n;
}

void TileBase::append_blocked(std::vector<std::string>& out) const {
  if (CoreModel* c = const_cast<TileBase*>(this)->core(); c && c->busy()) out.push_back(c->blocked_description());
  for (auto* v : {&mm2s_, &s2mm_})
    for (auto& c : *v)
      if (c->busy()) out.push_back(c->blocked_description());
}

}  // namespace saie::hw
