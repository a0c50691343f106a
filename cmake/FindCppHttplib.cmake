# Debian ships cpp-httplib as a compiled library with pkg-config only. Its Cflags carry the
# feature defines the .so was built with; compiling without them changes class layouts (ODR).
find_package(PkgConfig REQUIRED)
pkg_check_modules(CPPHTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
if(NOT TARGET CppHttplib::CppHttplib)
  add_library(CppHttplib::CppHttplib INTERFACE IMPORTED)
  target_link_libraries(CppHttplib::CppHttplib INTERFACE PkgConfig::CPPHTTPLIB OpenSSL::SSL OpenSSL::Crypto)
endif()
set(CppHttplib_FOUND TRUE)
