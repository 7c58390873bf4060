# keel's test guests: each tests/guests/NAME.c, linked with the library in
# tests/guests/lib/, becomes $(BUILD)/guests/NAME.elf, a multiboot v1 ELF32
# image that keel runs as a VM (or QEMU runs bare with -kernel).
#
#   include tests/guests/guests.mk          from the top-level Makefile
#   make -f tests/guests/guests.mk guests   alone (from the repository root)
#
# Defines GUEST_ELFS and the phony target `guests`.  Guests are 32-bit code
# built with the host gcc (-m32 needs no multilib for freestanding code).
# Every image is checked with grub-file when it is installed.

GUESTS_MK := $(lastword $(MAKEFILE_LIST))
guests_saved_default_goal := $(.DEFAULT_GOAL)

BUILD  ?= build
NASM   ?= nasm
HOSTCC ?= gcc

# Quiet unless V=1, as in the top-level Makefile (which sets Q itself).
ifeq ($(V),1)
Q ?=
else
Q ?= @
endif

GUEST_CC   ?= $(HOSTCC)
GUEST_LD   ?= ld
GUEST_DIR  := tests/guests
GUEST_OBJ  := $(BUILD)/guests/obj

# -mno-sse/-mno-mmx/-mno-80387: the guests never enable SSE (CR4.OSFXSR is
# theirs to test) and must not depend on FPU state keel might not switch.
GUEST_CFLAGS := -m32 -ffreestanding -fno-pic -fno-pie -nostdlib -fno-stack-protector \
                -O2 -g -Wall -Wextra -Werror -std=gnu11 \
                -Wmissing-prototypes -Wshadow -Wstrict-prototypes \
                -mno-sse -mno-mmx -mno-80387 -fno-asynchronous-unwind-tables \
                -I$(GUEST_DIR) -MMD -MP
GUEST_NASMFLAGS := -f elf32 -g -F dwarf
GUEST_LDFLAGS := -m elf_i386 -nostdlib -static -z max-page-size=0x1000 \
                 -T $(GUEST_DIR)/lib/guest.ld

# Guests that load elsewhere than at 1 MiB: GUEST_LOAD_ADDR_name := ADDRESS.
# lowmem loads in conventional memory, as kvm-unit-tests' realmode does (at
# 32 KiB), and runs real mode; at 48 KiB, above the page at 0x9000 where
# QEMU's -kernel puts the multiboot information, so it runs bare too.
GUEST_LOAD_ADDR_lowmem := 0xC000

GUEST_SRCS     := $(wildcard $(GUEST_DIR)/*.c)
GUEST_ELFS     := $(patsubst $(GUEST_DIR)/%.c,$(BUILD)/guests/%.elf,$(GUEST_SRCS))
GUEST_MAIN_OBJS := $(patsubst $(GUEST_DIR)/%.c,$(GUEST_OBJ)/%.o,$(GUEST_SRCS))
GUEST_LIB_C_OBJS := $(patsubst $(GUEST_DIR)/lib/%.c,$(GUEST_OBJ)/lib/%.o,\
                      $(wildcard $(GUEST_DIR)/lib/*.c))
GUEST_LIB_ASM_OBJS := $(patsubst $(GUEST_DIR)/lib/%.asm,$(GUEST_OBJ)/lib/%.asm.o,\
                        $(wildcard $(GUEST_DIR)/lib/*.asm))
GUEST_LIB_OBJS := $(GUEST_LIB_ASM_OBJS) $(GUEST_LIB_C_OBJS)
GUEST_DEPS     := $(GUEST_MAIN_OBJS:.o=.d) $(GUEST_LIB_C_OBJS:.o=.d) \
                  $(GUEST_LIB_ASM_OBJS:.o=.d)

# lowmem's module: 10000 bytes (not a whole number of pages), byte i =
# (7i + 3) mod 256, which the guest checks.
GUEST_DATA := $(BUILD)/guests/lowmem.mod

.PHONY: guests
guests: $(GUEST_ELFS) $(GUEST_DATA)

$(BUILD)/guests/lowmem.mod: $(GUESTS_MK)
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	$(Q)python3 -c 'import sys; sys.stdout.buffer.write(bytes((7 * i + 3) % 256 for i in range(10000)))' >$@

$(GUEST_ELFS): $(BUILD)/guests/%.elf: $(GUEST_OBJ)/%.o $(GUEST_LIB_OBJS) \
               $(GUEST_DIR)/lib/guest.ld $(GUESTS_MK)
	@echo "  LD      $@"
	$(Q)$(GUEST_LD) $(GUEST_LDFLAGS) \
	    $(if $(GUEST_LOAD_ADDR_$*),--defsym=GUEST_LOAD_ADDR=$(GUEST_LOAD_ADDR_$*)) \
	    -o $@ $< $(GUEST_LIB_OBJS)
	$(Q)if command -v grub-file >/dev/null && ! grub-file --is-x86-multiboot $@; then \
	    echo "$@: not a multiboot v1 image (grub-file)" >&2; rm -f $@; exit 1; fi

$(GUEST_MAIN_OBJS) $(GUEST_LIB_C_OBJS): $(GUEST_OBJ)/%.o: $(GUEST_DIR)/%.c $(GUESTS_MK)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_LIB_ASM_OBJS): $(GUEST_OBJ)/%.asm.o: $(GUEST_DIR)/%.asm $(GUESTS_MK)
	@mkdir -p $(dir $@)
	@echo "  NASM    $<"
	$(Q)$(NASM) $(GUEST_NASMFLAGS) -MD $(@:.o=.d) -MP $< -o $@

-include $(GUEST_DEPS)

# Alone, `make -f tests/guests/guests.mk` builds the guests; included, this
# file leaves the including Makefile's default goal as it was (an empty
# value lets the next rule there become the default).
ifeq ($(firstword $(MAKEFILE_LIST)),$(GUESTS_MK))
.DEFAULT_GOAL := guests
else
.DEFAULT_GOAL := $(guests_saved_default_goal)
endif
