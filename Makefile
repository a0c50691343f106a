# The two commands of the quick start (`make demo`, `make test`) work on a fresh Debian bookworm machine:
# they install what is missing, build, and run.
BUILD_DIR      ?= build
ASAN_BUILD_DIR ?= build-asan
BENCH_BUILD_DIR ?= build-bench
PACKAGE_BUILD_DIR ?= build-package
JOBS           ?= $(shell nproc)
CTEST_JOBS     ?= $(JOBS)
DEMO_ARGS      ?=

DEBIAN_PACKAGES := cmake ninja-build g++ make pkg-config python3 clang-format \
  libcurl4-openssl-dev libssl-dev nlohmann-json3-dev libsimdjson-dev libspdlog-dev libfmt-dev libsqlite3-dev \
  libcli11-dev libcpp-httplib-dev libexpected-dev libgtest-dev libgmock-dev libbenchmark-dev \
  pybind11-dev libpython3.11-dev python3-dev libsystemd-dev systemd ccache \
  python3-aiosmtpd chromium chromium-driver prometheus nats-server libnats-dev
# `make package` also needs dpkg-shlibdeps (dpkg-dev) and file (CPack's ELF detection).
PACKAGE_DEBIAN_PACKAGES := dpkg-dev file
# `make fuzz` builds with clang's libFuzzer (the runtime is in libclang-rt-14-dev).
FUZZ_PACKAGES := clang-14 libclang-rt-14-dev
FUZZ_BUILD_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := ini_file pickle legacy_import api3_reply event_page datetime admin_request

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps package-deps fuzz-deps build test demo bench test-asan fuzz format format-check clean package \
  package-test

deps package-deps fuzz-deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES) $(if $(filter package-deps,$@),$(PACKAGE_DEBIAN_PACKAGES)) \
	    $(if $(filter fuzz-deps,$@),$(FUZZ_PACKAGES)); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing missing Debian packages:" $$missing; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

# Release without debug info: -g costs ~40% of the compile time of this template-heavy code, and CI has
# two cores. `make build BUILD_TYPE=RelWithDebInfo` keeps symbols for a production binary.
BUILD_TYPE ?= Release

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" $(CCACHE)

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(CTEST_JOBS)

demo: build
	./$(BUILD_DIR)/sgeventd demo $(DEMO_ARGS)

bench: deps
	cmake -S . -B $(BENCH_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DSGEVENTD_BUILD_TESTS=OFF
	cmake --build $(BENCH_BUILD_DIR) -j $(JOBS)
	@for b in $(BENCH_BUILD_DIR)/bench/*/bench_*; do [ -x "$$b" ] && echo "== $$b" && "$$b" || exit 1; done

test-asan: deps
	cmake -S . -B $(ASAN_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" \
	  -DSGEVENTD_SANITIZE=ON -DSGEVENTD_BUILD_BENCH=OFF $(CCACHE)
	cmake --build $(ASAN_BUILD_DIR) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	  ctest --test-dir $(ASAN_BUILD_DIR) --output-on-failure -j $(CTEST_JOBS)

# Each libFuzzer target (fuzz/) for FUZZ_SECONDS under ASan and UBSan, from its seed corpus in
# fuzz/corpus/<target>/ (read only); what it finds new goes to $(FUZZ_BUILD_DIR)/corpus/<target>/, a crash
# to $(FUZZ_BUILD_DIR)/artifacts/ and fails the run. The final stats line gives execs and coverage.
# FUZZ_TARGETS=pickle builds and runs that one alone.
fuzz: fuzz-deps
	CC=clang-14 CXX=clang++-14 cmake -S . -B $(FUZZ_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  -DCMAKE_CXX_FLAGS_RELEASE="-O1" -DSGEVENTD_FUZZ=ON -DSGEVENTD_BUILD_TESTS=OFF -DSGEVENTD_BUILD_BENCH=OFF $(CCACHE)
	cmake --build $(FUZZ_BUILD_DIR) -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	@mkdir -p $(FUZZ_BUILD_DIR)/artifacts
	@for t in $(FUZZ_TARGETS); do \
	  echo "== fuzz_$$t for $(FUZZ_SECONDS) s"; mkdir -p $(FUZZ_BUILD_DIR)/corpus/$$t; \
	  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    ./$(FUZZ_BUILD_DIR)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD_DIR)/artifacts/$$t- \
	    $(FUZZ_BUILD_DIR)/corpus/$$t fuzz/corpus/$$t 2>$(FUZZ_BUILD_DIR)/fuzz_$$t.log \
	    || { tail -60 $(FUZZ_BUILD_DIR)/fuzz_$$t.log; exit 1; }; \
	  grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^#[0-9]+[[:space:]]+DONE' $(FUZZ_BUILD_DIR)/fuzz_$$t.log; \
	done

# The Debian package, in its own build folder with the /usr prefix: $(PACKAGE_BUILD_DIR)/sgeventd_<version>_<arch>.deb.
CCACHE := $(shell command -v ccache >/dev/null 2>&1 && echo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

package: package-deps
	cmake -S . -B $(PACKAGE_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
	  -DCMAKE_INSTALL_PREFIX=/usr -DSGEVENTD_BUILD_TESTS=OFF -DSGEVENTD_BUILD_BENCH=OFF $(CCACHE)
	cmake --build $(PACKAGE_BUILD_DIR) -j $(JOBS)
	cd $(PACKAGE_BUILD_DIR) && cpack -G DEB

# The package on a fresh Debian root and in a container image (needs root or sudo, and the Debian mirror;
# not part of `make test`). See packaging/package-test.sh.
package-test: package
	$(SUDO) packaging/package-test.sh $(PACKAGE_BUILD_DIR)

format:
	git ls-files '*.cpp' '*.h' '*.hpp' | xargs clang-format -i

format-check:
	git ls-files '*.cpp' '*.h' '*.hpp' | xargs clang-format --dry-run --Werror

clean:
	rm -rf $(BUILD_DIR) $(ASAN_BUILD_DIR) $(BENCH_BUILD_DIR) $(PACKAGE_BUILD_DIR) $(FUZZ_BUILD_DIR)
