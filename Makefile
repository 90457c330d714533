# vmbench - top-level build.
#
#   make          build the vmbench CLI, the guest image and the test programs
#   make run      install missing packages, build, `vmbench info`, default matrix
#   make test     install missing packages, build, run every test
#   make bench    performance benchmarks (slow; prints ratios against peers)
#   make fuzz     libFuzzer targets in build/fuzz/ (needs clang)
#
# Sources are picked up by directory (engines/<engine>/*.c, harness/*.c,
# tests/unit/test_*.c), so adding a file needs no Makefile edit. Host code is
# built twice: build/rel (optimised) and build/san (ASan + UBSan, for tests).
# The guest image is built by workloads/Makefile into build/guest/.

.DEFAULT_GOAL := all
.SUFFIXES:
.DELETE_ON_ERROR:
.SECONDARY:

CC := gcc
BUILD := build
OPT ?= -O2
GIT_REV := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)

CPPFLAGS := -D_GNU_SOURCE -Iengines -Iworkloads/include -Iharness
CFLAGS := -std=gnu11 -Wall -Wextra -Werror -g -MMD -MP
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
LDLIBS := -lZydis -lsqlite3 -ljansson -lpfm -lm -lpthread

ENGINE_SRCS := $(wildcard engines/*.c engines/machine/*.c engines/interp/*.c \
	engines/bt/*.c engines/bt/*.S engines/kvm/*.c engines/kvm/libkvm/*.c)
HARNESS_SRCS := $(filter-out harness/main.c,$(wildcard harness/*.c))
LIB_SRCS := $(ENGINE_SRCS) $(HARNESS_SRCS)
TEST_SUPPORT_SRCS := $(wildcard tests/unit/support/*.c)
UNIT_TESTS := $(basename $(notdir $(wildcard tests/unit/test_*.c)))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)

objs = $(patsubst %,$(BUILD)/$(1)/%.o,$(basename $(2)))

REL_LIB := $(BUILD)/rel/libvmb.a
SAN_LIB := $(BUILD)/san/libvmb.a
VMBENCH := $(BUILD)/vmbench
GUEST := $(BUILD)/guest/vmbench-guest.elf
REL_TESTS := $(addprefix $(BUILD)/rel/tests/,$(UNIT_TESTS))
SAN_TESTS := $(addprefix $(BUILD)/san/tests/,$(UNIT_TESTS))

.PHONY: all run test bench deps guest native clean unit-test integration-test fuzz
all: $(VMBENCH) guest native $(REL_TESTS) $(SAN_TESTS)

deps:
	@scripts/setup-deps.sh

# ---- host objects -----------------------------------------------------------
$(BUILD)/rel/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(OPT) -c $< -o $@
$(BUILD)/rel/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@
$(BUILD)/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -O1 $(SAN) -c $< -o $@
$(BUILD)/san/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# Only the result store records the revision: rebuild it, not everything,
# when the revision changes (the stamp is rewritten only on a change).
REV_STAMP := $(BUILD)/git-rev
$(shell mkdir -p $(BUILD); [ "$$(cat $(REV_STAMP) 2>/dev/null)" = "$(GIT_REV)" ] || echo "$(GIT_REV)" > $(REV_STAMP))
$(BUILD)/rel/harness/db.o $(BUILD)/san/harness/db.o: $(REV_STAMP)
$(BUILD)/rel/harness/db.o $(BUILD)/san/harness/db.o: CPPFLAGS += -DVMB_GIT_REV='"$(GIT_REV)"'

$(REL_LIB): $(call objs,rel,$(LIB_SRCS))
	@rm -f $@
	ar rcs $@ $^
$(SAN_LIB): $(call objs,san,$(LIB_SRCS))
	@rm -f $@
	ar rcs $@ $^

$(VMBENCH): $(BUILD)/rel/harness/main.o $(REL_LIB)
	$(CC) $(OPT) -o $@ $^ $(LDLIBS)

$(BUILD)/rel/tests/%: $(BUILD)/rel/tests/unit/%.o $(call objs,rel,$(TEST_SUPPORT_SRCS)) $(REL_LIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS) -lcmocka
$(BUILD)/san/tests/%: $(BUILD)/san/tests/unit/%.o $(call objs,san,$(TEST_SUPPORT_SRCS)) $(SAN_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $^ $(LDLIBS) -lcmocka

# ---- guest image and native kernels ------------------------------------------
guest:
	$(MAKE) -C workloads O=$(abspath $(BUILD))/guest

native:
	$(MAKE) -C workloads O=$(abspath $(BUILD))/guest native

# ---- entry points -------------------------------------------------------------
run: deps all
	$(VMBENCH) info
	@# A failed cell is a result (exit 1): report and plot anyway.
	@rc=0; $(VMBENCH) run --default --out results/latest || rc=$$?; \
	  [ $$rc -le 1 ] || exit $$rc
	$(VMBENCH) report latest
	$(VMBENCH) plot latest --out results/latest/plots --history cpuid/op
	@echo "results: results/latest/report.txt, results/latest/plots/," \
	  "raw data results/latest/{samples,cells}.csv and run.json," \
	  "database results/vmbench.db"

unit-test: $(REL_TESTS) $(SAN_TESTS)
	@tests/run-unit.sh $(REL_TESTS) $(SAN_TESTS)

integration-test: all
	@tests/run-integration.sh

test: deps
	$(MAKE) all
	$(MAKE) unit-test
	$(MAKE) integration-test

bench: deps all
	@tests/run-bench.sh

# libFuzzer targets (clang): each tests/fuzz/fuzz_<x>.c is built with every
# engine source, then run e.g. `build/fuzz/fuzz_elf_loader -max_total_time=60`.
# The unit tests already run bounded mutation loops over the same entry points.
FUZZ_CC := clang
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
fuzz: $(FUZZ_BINS)
$(BUILD)/fuzz/%: tests/fuzz/%.c $(ENGINE_SRCS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) -g -O1 -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
