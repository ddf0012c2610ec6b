// verilated_dut.h — one Verilated model, owned and clocked at the array clock (for the
// transactors in hw/cosim). Include it after the V*.h headers and before anything that includes
// <systemc> (see mac_transactor.cpp).
#pragma once

#include <memory>
#include <string>

#include "verilated.h"

namespace saie::hw {

// The model with its own context. Two evaluations per cycle: settle() brings clk low and
// evaluates the inputs just driven (the falling edge folds into it), rise() is the rising edge.
// Every rise() must follow a settle().
template <class M>
struct VerilatedDut {
  VerilatedContext vctx;
  std::unique_ptr<M> m;
  explicit VerilatedDut(const std::string& name) : m(std::make_unique<M>(&vctx, name.c_str())) {}
  ~VerilatedDut() { m->final(); }
  VerilatedDut(const VerilatedDut&) = delete;
  VerilatedDut& operator=(const VerilatedDut&) = delete;
  void settle() {
    m->clk = 0;
    m->eval();
  }
  void rise() {
    m->clk = 1;
    m->eval();
  }
  // rst_n low for one edge (drive the other inputs idle first).
  void reset() {
    m->rst_n = 0;
    settle();
    rise();
    m->rst_n = 1;
    settle();
  }
};

}  // namespace saie::hw
