#pragma once
// One dlopen()ed private copy of a plugin library. The copy lets the operator replace the original file
// while this version is mapped, and gives every version its own path, so glibc never hands back a cached
// handle for a reloaded file.
#include <filesystem>
#include <memory>
#include <string>

#include "core/expected.h"

namespace sgeventd::plugins::native {

// A 0700 folder made with mkdtemp, removed with everything in it when the last owner goes.
class PrivateDirectory {
 public:
  static Expected<std::shared_ptr<PrivateDirectory>> create(const std::filesystem::path& parent);
  ~PrivateDirectory();
  PrivateDirectory(const PrivateDirectory&) = delete;
  PrivateDirectory& operator=(const PrivateDirectory&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  explicit PrivateDirectory(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

class NativeLibrary {
 public:
  // Copies `original` into `directory` under a name unique to this process and version, then opens it
  // with RTLD_NOW | RTLD_LOCAL.
  static Expected<std::shared_ptr<NativeLibrary>> open(const std::filesystem::path& original,
                                                       std::shared_ptr<PrivateDirectory> directory);
  ~NativeLibrary();  // dlclose, then removes the private copy
  NativeLibrary(const NativeLibrary&) = delete;
  NativeLibrary& operator=(const NativeLibrary&) = delete;

  // nullptr with `error` set when the library does not export `name`.
  void* symbol(const char* name, std::string& error) const;
  const std::filesystem::path& privatePath() const { return privatePath_; }

 private:
  NativeLibrary(void* handle, std::filesystem::path privatePath, std::shared_ptr<PrivateDirectory> directory)
      : handle_(handle), privatePath_(std::move(privatePath)), directory_(std::move(directory)) {}
  void* handle_;
  std::filesystem::path privatePath_;
  std::shared_ptr<PrivateDirectory> directory_;  // outlives the copy inside it
};

}  // namespace sgeventd::plugins::native
