# SaieTesting.cmake — saie_add_test(NAME SOURCES ... LIBS ... LABELS ...).
# Test executables get tests/test_main.cpp (own main() plus an sc_main stub: libsystemc.so
# defines main(), build-notes pitfall 2) and each TEST runs in its own process via
# gtest_discover_tests (one SystemC elaboration per process, pitfall 3).
include(GoogleTest)
function(saie_add_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES} ${PROJECT_SOURCE_DIR}/tests/test_main.cpp)
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gmock PkgConfig::PC_SYSTEMC)
  target_compile_definitions(${name} PRIVATE
    SAIE_SOURCE_DIR="${PROJECT_SOURCE_DIR}" SAIE_DATASET_DIR="${SAIE_DATASET_DIR}")
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  gtest_discover_tests(${name}
    PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
               ENVIRONMENT "SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1;OPENBLAS_NUM_THREADS=1"
    DISCOVERY_TIMEOUT 60)
endfunction()
