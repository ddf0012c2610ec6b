# SaieTesting.cmake — saie_glob_tests(NAME DIRS ... LIBS ... LABELS ...).
# One test executable from every *_test.cpp in the folders. Each gets tests/test_main.cpp (its own
# main() plus an sc_main stub: libsystemc.so defines main() itself, and with gtest_main the link
# order would decide which main runs — the wrong one runs no tests) and each TEST runs in its own
# process via gtest_discover_tests (SystemC allows one elaboration per process).
include(GoogleTest)
function(saie_glob_tests name)
  cmake_parse_arguments(T "" "TIMEOUT" "DIRS;LIBS;LABELS" ${ARGN})
  set(srcs)
  foreach(d ${T_DIRS})
    file(GLOB s CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${d}/*_test.cpp)
    list(APPEND srcs ${s})
  endforeach()
  add_executable(${name} ${srcs} ${PROJECT_SOURCE_DIR}/tests/test_main.cpp)
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gmock PkgConfig::PC_SYSTEMC)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_definitions(${name} PRIVATE
    SAIE_SOURCE_DIR="${PROJECT_SOURCE_DIR}" SAIE_DATASET_DIR="${SAIE_DATASET_DIR}"
    SAIE_CONFIG_DIR="${SAIE_CONFIG_DIR}" SAIE_BINARY_DIR="${PROJECT_BINARY_DIR}")
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  gtest_discover_tests(${name}
    PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
               ENVIRONMENT "SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1;OPENBLAS_NUM_THREADS=1"
    DISCOVERY_TIMEOUT 120)
endfunction()
