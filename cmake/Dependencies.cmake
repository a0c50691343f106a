# Every dependency is a Debian bookworm package; `make deps` installs them.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(CURL REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
# simdjson On-Demand for the event path's reply decode (Debian: libsimdjson-dev).
find_package(simdjson REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(tl-expected REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(CppHttplib REQUIRED)
# sd_notify(3) for Type=notify under systemd (Debian: libsystemd-dev).
pkg_check_modules(SYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
# The NATS C client for broker mode (Debian: libnats-dev). Its pkg-config file, not the cnats CMake
# package: bookworm's cnats::nats names libprotobuf-c.so, which libnats-dev does not pull in.
pkg_check_modules(NATS REQUIRED IMPORTED_TARGET libnats)
if(SGEVENTD_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
endif()
if(SGEVENTD_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
