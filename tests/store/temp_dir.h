#pragma once
// The store tests use the shared temporary folder.
#include "../support/temp_dir.h"

namespace sgeventd::store::testing {
using TempDir = ::sgeventd::testing::TempDir;
}  // namespace sgeventd::store::testing
