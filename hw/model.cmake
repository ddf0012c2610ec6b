# SystemC/TLM-2.0 models of the array.
saie_glob_library(saie_hw DIRS array tile core dma stream mem lock ddr sim
  LIBS saie_config saie_isa saie_traces PkgConfig::PC_SYSTEMC)
