// test_main.cpp — GoogleTest entry point for every test executable.
// libsystemc.so defines main() and calls sc_main; we define our own main() so the test runner
// always wins, plus an sc_main that is never called but satisfies the link.
#include <gtest/gtest.h>

extern "C" int sc_main(int, char**) { return 0; }  // C linkage: libsystemc.so calls sc_main unmangled

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
