#include "store/cursor_journal.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

namespace sgeventd::store {
namespace {

constexpr char kMagic[8] = {'S', 'G', 'E', 'V', 'C', 'J', '0', '1'};
constexpr std::size_t kHeaderSize = 64;
constexpr std::size_t kSlotSize = 64;  // two copies of four words: a slot never straddles a disk sector
constexpr std::size_t kFileSize = kHeaderSize + CursorJournal::kSlots * kSlotSize;
static_assert(kJournalWrittenOffset >= sizeof(kMagic) && kJournalWrittenOffset + 8 <= kHeaderSize);

struct Copy {
  std::uint64_t key;
  std::uint64_t stamp;
  std::uint64_t cursor;
  std::uint64_t check;
};
static_assert(sizeof(Copy) * 2 == kSlotSize);

std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t checksum(std::uint64_t key, std::uint64_t stamp, std::uint64_t cursor) {
  return mix(key ^ mix(stamp ^ mix(cursor))) | 1;  // never 0, so a zeroed copy never passes
}

std::optional<JournalEntry> decode(const Copy& c) {
  if (c.key == 0 || c.check != checksum(c.key, c.stamp, c.cursor)) {
    return std::nullopt;
  }
  return JournalEntry{c.key, static_cast<std::int64_t>(c.stamp), static_cast<std::int64_t>(c.cursor)};
}

// The newer of a slot's two copies that hold.
std::optional<JournalEntry> decodeSlot(const std::uint8_t* slot) {
  Copy copies[2];
  std::memcpy(copies, slot, sizeof(copies));
  auto a = decode(copies[0]);
  auto b = decode(copies[1]);
  if (!a || !b) {
    return a ? a : b;
  }
  if (a->key != b->key) {
    return a->stamp >= b->stamp ? a : b;  // the slot changed hands: the newer commit's copy
  }
  return std::pair(a->stamp, a->cursor) >= std::pair(b->stamp, b->cursor) ? a : b;
}

std::vector<JournalEntry> decodeFile(const std::uint8_t* data, std::size_t size) {
  std::vector<JournalEntry> out;
  if (size < kHeaderSize || std::memcmp(data, kMagic, sizeof(kMagic)) != 0) {
    return out;
  }
  for (std::size_t offset = kHeaderSize; offset + kSlotSize <= size; offset += kSlotSize) {
    if (auto entry = decodeSlot(data + offset)) {
      out.push_back(*entry);
    }
  }
  return out;
}

Error systemError(const std::string& what, const std::string& path) {
  return Error{what + " " + path + ": " + std::strerror(errno), errno};
}

}  // namespace

std::uint64_t journalKey(std::string_view collection, std::string_view plugin) {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a over "collection\0plugin"
  auto add = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h = (h ^ c) * 0x100000001b3ULL;
    }
  };
  add(collection);
  h = (h ^ 0) * 0x100000001b3ULL;
  add(plugin);
  return mix(h) | 1;  // 0 marks an empty copy
}

std::string journalPathOf(const std::string& databasePath) { return databasePath + "-cursors"; }

CursorJournal::CursorJournal(core::UniqueFd fd, void* map, std::string path)
    : fd_(std::move(fd)), map_(map), path_(std::move(path)), nextCopy_(kSlots, 0) {}

CursorJournal::CursorJournal(CursorJournal&& other) noexcept
    : fd_(std::move(other.fd_)),
      map_(std::exchange(other.map_, nullptr)),
      path_(std::move(other.path_)),
      nextCopy_(std::move(other.nextCopy_)) {}

CursorJournal& CursorJournal::operator=(CursorJournal&& other) noexcept {
  if (this != &other) {
    if (map_ != nullptr) {
      munmap(map_, kFileSize);
    }
    fd_ = std::move(other.fd_);
    map_ = std::exchange(other.map_, nullptr);
    path_ = std::move(other.path_);
    nextCopy_ = std::move(other.nextCopy_);
  }
  return *this;
}

CursorJournal::~CursorJournal() {
  if (map_ != nullptr) {
    munmap(map_, kFileSize);
  }
}

Expected<CursorJournal> CursorJournal::openForWriting(const std::string& databasePath) {
  const std::string path = journalPathOf(databasePath);
  core::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    return tl::unexpected(systemError("cannot open the cursor journal", path));
  }
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) {
    return tl::unexpected(systemError("cannot stat the cursor journal", path));
  }
  // Another size is a journal of another layout or a damaged one: it holds nothing this daemon trusts.
  if (static_cast<std::size_t>(st.st_size) != kFileSize) {
    if (ftruncate(fd.get(), 0) != 0 || ftruncate(fd.get(), static_cast<off_t>(kFileSize)) != 0) {
      return tl::unexpected(systemError("cannot size the cursor journal", path));
    }
  }
  void* map = mmap(nullptr, kFileSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
  if (map == MAP_FAILED) {
    return tl::unexpected(systemError("cannot map the cursor journal", path));
  }
  if (std::memcmp(map, kMagic, sizeof(kMagic)) != 0) {
    std::memcpy(map, kMagic, sizeof(kMagic));
  }
  return CursorJournal(std::move(fd), map, path);
}

Expected<std::vector<JournalEntry>> CursorJournal::readEntries(const std::string& databasePath) {
  const std::string path = journalPathOf(databasePath);
  core::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) {
      return std::vector<JournalEntry>{};
    }
    return tl::unexpected(systemError("cannot open the cursor journal", path));
  }
  std::vector<std::uint8_t> data(kFileSize);
  std::size_t got = 0;
  while (got < data.size()) {
    const auto n = pread(fd.get(), data.data() + got, data.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return tl::unexpected(systemError("cannot read the cursor journal", path));
    }
    if (n == 0) {
      break;
    }
    got += static_cast<std::size_t>(n);
  }
  return decodeFile(data.data(), got);
}

std::vector<JournalEntry> CursorJournal::entries() const {
  return decodeFile(static_cast<const std::uint8_t*>(map_), kFileSize);
}

void CursorJournal::reset() {
  // Truncating gives the mapping fresh zero pages without touching (and so keeping resident) each one.
  if (ftruncate(fd_.get(), static_cast<off_t>(kHeaderSize)) != 0 ||
      ftruncate(fd_.get(), static_cast<off_t>(kFileSize)) != 0) {
    std::memset(static_cast<std::uint8_t*>(map_) + kHeaderSize, 0, kFileSize - kHeaderSize);
  }
  std::fill(nextCopy_.begin(), nextCopy_.end(), 0);
  markWritten();
}

void CursorJournal::write(std::size_t slot, const JournalEntry& entry) {
  auto* base = static_cast<std::uint8_t*>(map_) + kHeaderSize + slot * kSlotSize;
  auto* words = reinterpret_cast<std::uint64_t*>(base + nextCopy_[slot] * sizeof(Copy));
  nextCopy_[slot] ^= 1;
  const auto stamp = static_cast<std::uint64_t>(entry.stamp);
  const auto cursor = static_cast<std::uint64_t>(entry.cursor);
  // The checksum goes last: a write cut short between the words leaves a copy that fails it.
  std::atomic_ref<std::uint64_t>(words[3]).store(0, std::memory_order_relaxed);
  std::atomic_signal_fence(std::memory_order_seq_cst);
  std::atomic_ref<std::uint64_t>(words[0]).store(entry.key, std::memory_order_relaxed);
  std::atomic_ref<std::uint64_t>(words[1]).store(stamp, std::memory_order_relaxed);
  std::atomic_ref<std::uint64_t>(words[2]).store(cursor, std::memory_order_relaxed);
  std::atomic_signal_fence(std::memory_order_seq_cst);
  std::atomic_ref<std::uint64_t>(words[3]).store(checksum(entry.key, stamp, cursor),
                                                 std::memory_order_release);
  markWritten();
}

void CursorJournal::markWritten() {
  // The fence puts the slot's stores before the look at the word: a syncer that clears the word after
  // this look flushes them. Looking first keeps the header's cache line shared between lanes instead of
  // written by each commit.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  std::atomic_ref<std::uint64_t> written(
      *reinterpret_cast<std::uint64_t*>(static_cast<std::uint8_t*>(map_) + kJournalWrittenOffset));
  if (written.load(std::memory_order_relaxed) == 0) {
    written.store(1, std::memory_order_relaxed);
  }
}

Expected<void> CursorJournal::sync() {
  if (msync(map_, kFileSize, MS_SYNC) != 0) {
    return tl::unexpected(systemError("cannot flush the cursor journal", path_));
  }
  return {};
}

}  // namespace sgeventd::store
