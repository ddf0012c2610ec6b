# SystemC/TLM-2.0 models of the array.
# cosim/: the transactors that put the Verilated RTL of hw/rtl (saie_rtl) under the model.
saie_glob_library(saie_hw DIRS array tile core dma stream mem lock ddr sim cosim
  LIBS saie_config saie_isa saie_traces saie_rtl PkgConfig::PC_SYSTEMC)
