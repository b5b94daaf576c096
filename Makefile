#  Makefile - the front door: every daily command, each on top of CMake
#
#  make            build everything (installs missing packages first)
#  make test       build and run every test through ctest
#  make browser-test  the dashboard (and explorer) in headless Chromium against a real node
#  make run        build and start a whole node on this machine (zchain up)
#  make bench      the standard load scenario; writes docs/benchmarks.md, docs/bench-sweep.svg
#  make asan       build and test with AddressSanitizer and UBSan
#  make fuzz       build the libFuzzer targets and run each for FUZZ_SECONDS
#  make compose-test   build the image and test the containerized cluster
#  make autoscaler-test  zchain-autoscaler against a private dockerd and swarm
#  make swarm-test     the node on a 3-host Docker Swarm made on this machine
#  make k8s-check  check deploy/k8s offline: render, schemas, compose.yaml agreement
#  make clean

BUILD      ?= build
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 30
CMAKE_ARGS ?=
ARGS       ?=
K8S_CHECK  := deploy/k8s/check

.PHONY: all deps build test browser-test run bench asan fuzz compose-test autoscaler-test swarm-test k8s-check clean help

all: build

help:
	@sed -n '3,14p' Makefile | sed 's/^#  //'

deps:
	@deploy/install-deps.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) $(CMAKE_ARGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

#  Debian's chromium and npm first (deploy/install-deps.sh --browser); the
#  tests' one npm package comes from tests/browser/package-lock.json
browser-test: build
	@deploy/install-deps.sh --browser
	tests/browser/run.sh $(BUILD)

run: build
	$(BUILD)/bin/zchain up $(ARGS)

bench: build
	tools/bench.sh $(BUILD)

asan: deps
	cmake -S . -B build-asan -DZC_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug $(CMAKE_ARGS)
	cmake --build build-asan -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    ctest --test-dir build-asan --output-on-failure -j $(JOBS)

fuzz:
	@deploy/install-deps.sh --fuzz
	CC=clang cmake -S . -B build-fuzz -DZC_FUZZ=ON -DZC_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug $(CMAKE_ARGS)
	cmake --build build-fuzz -j $(JOBS)
	tests/fuzz/run.sh build-fuzz/fuzz $(FUZZ_SECONDS)

compose-test: build
	deploy/compose-test.sh

autoscaler-test: build
	BIN=$(BUILD)/bin deploy/autoscaler-test.sh

swarm-test: build
	deploy/swarm-test.sh

#  no cluster: kubectl kustomize, the npm schemas and promtool, all offline
k8s-check:
	@command -v node >/dev/null || { echo "k8s-check: FAILED: node not found (Node.js 20 runs the checker)" >&2; exit 1; }
	@[ -d $(K8S_CHECK)/node_modules ] || npm ci --prefix $(K8S_CHECK) --no-audit --no-fund --loglevel=error >/dev/null \
	    || { echo "k8s-check: FAILED: npm ci --prefix $(K8S_CHECK) could not install the checker's packages" >&2; exit 1; }
	@node $(K8S_CHECK)/check.mjs

clean:
	rm -rf $(BUILD) build-asan build-fuzz
