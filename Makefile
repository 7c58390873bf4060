# keel: top-level build.  `make` builds build/keel.elf, `make iso` the boot ISO,
# `make run` boots it, `make test` runs the host unit tests and the emulator boots,
# `make bench` runs the exit benchmark (docs/benchmarks.md; results in build/bench/).
# `make V=1` shows every command; `CROSS=x86_64-elf-` uses a cross toolchain.

CROSS   ?=
CC      := $(CROSS)gcc
LD      := $(CROSS)ld
OBJDUMP := $(CROSS)objdump
NASM    ?= nasm
HOSTCC  ?= gcc
BUILD   ?= build

ifeq ($(V),1)
Q :=
else
Q := @
endif

# Folders whose .c and .asm files make up the kernel image.  A new file in one of
# them is picked up without touching this Makefile.
KERNEL_DIRS := boot arch/x86 mm vmx drivers kernel lib guest guest/dev

C_SRCS   := $(foreach d,$(KERNEL_DIRS),$(wildcard $(d)/*.c))
ASM_SRCS := $(foreach d,$(KERNEL_DIRS),$(wildcard $(d)/*.asm))
OBJS     := $(patsubst %.c,$(BUILD)/obj/%.o,$(C_SRCS)) \
            $(patsubst %.asm,$(BUILD)/obj/%.asm.o,$(ASM_SRCS))

# -mcmodel=kernel: keel is linked in the top 2 GiB (see linker.ld).
# -mno-sse/-mno-mmx/-mno-80387: keel never saves the host FPU/SSE state, and a
# guest's vector registers must not be clobbered behind its back.
# -fno-omit-frame-pointer: panic() and the exception handlers walk the stack;
# -momit-leaf-frame-pointer: a function that calls nothing needs no frame for
# that (a crash in one is reported at its RIP, and its caller's chain is
# intact), and the VM-exit path's phases and handlers are such leaves.
CFLAGS := -ffreestanding -mno-red-zone -mcmodel=kernel -mno-sse -mno-mmx -mno-80387 \
          -fno-pic -fno-pie -fno-stack-protector -fno-omit-frame-pointer -momit-leaf-frame-pointer \
          -ffunction-sections -fdata-sections -fno-strict-aliasing \
          -std=c11 -O2 -g -Wall -Wextra -Werror -Wmissing-prototypes -Wshadow \
          -Wstrict-prototypes -Wpointer-arith -I. -MMD -MP
NASMFLAGS := -f elf64 -g -F dwarf -I. -MD
LDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack --gc-sections -T linker.ld

KERNEL := $(BUILD)/keel.elf
ISO    := $(BUILD)/keel.iso

.PHONY: all iso run test unit fuzz clean deps
all: $(KERNEL)

$(KERNEL): $(OBJS) linker.ld
	@echo "  LD      $@"
	$(Q)$(LD) $(LDFLAGS) -o $@ $(OBJS)
	$(Q)$(OBJDUMP) -d -M intel $@ > $(BUILD)/keel.dis

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/obj/%.asm.o: %.asm
	@mkdir -p $(dir $@)
	@echo "  NASM    $<"
	$(Q)$(NASM) $(NASMFLAGS) $(@:.o=.d) $< -o $@

iso: $(ISO)
$(ISO): $(KERNEL) iso/mkiso iso/grub.cfg.in
	@echo "  ISO     $@"
	$(Q)iso/mkiso -o $@ -k $(KERNEL)

# Installs the Debian packages the build, the runners and the tests need
# (prints what it installs; uses sudo when not root).
deps:
	$(Q)scripts/install-deps

run: deps $(ISO)
	$(Q)tests/run-iso --interactive auto $(ISO)

test: deps
	$(Q)$(MAKE) --no-print-directory $(KERNEL) $(ISO) guests
	$(Q)tests/run-all

unit:
	$(Q)tests/run-all --unit-only

# The fuzz targets alone, for longer: make fuzz FUZZ_SECONDS=600
FUZZ_SECONDS ?= 300
fuzz: deps
	$(Q)FUZZ_SECONDS=$(FUZZ_SECONDS) tests/run-all --fuzz-only

clean:
	rm -rf $(BUILD)

# Test guests: small freestanding multiboot programs keel runs (tests/guests/).
include tests/guests/guests.mk

# Blank disk images for the disk test guests: 4 MiB of zeros each (keel
# writes to a copy-on-write overlay, so they stay blank).
TEST_DISKS := $(BUILD)/disks/ata.img $(BUILD)/disks/atabench.img
$(BUILD)/disks/%.img:
	@mkdir -p $(dir $@)
	$(Q)truncate -s 4M $@
guests: $(TEST_DISKS)

# The exit benchmark: exitbench under keel and bare on each platform; tables,
# results.json and exit-costs.png in $(BUILD)/bench/ (docs/benchmarks.md).
# Options for scripts/bench: make bench BENCH_ARGS="-n 200 -p bochs-ept"
.PHONY: bench
bench: $(KERNEL) guests
	$(Q)BUILD=$(BUILD) scripts/bench $(BENCH_ARGS)

-include $(OBJS:.o=.d)
