/*
 * What every test guest is: entry.asm receives control from keel (or any
 * multiboot v1 loader) and calls guest_start(), which installs the exception
 * handlers (idt.h), calls the test's guest_main(), and ends with
 * report_summary_and_exit() when guest_main returns.
 *
 * keel's entry contract (the state entry.asm relies on): 32-bit protected
 * mode, paging off, flat 4 GiB segments, EAX = 0x2BADB002, EBX = the
 * multiboot information, interrupts off, no IDT loaded.
 */
#ifndef GUEST_LIB_GUEST_H
#define GUEST_LIB_GUEST_H

#include <stdint.h>

#include "lib/multiboot.h"

/* Written by each test: its tests.  'magic' and 'mbi' are EAX and EBX as the
 * loader left them. */
void guest_main(uint32_t magic, const struct mb_info *mbi);

/* Called by entry.asm only. */
_Noreturn void guest_start(uint32_t magic, const struct mb_info *mbi);

/* The multiboot information given at entry, or NULL when EAX was not the
 * multiboot magic. */
const struct mb_info *boot_info(void);

/* The guest's command line ("" when the loader passed none).  Under keel it
 * holds the words after "--" on the guest's module line; QEMU's -kernel puts
 * the image's path first. */
const char *guest_cmdline(void);

#endif
