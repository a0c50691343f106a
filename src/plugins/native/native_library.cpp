#include "plugins/native/native_library.h"

#include <dlfcn.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string_view>
#include <system_error>
#include <vector>

namespace sgeventd::plugins::native {
namespace {

std::atomic<std::uint64_t> copyCounter{0};

std::string dlerrorText() {
  const char* text = dlerror();
  return text != nullptr ? text : "unknown dlerror";
}

constexpr std::string_view kPrefix = "sgeventd-plugins-";

// A daemon killed with -9 leaves its copies behind; remove the folders of our own processes that are gone.
void removeStaleCopies(const std::filesystem::path& parent) {
  std::error_code error;
  for (std::filesystem::directory_iterator it(parent, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(kPrefix, 0) != 0) {
      continue;
    }
    const std::string rest = name.substr(kPrefix.size());
    const auto dash = rest.find('-');
    if (dash == std::string::npos || dash == 0 || dash > 9 || rest.find_first_not_of("0123456789") != dash) {
      continue;
    }
    struct stat info {};
    if (::lstat(it->path().c_str(), &info) != 0 || !S_ISDIR(info.st_mode) || info.st_uid != ::geteuid()) {
      continue;
    }
    const auto pid = static_cast<pid_t>(std::stol(rest.substr(0, dash)));
    if (::kill(pid, 0) != 0 && errno == ESRCH) {
      std::error_code ignored;
      std::filesystem::remove_all(it->path(), ignored);
    }
  }
}

}  // namespace

Expected<std::shared_ptr<PrivateDirectory>> PrivateDirectory::create(const std::filesystem::path& parent) {
  removeStaleCopies(parent);
  std::string pattern = (parent / (std::string(kPrefix) + std::to_string(::getpid()) + "-XXXXXX")).string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) {
    return fail("could not create a private folder for plugin copies under " + parent.string() + ": " +
                std::error_code(errno, std::generic_category()).message());
  }
  return std::shared_ptr<PrivateDirectory>(new PrivateDirectory(std::filesystem::path(buffer.data())));
}

PrivateDirectory::~PrivateDirectory() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

Expected<std::shared_ptr<NativeLibrary>> NativeLibrary::open(const std::filesystem::path& original,
                                                             std::shared_ptr<PrivateDirectory> directory) {
  const auto privatePath =
      directory->path() / (std::to_string(++copyCounter) + "-" + original.filename().string());
  std::error_code error;
  std::filesystem::copy_file(original, privatePath, std::filesystem::copy_options::overwrite_existing, error);
  if (error) {
    std::filesystem::remove(privatePath, error);
    return fail("could not copy " + original.string() + " to " + privatePath.string() + ": " +
                error.message());
  }
  dlerror();
  void* handle = ::dlopen(privatePath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    std::string reason = dlerrorText();
    std::filesystem::remove(privatePath, error);
    return fail("dlopen failed: " + reason);
  }
  return std::shared_ptr<NativeLibrary>(new NativeLibrary(handle, privatePath, std::move(directory)));
}

NativeLibrary::~NativeLibrary() {
  ::dlclose(handle_);
  std::error_code ignored;
  std::filesystem::remove(privatePath_, ignored);
}

void* NativeLibrary::symbol(const char* name, std::string& error) const {
  dlerror();
  void* address = ::dlsym(handle_, name);
  if (address == nullptr) {
    error = dlerrorText();
  }
  return address;
}

}  // namespace sgeventd::plugins::native
