#pragma once
// One-time import of the original daemon's eventIdFile (original-daemon.md §4.4, §4.6) into the state
// store, so a studio switching daemons neither reprocesses nor loses events. The pickle file is only
// read, never written. This room sits above store/: the store knows nothing of the original's formats.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/expected.h"
#include "core/log.h"
#include "store/state_store.h"

namespace sgeventd::legacy {

// Meta keys the importer writes.
inline constexpr const char* kLegacyImportKey = "legacy_import";                 // the guard: a summary line
inline constexpr const char* kLegacyDefaultCursorKey = "legacy_default_cursor";  // the old single-int file
// A collection whose state in the pickle is a bare int (every plugin of it starts there):
// "legacy_default_cursor:<collection path>".
std::string legacyCollectionCursorKey(const std::string& collection);

struct ImportReport {
  enum class Outcome {
    Imported,         // a pickle: checkpoints written
    DefaultCursor,    // the pre-2011 text file holding one id: stored as the default cursor
    AlreadyImported,  // the guard was set by an earlier start: nothing done
    NoFile,           // no eventIdFile configured, or it does not exist: nothing done, guard not set
  };
  Outcome outcome = Outcome::NoFile;
  std::string path;
  std::vector<store::Checkpoint> imported;         // written to the store
  std::vector<store::Checkpoint> skippedExisting;  // the store already had a checkpoint: left as it was
  std::vector<std::string> skippedWithoutCursor;  // "<collection> <plugin>": lastEventId None (start at head)
  std::vector<std::string> warnings;              // entries of the file that could not be used, and why
  std::optional<std::int64_t> defaultCursor;      // Outcome::DefaultCursor
  std::size_t backlogIds = 0;                     // ids kept open as gaps of imported checkpoints
  std::size_t expiredBacklogIds = 0;              // dropped: their expiry had passed
  std::string summary;                            // the INFO line logged (also the guard's value)
};

// Imports `eventIdFile` once: when the store's meta `legacy_import` is set, does nothing. Every plugin with
// a lastEventId becomes a Checkpoint (collection path as written in the file, cursor = lastEventId, unexpired
// backlog ids as gap ranges with their naive local expiry converted to UTC); a plugin that already has a
// checkpoint in the store is never overwritten. An empty, truncated, garbage, non-dict or unreadable file is
// an error (log it and start as if there were no file); the guard is then left unset.
Expected<ImportReport> importLegacyState(const std::string& eventIdFile, store::StateStore& store,
                                         core::Logger& log, const core::Clock& clock);

// Where a plugin with no checkpoint starts after an import of the old single-integer file (every plugin),
// or of a pickle whose collection state was a bare int (that collection's plugins): nullopt otherwise, and
// the engine then starts that plugin at the head as usual.
Expected<std::optional<std::int64_t>> legacyDefaultCursor(store::StateStore& store,
                                                          const std::string& collection = {});

}  // namespace sgeventd::legacy
