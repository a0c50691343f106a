# Project-wide compile settings as INTERFACE targets (no global CMAKE_CXX_FLAGS).
set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)

if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "" FORCE)
endif()

option(SGEVENTD_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)

add_library(sgeventd_settings INTERFACE)
target_compile_features(sgeventd_settings INTERFACE cxx_std_20)
target_compile_definitions(sgeventd_settings INTERFACE $<$<CONFIG:Debug>:_GLIBCXX_ASSERTIONS>)
if(SGEVENTD_SANITIZE)
  target_compile_options(sgeventd_settings INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(sgeventd_settings INTERFACE -fsanitize=address,undefined)
endif()

# libFuzzer targets (fuzz/): clang only, in their own build folder (`make fuzz`). Every object of that
# build gets the coverage instrumentation and ASan + UBSan, so the fuzzer sees into the code it drives.
option(SGEVENTD_FUZZ "Build the libFuzzer targets in fuzz/ (clang)" OFF)
if(SGEVENTD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "SGEVENTD_FUZZ needs clang (CC=clang-14 CXX=clang++-14), not ${CMAKE_CXX_COMPILER_ID}")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer -g1)
  add_link_options(-fsanitize=address,undefined)
endif()

add_library(sgeventd_warnings INTERFACE)
target_compile_options(sgeventd_warnings INTERFACE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
