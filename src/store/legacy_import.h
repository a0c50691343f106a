#pragma once
// Goes away once nothing includes it (the engine's start position now comes from app/): the importer
// lives in legacy/import.h, namespace legacy.
#include "legacy/import.h"

namespace sgeventd::store {
using legacy::importLegacyState;
using legacy::legacyDefaultCursor;
}  // namespace sgeventd::store
