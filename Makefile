# ugradsl — build, test, demo, bench.  `make help` lists the targets.
#
# The host program is C11 built with mpicc (Open MPI) against parallel HDF5,
# oneDNN, OpenBLAS, libsvm, libturbojpeg and libpng.  The CUDA part is built
# when nvcc, cudnn.h and nccl.h are found by real probes (GPU=auto|0|1).

SHELL := /bin/bash
.DEFAULT_GOAL := all

# Dependencies are found as on a cluster, from the usual module variables, else pkg-config, else Debian's paths
# (no root needed): MPICC; HDF5_ROOT / HDF5_DIR / HDF5_HOME (the parallel build); CUDA_HOME, CUDNN_HOME,
# NCCL_HOME below.  `make config` prints what was found.
MPICC     ?= mpicc
CC        ?= $(MPICC)
ifeq ($(origin CC),default)
CC        := $(MPICC)
endif
HDF5_PREFIX := $(firstword $(foreach d,$(HDF5_ROOT) $(HDF5_DIR) $(HDF5_HOME),$(if $(wildcard $(d)/include/hdf5.h),$(d))))
ifneq ($(HDF5_PREFIX),)
HDF5_INC  ?= $(HDF5_PREFIX)/include
HDF5_LIB  ?= $(patsubst %/libhdf5.so,%,$(firstword $(wildcard $(HDF5_PREFIX)/lib64/libhdf5.so $(HDF5_PREFIX)/lib/libhdf5.so $(HDF5_PREFIX)/libhdf5.so) $(HDF5_PREFIX)/lib/libhdf5.so))
else ifeq ($(shell pkg-config --exists hdf5-openmpi 2>/dev/null && echo y),y)
HDF5_INC  ?= $(patsubst -I%,%,$(firstword $(filter -I%,$(shell pkg-config --cflags hdf5-openmpi))))
HDF5_LIB  ?= $(patsubst -L%,%,$(firstword $(filter -L%,$(shell pkg-config --libs-only-L hdf5-openmpi))))
endif
HDF5_INC  ?= /usr/include/hdf5/openmpi
HDF5_LIB  ?= /usr/lib/x86_64-linux-gnu/hdf5/openmpi
OPT       ?= -O3 -march=native
CFLAGS    ?= $(OPT) -g
CFLAGS    += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -fopenmp -pthread \
             -I$(HDF5_INC) -Isrc
LDLIBS    += -L$(HDF5_LIB) -Wl,-rpath,$(HDF5_LIB) -lhdf5 -ldnnl -lopenblas -lsvm -lturbojpeg -ljpeg -lpng -lmatio -lz -lm -fopenmp -pthread

BUILD     ?= build
BIN       := bin

# ---- CUDA probes (real ones: the compiler must run and the headers must exist) ----
GPU        ?= auto
CUDA_HOME  ?= $(or $(CUDA_ROOT),$(CUDA_PATH),/usr/local/cuda)
CUDNN_HOME ?= $(or $(CUDNN_ROOT),$(CUDNN_PATH),$(CUDA_HOME))
NCCL_HOME  ?= $(or $(NCCL_ROOT),$(NCCL_PATH),$(CUDA_HOME))
NVCC       := $(CUDA_HOME)/bin/nvcc
HAVE_NVCC  := $(shell $(NVCC) --version >/dev/null 2>&1 && echo yes || echo no)
HAVE_CUDNN := $(shell for d in $(CUDNN_HOME)/include /usr/include /usr/include/x86_64-linux-gnu; do [ -f $$d/cudnn.h ] && { echo yes; exit; }; done; echo no)
HAVE_NCCL  := $(shell for d in $(NCCL_HOME)/include /usr/include; do [ -f $$d/nccl.h ] && { echo yes; exit; }; done; echo no)
ifeq ($(GPU),auto)
  BUILD_GPU := $(if $(filter no,$(HAVE_NVCC) $(HAVE_CUDNN) $(HAVE_NCCL)),0,1)
else
  BUILD_GPU := $(GPU)
endif

# ---- CUDA build: kernels/*.cu -> $(BUILD)/libugcuda.a (nvcc, CUDA_ARCHS), linked into bin/ugradsl and the
# tests; src/gpu/*.c and tests/gpu/*.c get -DUG_HAVE_CUDA.  GPU=0: none of this, the CPU build as before. ----
CUDA_ARCHS   ?= 80 90
CUDA_LIBDIRS ?= $(CUDA_HOME)/lib64 $(CUDNN_HOME)/lib $(CUDNN_HOME)/lib64 $(NCCL_HOME)/lib $(NCCL_HOME)/lib64
GPU_LIBDIRS  := $(sort $(realpath $(wildcard $(CUDA_LIBDIRS))))
CUDA_EXTRA_INC ?=
GPU_INC      := -I$(CUDA_HOME)/include -I$(CUDNN_HOME)/include -I$(NCCL_HOME)/include $(CUDA_EXTRA_INC) -Ikernels
NVCC_OPT     ?= -O3
NVCC_EXTRA   ?=
NVCCFLAGS    := $(NVCC_OPT) $(NVCC_EXTRA) -std=c++17 $(foreach a,$(CUDA_ARCHS),-gencode arch=compute_$(a),code=sm_$(a)) \
                -Xcompiler -Wall,-Wextra,-Wno-unused-parameter $(GPU_INC)
KERNEL_SRCS  := $(sort $(wildcard kernels/*.cu))
KERNEL_OBJS  := $(KERNEL_SRCS:%.cu=$(BUILD)/%.o)
GPU_LIB      := $(BUILD)/libugcuda.a
GPU_TEST_SRCS := $(sort $(wildcard tests/gpu/test_*.c tests/gpu/bench_*.c))
GPU_TEST_BINS := $(GPU_TEST_SRCS:%.c=$(BUILD)/%)
# Records which kind of build $(BUILD) holds, so switching GPU=0/1 rebuilds what depends on it.
GPU_STAMP    := $(BUILD)/gpu-build-flag
$(shell mkdir -p $(BUILD); [ "$$(cat $(GPU_STAMP) 2>/dev/null)" = "$(BUILD_GPU)" ] || echo $(BUILD_GPU) > $(GPU_STAMP))
ifeq ($(BUILD_GPU),1)
  GPU_LIB_DEP := $(GPU_LIB)
  # --as-needed: a test that calls no CUDA code loads no CUDA library
  GPU_LDLIBS  := $(GPU_LIB) -Wl,--as-needed $(foreach d,$(GPU_LIBDIRS),-L$(d) -Wl,-rpath,$(d)) \
                 -lcudnn -lcublas -lnccl -lcudart -lstdc++ -Wl,--no-as-needed
endif

SRCS      := $(shell find src -name '*.c' | sort)
OBJS      := $(SRCS:%.c=$(BUILD)/%.o)
# src/gpu/*.c (the device model, --device) are part of the program; without CUDA they compile to stubs.
LIB_OBJS  := $(filter-out $(BUILD)/src/main.o,$(OBJS))
DEPS      := $(OBJS:.o=.d)

TEST_SRCS := $(shell find tests/unit tests/mpi tests/gpu -name 'test_*.c' 2>/dev/null | sort)
TEST_BINS := $(TEST_SRCS:%.c=$(BUILD)/%)
BENCH_SRCS := $(shell find tests/bench tests/gpu -name 'bench_*.c' 2>/dev/null | sort)
BENCH_BINS := $(BENCH_SRCS:%.c=$(BUILD)/%)

.PHONY: all deps config test test-unit test-asan test-mpi test-integration test-slurm test-cluster demo demo-all cifar10 cifar10-results cifar10-status cifar10-mia19 cifar10-mia19-results bench bench-data golden clean help

all: $(BIN)/ugradsl $(TEST_BINS) $(BENCH_BINS)

$(BIN)/ugradsl: $(OBJS) $(GPU_LIB_DEP) $(GPU_STAMP)
	@mkdir -p $(BIN)
	$(CC) -o $@ $(OBJS) $(GPU_LDLIBS) $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/tests/%: tests/%.c $(LIB_OBJS) tests/harness.h $(GPU_LIB_DEP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -o $@ $< $(LIB_OBJS) $(GPU_LDLIBS) $(LDLIBS)

-include $(DEPS)

# ---- the CUDA part ----
$(filter $(BUILD)/src/gpu/%,$(OBJS)): $(GPU_STAMP)
$(GPU_TEST_BINS): $(GPU_STAMP) $(wildcard tests/gpu/*.h) $(wildcard kernels/*.h)
ifeq ($(BUILD_GPU),1)
$(BUILD)/src/gpu/%.o: CFLAGS += -DUG_HAVE_CUDA $(GPU_INC)
$(BUILD)/tests/gpu/%: CFLAGS += -DUG_HAVE_CUDA $(GPU_INC)
endif

-include $(KERNEL_OBJS:.o=.d)
$(BUILD)/kernels/%.o: kernels/%.cu $(wildcard kernels/*.h)
	@mkdir -p $(dir $@)
	$(NVCC) $(NVCCFLAGS) -MMD -MP -c $< -o $@

$(GPU_LIB): $(KERNEL_OBJS)
	@rm -f $@
	ar rcs $@ $^

# Compile and link the CUDA build only (CI: `make GPU=1 BUILD=build-gpu gpu-build`; no GPU needed).
.PHONY: gpu-build gpu-standalone gpu-standalone-link-check bench-gpu
gpu-build:
	@[ "$(BUILD_GPU)" = 1 ] || { echo "gpu-build: no CUDA build here (nvcc $(HAVE_NVCC), cudnn.h $(HAVE_CUDNN), nccl.h $(HAVE_NCCL)); see make config" >&2; exit 1; }
	@$(MAKE) --no-print-directory $(GPU_LIB) $(GPU_TEST_BINS)

# The GPU tests without HDF5 / oneDNN / OpenBLAS, and without MPI when there is no mpicc (stub mpi.h):
# what tools/gpu-check.sh builds on a GPU machine that has only the CUDA toolkit and a C compiler.
SA_BUILD ?= build-gpu-sa
SA_CC    ?= $(if $(shell command -v mpicc 2>/dev/null),mpicc,cc)
SA_MPI   := $(if $(filter mpicc,$(notdir $(SA_CC))),,-Itests/gpu/nompi)
SA_SRCS  := src/common/util.c src/common/rng.c src/nn/ops_ref_conv.c src/nn/ops_ref_bn.c src/nn/ops_ref_linear.c \
            src/nn/ops_pool.c src/nn/ops_elementwise.c src/nn/loss_gls.c src/nn/loss_kl.c src/nn/optim.c \
            src/nn/adaptive_alpha.c src/nn/exec_cpu.c src/nn/model_exec.c src/dist/dist.c \
            $(if $(SA_MPI),,src/gpu/gpu_dist.c) \
            src/nn/ops.c src/nn/ops_bn_nhwc.c src/nn/model.c src/nn/model_build.c src/nn/model_resnet.c \
            src/nn/model_vgg.c src/nn/model_small_cnn.c src/nn/model_bf16.c src/nn/grad_buckets.c src/gpu/gpu_model.c \
            tests/gpu/standalone/no_cpu_fast_path.c
SA_CFLAGS := $(OPT) -g -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -fopenmp -pthread $(SA_MPI) \
             -DUG_HAVE_CUDA $(GPU_INC) -Isrc -Itests
SA_OBJS   := $(SA_SRCS:%.c=$(SA_BUILD)/sa/%.o)
SA_LIB    ?= $(SA_BUILD)/libugcuda.a
SA_BINS   := $(GPU_TEST_SRCS:%.c=$(SA_BUILD)/%)
$(SA_BUILD)/sa/%.o: %.c
	@mkdir -p $(dir $@)
	$(SA_CC) $(SA_CFLAGS) -c $< -o $@
$(SA_BINS): $(SA_BUILD)/%: %.c $(SA_OBJS) $(SA_LIB)
	@mkdir -p $(dir $@)
	$(SA_CC) $(SA_CFLAGS) -o $@ $< $(SA_OBJS) $(SA_LIB) $(foreach d,$(GPU_LIBDIRS),-L$(d) -Wl,-rpath,$(d)) \
	  -lcudnn -lcublas -lnccl -lcudart -lstdc++ -lm
gpu-standalone:
	@$(MAKE) --no-print-directory BUILD=$(SA_BUILD) GPU=1 $(SA_BUILD)/libugcuda.a
	@$(MAKE) --no-print-directory $(SA_BINS)
# The same link against this build's kernel library (no nvcc run; -O0): that the standalone sources still build
# and link without HDF5 / oneDNN / OpenBLAS (tests/integration/test_gpu_standalone_link.sh).
gpu-standalone-link-check:
	@$(MAKE) --no-print-directory SA_BUILD=$(BUILD)/gpu-sa-check SA_LIB=$(GPU_LIB) OPT=-O0 \
	  $(GPU_TEST_SRCS:%.c=$(BUILD)/gpu-sa-check/%)

# Ours vs PyTorch on this machine's GPU (SKIP lines without one): the full ResNet-18 training step, then the
# conv + BN layers.  BENCH_GPU_ARGS: see tools/bench_gpu_torch.py --help.
PYTHON ?= python3
bench-gpu: $(BUILD)/tests/gpu/bench_gpu_model $(BUILD)/tests/gpu/bench_gpu_layers
	@$(PYTHON) tools/bench_gpu_r18.py --ours $(BUILD)/tests/gpu/bench_gpu_model
	@$(PYTHON) tools/bench_gpu_torch.py --ours $(BUILD)/tests/gpu/bench_gpu_layers $(BENCH_GPU_ARGS)

help:
	@echo "make deps        install the Debian packages (apt-get; idempotent)"
	@echo "make             build bin/ugradsl and the tests"
	@echo "make config      print what the build found"
	@echo "make test        every test (unit, MPI np 2/3, integration, ASan+UBSan); ends 'N passed, N failed'"
	@echo "make test-asan   unit tests under AddressSanitizer + UBSan"
	@echo "make test-slurm  job scripts against a real local Slurm (tools/slurm-local.sh; root)"
	@echo "make test-cluster  multi-node: 4 Slurm nodes in network namespaces (tools/cluster-local.sh; root)"
	@echo "make demo        pack the digits default, split, train, unlearn, report"
	@echo "make demo-all    the same with every baseline of the paper (docs/BASELINES.md)"
	@echo "make cifar10     issue 8: both CIFAR-10 experiments submitted to Slurm (~19 h on 2 cores; resumable)"
	@echo "make cifar10-results  docs/results/cifar10.md from the finished runs (refuses while runs are missing)"
	@echo "make cifar10-status   runs done, the running job and the time left (from the finished runs' durations)"
	@echo "make cifar10-mia19    issue 19's CIFAR-10 re-measurement under the local Slurm (resumable; tools/cifar10_mia19.sh)"
	@echo "make cifar10-mia19-results  docs/results/cifar10-mia19.md from the runs so far (PARTIAL while runs are missing)"
	@echo "make bench       benchmarks vs PyTorch (prints 'bench: name value unit')"
	@echo "make bench-data  loader throughput"
	@echo "make gpu-build   compile + link the CUDA part only (GPU=1; no GPU needed)"
	@echo "make bench-gpu   cuDNN layers vs PyTorch on this machine's GPU (prints 'bench: ...')"
	@echo "make golden      regenerate PyTorch / scikit-learn golden data under tests/golden"

deps:
	@bash tools/install-deps.sh

config:
	@echo "CC          $(CC) ($$($(CC) --version | head -1))"
	@echo "HDF5        $(HDF5_INC) $$([ -f $(HDF5_INC)/H5FDmpio.h ] && echo '(parallel)' || echo '(NOT FOUND)'), libraries $(HDF5_LIB)"
	@echo "oneDNN      $$([ -f /usr/include/dnnl.h ] && echo yes || echo no)"
	@echo "nvcc        $(HAVE_NVCC) ($(NVCC))"
	@echo "cuDNN       $(HAVE_CUDNN) ($(CUDNN_HOME))"
	@echo "NCCL        $(HAVE_NCCL) ($(NCCL_HOME))"
	@echo "GPU build   $(BUILD_GPU) (GPU=$(GPU), archs $(CUDA_ARCHS), kernels -> $(GPU_LIB))"

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

# A 4-node Slurm cluster in network namespaces (tools/cluster-local.sh; root): MPI across nodes, pipeline and
# node-count sweeps, a node failure.  Also part of `make test` (the integration suite).
test-cluster: all
	@bash tests/integration/test_cluster.sh

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

cifar10: deps
	@$(MAKE) --no-print-directory all
	@bash tools/cifar10.sh $(CIFAR10_ARGS)

cifar10-results:
	@/usr/bin/python3 tools/cifar10_results.py $(CIFAR10_RESULTS_ARGS)

cifar10-status:
	@/usr/bin/python3 tools/cifar10_status.py

cifar10-mia19: deps
	@$(MAKE) --no-print-directory all
	@bash tools/cifar10_mia19.sh --stage all

cifar10-mia19-results:
	@/usr/bin/python3 tools/cifar10_mia19_results.py

bench: all
	@bash tools/bench.sh

bench-data: all
	@bash tools/bench-data.sh

golden:
	@bash tools/make-golden.sh

# ---- install like HPC software: make install PREFIX=DIR [MODULE_DEPS="openmpi/4.1 hdf5/1.12-mpi"]
# PREFIX keeps the repository's layout (bin/, jobs/, inputs/, tools/, docs/), so the job scripts find everything
# relative to themselves; PREFIX/modulefiles/ugradsl/VERSION.lua is an Lmod modulefile for it
# (module use PREFIX/modulefiles; module load ugradsl).  MODULE_DEPS: the modules it was built with.
PREFIX      ?= /usr/local/ugradsl
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
MODULE_DEPS ?=
INSTALL_TOOLS := tools/scaling_model.py tools/sweep_score.py tools/run_fingerprint.py tools/slurm-local.sh \
                 tools/cluster-local.sh tools/plot_report.py tools/plot_curve.py
.PHONY: install
install: $(BIN)/ugradsl
	@[ -n "$(PREFIX)" ] || { echo "install: PREFIX is empty" >&2; exit 1; }
	install -d $(PREFIX)/bin $(PREFIX)/jobs $(PREFIX)/inputs $(PREFIX)/tools $(PREFIX)/docs $(PREFIX)/modulefiles/ugradsl
	install -m 755 $(BIN)/ugradsl $(PREFIX)/bin/
	install -m 755 jobs/*.sh jobs/*.sbatch $(PREFIX)/jobs/
	install -m 644 jobs/lib.sh $(PREFIX)/jobs/
	@[ -f $(PREFIX)/jobs/site.env ] && echo "install: $(PREFIX)/jobs/site.env kept (the site's values)" || install -m 644 jobs/site.env $(PREFIX)/jobs/
	install -m 644 inputs/*.ini $(PREFIX)/inputs/
	install -m 755 $(wildcard $(INSTALL_TOOLS)) $(PREFIX)/tools/
	install -m 644 README.md docs/*.md $(PREFIX)/docs/
	@bash tools/gen-modulefile.sh "$(abspath $(PREFIX))" "$(VERSION)" "$(MODULE_DEPS)" > $(PREFIX)/modulefiles/ugradsl/$(VERSION).lua
	@echo "installed ugradsl $(VERSION) in $(PREFIX); module use $(abspath $(PREFIX))/modulefiles && module load ugradsl/$(VERSION)"

clean:
	rm -rf build build-asan build-fuzz build-gpu build-gpu-sa build-gpu-full build-gpu-check bin

.PHONY: test-run
test-run:
	@$(MAKE) --no-print-directory test-asan-build
	@bash tests/run_tests.sh

# ---- fuzzing (tests/fuzz, docs/RELIABILITY.md): libFuzzer harnesses built with clang (via OMPI_CC) in build-fuzz/,
# -DUG_FUZZ_BUILD (ug_die returns to the harness).  `make fuzz-build`; campaigns: tests/fuzz/run.sh. ----
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
.PHONY: fuzz-build build-fuzz-targets
fuzz-build:
	@command -v clang >/dev/null || { echo "fuzz-build: clang not found (make deps installs it)" >&2; exit 1; }
	@OMPI_CC=clang $(MAKE) --no-print-directory BUILD=build-fuzz GPU=0 \
	  OPT="-O1 -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -DUG_FUZZ_BUILD" \
	  LDLIBS="$(LDLIBS) -fsanitize=fuzzer,address,undefined" build-fuzz-targets
build-fuzz-targets: $(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz/%)
$(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz/%): tests/fuzz/fuzz_common.h

.PHONY: test-asan-build
test-asan-build:
	@$(MAKE) --no-print-directory BUILD=build-asan GPU=0 OPT="-O1 -fsanitize=address,undefined -fno-omit-frame-pointer" \
	  LDLIBS="$(LDLIBS) -fsanitize=address,undefined" build-asan-tests
