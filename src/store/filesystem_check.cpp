#include "store/filesystem_check.h"

#include <sys/vfs.h>

#include <cstdint>
#include <filesystem>

namespace sgeventd::store {

namespace {

// From linux/magic.h and the kernel's cifs/smb client headers.
constexpr std::uint32_t kNfsMagic = 0x6969;
constexpr std::uint32_t kSmbMagic = 0x517B;
constexpr std::uint32_t kCifsMagic = 0xFF534D42;
constexpr std::uint32_t kSmb2Magic = 0xFE534D42;

}  // namespace

std::optional<std::string> networkFilesystemOf(const std::string& dbPath) {
  std::error_code ec;
  std::filesystem::path folder = std::filesystem::absolute(dbPath, ec).parent_path();
  // The database may not exist yet: look at the nearest existing ancestor.
  while (!folder.empty() && !std::filesystem::exists(folder, ec) && folder != folder.root_path()) {
    folder = folder.parent_path();
  }
  struct statfs info {};
  if (folder.empty() || ::statfs(folder.c_str(), &info) != 0) {
    return std::nullopt;
  }
  switch (static_cast<std::uint32_t>(info.f_type)) {
    case kNfsMagic:
      return "NFS";
    case kSmbMagic:
    case kCifsMagic:
    case kSmb2Magic:
      return "SMB/CIFS";
    default:
      return std::nullopt;
  }
}

std::optional<std::string> networkFilesystemWarning(const std::string& dbPath) {
  const auto kind = networkFilesystemOf(dbPath);
  if (!kind) {
    return std::nullopt;
  }
  return "state database " + dbPath + " is on a network filesystem (" + *kind +
         "); SQLite's WAL mode needs a local disk, so checkpoints may be lost or corrupted: point "
         "state_database at a local folder";
}

}  // namespace sgeventd::store
