/* keel's GDT and TSS (arch/x86/gdt.c).  One CPU for now. */
#ifndef KEEL_ARCH_X86_GDT_H
#define KEEL_ARCH_X86_GDT_H

#include <stdint.h>

#define GDT_KERNEL_CS  0x08
#define GDT_KERNEL_DS  0x10
#define GDT_TSS        0x18     /* a 16-byte system descriptor: slots 3 and 4 */

/* Interrupt-stack-table slots (SDM vol. 3A 8.14.5): faults that may hit with a
 * broken stack get a known-good one. */
#define IST_DOUBLE_FAULT   1
#define IST_NMI            2
#define IST_MACHINE_CHECK  3

/* 64-bit TSS (SDM vol. 3A 8.7, figure 8-11). */
struct __attribute__((packed)) tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
};
_Static_assert(sizeof(struct tss64) == 104, "64-bit TSS is 104 bytes");

/* Loads keel's GDT and TSS and reloads every segment register. */
void gdt_init(void);

/* For the VMCS host-state area (SDM vol. 3C 25.5). */
uint64_t gdt_base(void);
uint64_t tss_base(void);

#endif
