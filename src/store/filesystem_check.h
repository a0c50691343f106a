#pragma once
// SQLite's WAL mode needs shared memory that network filesystems do not provide reliably; the daemon
// warns when the state database sits on one.
#include <optional>
#include <string>

namespace sgeventd::store {

// The filesystem's name ("NFS", "SMB/CIFS") when the folder holding `dbPath` is a network mount.
std::optional<std::string> networkFilesystemOf(const std::string& dbPath);

// A warning for the daemon log, or nothing when the disk is local.
std::optional<std::string> networkFilesystemWarning(const std::string& dbPath);

}  // namespace sgeventd::store
