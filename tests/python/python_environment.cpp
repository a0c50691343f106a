// Process-wide set-up of the Python tests: libcurl once, and the interpreter finalized at the end (it
// starts on the main thread with the first loader a test makes).
#include <curl/curl.h>
#include <gtest/gtest.h>

#include "plugins/python/python_loader.h"

namespace {

class PythonEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { curl_global_init(CURL_GLOBAL_DEFAULT); }
  void TearDown() override {
    sgeventd::plugins::python::finalizePython();
    curl_global_cleanup();
  }
};

const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new PythonEnvironment());

}  // namespace
