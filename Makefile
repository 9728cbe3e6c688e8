# Ferrite build. `make` builds the kernel and the ISO; `make run` boots it; `make test` runs
# every test (host unit tests, user-space tests on the host Linux, in-kernel ktests, QEMU
# system tests) and ends with "N passed, N failed".

BUILD   ?= build
CC      := gcc
LD      := ld
OBJCOPY := objcopy
NM      := nm

KCFLAGS := -std=gnu11 -ffreestanding -fno-stack-protector -fno-pic -fno-pie -mcmodel=kernel \
	   -mno-red-zone -mgeneral-regs-only -fno-omit-frame-pointer -fno-asynchronous-unwind-tables \
	   -fno-strict-aliasing -fno-common -O2 -g -Wall -Wextra -Werror -Ikernel -MMD -MP
# make MM_DEBUG=1: slab debugging (poison, red zones, double free) for every cache.
ifeq ($(MM_DEBUG),1)
KCFLAGS += -DMM_DEBUG
endif
KASFLAGS := -Ikernel -D__ASSEMBLER__ -MMD -MP
KLDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack -T kernel/arch/x86_64/kernel.ld

KSRC_C := $(shell find kernel -name '*.c' | sort)
KSRC_S := $(shell find kernel -name '*.S' | sort)
KOBJS  := $(KSRC_C:%.c=$(BUILD)/%.o) $(KSRC_S:%.S=$(BUILD)/%.o)

KERNEL := $(BUILD)/ferrite.elf
ISO    := $(BUILD)/ferrite.iso

.PHONY: all kernel iso run test unit-tests user-tests deps clean
all: $(KERNEL) $(ISO)
kernel: $(KERNEL)
iso: $(ISO)

# Flags live here, so a change to this file rebuilds everything.
$(BUILD)/kernel/%.o: kernel/%.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(KCFLAGS) -c $< -o $@

$(BUILD)/kernel/%.o: kernel/%.S Makefile
	@mkdir -p $(dir $@)
	$(CC) $(KASFLAGS) -c $< -o $@

# Symbol table for backtraces: link once with an empty table, list the text symbols, link again
# with them. .ksyms sits after .text in the link map, so the second pass moves no code; the
# final check proves it.
$(BUILD)/ksyms0.S: tools/ksymgen.sh
	@mkdir -p $(BUILD)
	sh tools/ksymgen.sh < /dev/null > $@
$(BUILD)/ferrite.pass1.elf: $(KOBJS) $(BUILD)/ksyms0.o kernel/arch/x86_64/kernel.ld
	$(LD) $(KLDFLAGS) -o $@ $(KOBJS) $(BUILD)/ksyms0.o
$(BUILD)/ksyms.S: $(BUILD)/ferrite.pass1.elf tools/ksymgen.sh
	$(NM) -n --defined-only $< | sh tools/ksymgen.sh > $@
$(BUILD)/%.o: $(BUILD)/%.S
	$(CC) $(KASFLAGS) -c $< -o $@
$(KERNEL): $(BUILD)/ferrite.pass1.elf $(BUILD)/ksyms.o
	$(LD) $(KLDFLAGS) -o $@ $(KOBJS) $(BUILD)/ksyms.o
	@$(NM) -n --defined-only $(BUILD)/ferrite.pass1.elf | grep -i ' t ' > $(BUILD)/syms.pass1
	@$(NM) -n --defined-only $@ | grep -i ' t ' > $(BUILD)/syms.final
	@cmp -s $(BUILD)/syms.pass1 $(BUILD)/syms.final || { echo "ksyms: text moved between link passes"; exit 1; }

# `make run` boots into Debian's busybox-static: /init and /etc from user/rootfs/, an applet
# link for every command (tools/mkrootfs.sh).
ROOTFS := $(BUILD)/rootfs.cpio.gz
$(ROOTFS): tools/mkrootfs.sh $(shell find user/rootfs -type f)
	@mkdir -p $(BUILD)
	sh tools/mkrootfs.sh $@
$(ISO): $(KERNEL) tools/mkiso.sh $(ROOTFS)
	sh tools/mkiso.sh $(KERNEL) $@ "console=ttyS0" $(ROOTFS)

# The ISO the system tests boot: runs the ktests, carries a 70000-byte initramfs module.
TEST_ISO := $(BUILD)/ferrite-test.iso
# A real cpio archive (one file), zero-padded to 70000 bytes as Linux allows after the trailer.
$(BUILD)/test-initrd.bin:
	@mkdir -p $(BUILD)/test-initrd-tree
	echo "ferrite test initrd" > $(BUILD)/test-initrd-tree/hello.txt
	cd $(BUILD)/test-initrd-tree && echo hello.txt | cpio -o -H newc --quiet > ../test-initrd.bin
	truncate -s 70000 $@
$(TEST_ISO): $(KERNEL) tools/mkiso.sh $(BUILD)/test-initrd.bin
	sh tools/mkiso.sh $(KERNEL) $@ "ktest console=ttyS0" $(BUILD)/test-initrd.bin

# ---- user programs (static musl binaries; rules in user/Makefile.inc) ----
include user/Makefile.inc

# An initramfs whose /init only idles (system tests that drive the kernel from outside).
$(BUILD)/idle-initrd.cpio: $(BUILD)/user/init/idle
	@rm -rf $(BUILD)/idle-initrd-tree && mkdir -p $(BUILD)/idle-initrd-tree
	cp $< $(BUILD)/idle-initrd-tree/init
	cd $(BUILD)/idle-initrd-tree && echo init | cpio -o -H newc --quiet > ../idle-initrd.cpio

# ---- host unit tests: tests/unit/test_*.c; the first line names the kernel sources needed ----
UNIT_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -fsanitize=address,undefined \
	       -fno-sanitize-recover=all -fno-omit-frame-pointer -Ikernel -Itests/unit -DHOST_UNIT_TEST
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit/%)
# Kernel sources a test names on its first line ("// unit-deps: kernel/lib/printf.c ...").
unit-deps = $(patsubst %.c,$(BUILD)/unit/obj/%.o,$(shell sed -n '1s|^// unit-deps:||p' tests/unit/$(1).c))

$(BUILD)/unit/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -MMD -MP -include tests/unit/host_prefix.h -c $< -o $@

.SECONDEXPANSION:
$(BUILD)/unit/%: tests/unit/%.c tests/unit/unit_main.c tests/unit/unit.h tests/unit/host_prefix.h $$(call unit-deps,$$*)
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -DUNIT_SUITE='"$(patsubst test_%,%,$*)"' -o $@ $< tests/unit/unit_main.c $(call unit-deps,$*) -lm

# Keep the host objects of kernel sources between test builds.
.SECONDARY:

unit-tests: $(UNIT_BINS)

deps:
	@sh tools/install-deps.sh

run: deps all
	sh tools/run.sh

test: deps all $(TEST_ISO) unit-tests user-tests $(BUILD)/idle-initrd.cpio $(BUILD)/user/init/runtests
	@bash tests/run.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' -type f 2>/dev/null)
