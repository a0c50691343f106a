#pragma once
// The state folder's memory that a daemon ran there: a small file next to the database
// (<state_database>.first-start), written once the database first holds its schema. It tells a first
// start (no database, no marker) from a lost state (no database, or an empty one, but a marker), which
// must never turn silently into a fresh start at the newest event.
#include <string>

#include "core/expected.h"

namespace sgeventd::store {

std::string markerPath(const std::string& dbPath);
bool markerExists(const std::string& dbPath);
// Written to a temporary name, flushed and renamed, so a crash leaves the old marker or the new one.
Expected<void> writeMarker(const std::string& dbPath);

}  // namespace sgeventd::store
