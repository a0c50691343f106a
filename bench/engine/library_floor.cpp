// Prints its peak RSS (VmHWM, KiB), linked against every shared library the daemon is: the part of the
// daemon's peak that the dynamic loader and the libraries' own start-up cost before any sgeventd code
// runs. `library_floor python` first starts the embedded interpreter with its bootstrap, as the daemon
// does for its first Python plugin. (It reads /proc itself: a child's rusage counts the RSS of the process
// it forked from.)
#include <cstdio>
#include <cstring>
#include <utility>

#include "plugins/python/python_loader.h"

int main(int argc, char** argv) {
  namespace python = sgeventd::plugins::python;
  const bool withPython = argc > 1 && std::strcmp(argv[1], "python") == 0;
  sgeventd::plugins::PluginLoaderPtr loader;
  if (withPython) {
    auto started = python::makePythonLoader({});
    if (!started) {
      std::fprintf(stderr, "%s\n", started.error().message.c_str());
      return 1;
    }
    loader = std::move(*started);
  }
  std::FILE* status = std::fopen("/proc/self/status", "r");
  char line[256];
  while (status && std::fgets(line, sizeof line, status)) {
    if (std::strncmp(line, "VmHWM:", 6) == 0) {
      std::fputs(line + 6, stdout);
    }
  }
  std::fflush(stdout);
  if (withPython) {
    loader.reset();
    python::finalizePython();
  }
  return 0;
}
