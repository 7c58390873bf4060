/*
 * A GDT with more than entry.asm's two flat ring-0 segments: ring-3 code and
 * data segments, a 64-bit code segment, a 32-bit and a 64-bit TSS, and a
 * ring-3 call gate of each width, for guests that run code at CPL 3
 * (usermode.h) or in IA-32e mode (longmode.h).  Selectors 0x08 and 0x10 keep
 * entry.asm's meaning, so installing the table changes nothing for code
 * already running.
 *
 * usermode.asm and longmode.asm repeat these selector values: keep them in
 * step.
 */
#ifndef GUEST_LIB_DESCRIPTORS_H
#define GUEST_LIB_DESCRIPTORS_H

#include <stdint.h>

#define SELECTOR_RPL3 3u

#define GDT_KERNEL_CODE32_SELECTOR 0x08u    /* entry.asm's flat 32-bit code */
#define GDT_KERNEL_DATA_SELECTOR   0x10u    /* entry.asm's flat data */
#define GDT_USER_CODE32_SELECTOR   (0x18u | SELECTOR_RPL3)
#define GDT_USER_DATA_SELECTOR     (0x20u | SELECTOR_RPL3)
#define GDT_KERNEL_CODE64_SELECTOR 0x28u    /* L = 1: 64-bit mode */
#define GDT_TSS32_SELECTOR         0x30u
#define GDT_CALL_GATE32_SELECTOR   (0x38u | SELECTOR_RPL3)
#define GDT_TSS64_SELECTOR         0x40u    /* 16-byte descriptor: 0x40, 0x48 */
#define GDT_CALL_GATE64_SELECTOR   (0x50u | SELECTOR_RPL3)  /* 16 bytes: 0x50, 0x58 */

/* Task-state segments (SDM vol. 3A 8.2.1 figure 8-2, 8.7 figure 8-11): only
 * the ring-0 stack is used (for exceptions and call-gate entries from CPL 3);
 * the I/O map base points past the limit, so CPL 3 has no port access. */
struct tss32 {
    uint32_t previous_task_link;
    uint32_t esp0;
    uint32_t ss0;
    uint32_t unused[22];        /* ESP1 .. LDT selector */
    uint16_t trap;
    uint16_t io_map_base;
} __attribute__((packed));

struct tss64 {
    uint32_t reserved0;
    uint64_t rsp0;
    uint64_t rsp1;
    uint64_t rsp2;
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t io_map_base;
} __attribute__((packed));

/* usermode.asm writes the ring-0 stack into them before each CPL-3 call. */
extern struct tss32 guest_tss32;
extern struct tss64 guest_tss64;

/* Loads the GDT and reloads the segment registers (once; later calls do
 * nothing).  Outside IA-32e mode it also loads TR with the 32-bit TSS. */
void descriptors_install(void);

/* Loads TR with the 64-bit TSS.  IA-32e mode only: longmode_enter() calls it. */
void descriptors_load_tss64(void);

#endif
