// Does nothing but print its peak RSS (VmHWM, KiB), linked against every shared library the daemon is:
// the part of the daemon's peak that the dynamic loader and the libraries' own start-up cost before any
// sgeventd code runs. (It reads /proc itself: a child's rusage counts the RSS of the process it forked
// from.)
#include <cstdio>
#include <cstring>

int main() {
  std::FILE* status = std::fopen("/proc/self/status", "r");
  char line[256];
  while (status && std::fgets(line, sizeof line, status)) {
    if (std::strncmp(line, "VmHWM:", 6) == 0) {
      std::fputs(line + 6, stdout);
    }
  }
  return 0;
}
