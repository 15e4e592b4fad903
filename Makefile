# ugradsl — build, test, demo, bench.  `make help` lists the targets.
#
# The host program is C11 built with mpicc (Open MPI) against parallel HDF5,
# oneDNN, OpenBLAS, libsvm, libturbojpeg and libpng.  The CUDA part is built
# when nvcc, cudnn.h and nccl.h are found by real probes (GPU=auto|0|1).

SHELL := /bin/bash
.DEFAULT_GOAL := all

CC        ?= mpicc
ifeq ($(origin CC),default)
CC        := mpicc
endif
HDF5_INC  ?= /usr/include/hdf5/openmpi
HDF5_LIB  ?= /usr/lib/x86_64-linux-gnu/hdf5/openmpi
OPT       ?= -O3 -march=native
CFLAGS    ?= $(OPT) -g
CFLAGS    += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -fopenmp -pthread \
             -I$(HDF5_INC) -Isrc
LDLIBS    += -L$(HDF5_LIB) -Wl,-rpath,$(HDF5_LIB) -lhdf5 -ldnnl -lopenblas -lsvm -lturbojpeg -lpng -lz -lm -fopenmp -pthread

BUILD     ?= build
BIN       := bin

# ---- CUDA probes (real ones: the compiler must run and the headers must exist) ----
GPU        ?= auto
CUDA_HOME  ?= /usr/local/cuda
CUDNN_HOME ?= $(CUDA_HOME)
NCCL_HOME  ?= $(CUDA_HOME)
NVCC       := $(CUDA_HOME)/bin/nvcc
HAVE_NVCC  := $(shell $(NVCC) --version >/dev/null 2>&1 && echo yes || echo no)
HAVE_CUDNN := $(shell for d in $(CUDNN_HOME)/include /usr/include /usr/include/x86_64-linux-gnu; do [ -f $$d/cudnn.h ] && { echo yes; exit; }; done; echo no)
HAVE_NCCL  := $(shell for d in $(NCCL_HOME)/include /usr/include; do [ -f $$d/nccl.h ] && { echo yes; exit; }; done; echo no)
ifeq ($(GPU),auto)
  BUILD_GPU := $(if $(filter no,$(HAVE_NVCC) $(HAVE_CUDNN) $(HAVE_NCCL)),0,1)
else
  BUILD_GPU := $(GPU)
endif

SRCS      := $(shell find src -name '*.c' | sort)
OBJS      := $(SRCS:%.c=$(BUILD)/%.o)
LIB_OBJS  := $(filter-out $(BUILD)/src/main.o,$(OBJS))
DEPS      := $(OBJS:.o=.d)

TEST_SRCS := $(shell find tests/unit tests/mpi -name 'test_*.c' 2>/dev/null | sort)
TEST_BINS := $(TEST_SRCS:%.c=$(BUILD)/%)
BENCH_SRCS := $(shell find tests/bench -name 'bench_*.c' 2>/dev/null | sort)
BENCH_BINS := $(BENCH_SRCS:%.c=$(BUILD)/%)

.PHONY: all deps config test test-unit test-asan test-mpi test-integration test-slurm demo demo-all bench bench-data golden clean help

all: $(BIN)/ugradsl $(TEST_BINS) $(BENCH_BINS)

$(BIN)/ugradsl: $(OBJS)
	@mkdir -p $(BIN)
	$(CC) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/tests/%: tests/%.c $(LIB_OBJS) tests/harness.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -o $@ $< $(LIB_OBJS) $(LDLIBS)

-include $(DEPS)

help:
	@echo "make deps        install the Debian packages (apt-get; idempotent)"
	@echo "make             build bin/ugradsl and the tests"
	@echo "make config      print what the build found"
	@echo "make test        every test (unit, MPI np 2/3, integration, ASan+UBSan); ends 'N passed, N failed'"
	@echo "make test-asan   unit tests under AddressSanitizer + UBSan"
	@echo "make test-slurm  job scripts against a real local Slurm (tools/slurm-local.sh; root)"
	@echo "make demo        pack the digits default, split, train, unlearn, report"
	@echo "make demo-all    the same with every baseline of the paper (docs/BASELINES.md)"
	@echo "make bench       benchmarks vs PyTorch (prints 'bench: name value unit')"
	@echo "make bench-data  loader throughput"
	@echo "make golden      regenerate PyTorch / scikit-learn golden data under tests/golden"

deps:
	@bash tools/install-deps.sh

config:
	@echo "CC          $(CC) ($$($(CC) --version | head -1))"
	@echo "HDF5        $(HDF5_INC) $$([ -f $(HDF5_INC)/H5FDmpio.h ] && echo '(parallel)' || echo '(NOT FOUND)')"
	@echo "oneDNN      $$([ -f /usr/include/dnnl.h ] && echo yes || echo no)"
	@echo "nvcc        $(HAVE_NVCC) ($(NVCC))"
	@echo "cuDNN       $(HAVE_CUDNN) ($(CUDNN_HOME))"
	@echo "NCCL        $(HAVE_NCCL) ($(NCCL_HOME))"
	@echo "GPU build   $(BUILD_GPU) (GPU=$(GPU))"

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory test-run

test-unit: all
	@bash tests/run_tests.sh unit

test-mpi: all
	@bash tests/run_tests.sh mpi

test-integration: all
	@bash tests/run_tests.sh integration

test-slurm: all
	@bash tests/integration/test_slurm.sh

test-asan:
	@$(MAKE) --no-print-directory test-asan-build
	@BUILD=build-asan bash tests/run_tests.sh asan

.PHONY: build-asan-tests
build-asan-tests: $(TEST_BINS)

demo: deps
	@$(MAKE) --no-print-directory all
	@bash tools/demo.sh

demo-all: deps
	@$(MAKE) --no-print-directory all
	@bash tools/demo.sh --all

bench: all
	@bash tools/bench.sh

bench-data: all
	@bash tools/bench-data.sh

golden:
	@bash tools/make-golden.sh

clean:
	rm -rf build build-asan bin

.PHONY: test-run
test-run:
	@$(MAKE) --no-print-directory test-asan-build
	@bash tests/run_tests.sh

.PHONY: test-asan-build
test-asan-build:
	@$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -fsanitize=address,undefined -fno-omit-frame-pointer" \
	  LDLIBS="$(LDLIBS) -fsanitize=address,undefined" build-asan-tests
