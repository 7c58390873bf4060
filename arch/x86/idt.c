/* keel's IDT: every vector goes to its stub in traps.asm; exceptions that can
 * arrive on a broken stack run on their IST stacks. */
#include "arch/x86/cpu.h"
#include "arch/x86/gdt.h"
#include "arch/x86/traps.h"

/* 64-bit interrupt gate descriptor, SDM vol. 3A 7.14.1 figure 7-8. */
struct __attribute__((packed)) idt_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
};
_Static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gates are 16 bytes");

#define GATE_PRESENT         0x80
#define GATE_TYPE_INTERRUPT  0x0e   /* clears IF on entry */

extern const uint64_t trap_stub_table[NR_VECTORS];

static struct idt_gate idt[NR_VECTORS] __attribute__((aligned(16)));

static void set_gate(unsigned vector, uint64_t handler, unsigned ist)
{
    idt[vector] = (struct idt_gate){
        .offset_low = (uint16_t)handler,
        .selector = GDT_KERNEL_CS,
        .ist = (uint8_t)ist,
        .type_attr = GATE_PRESENT | GATE_TYPE_INTERRUPT,
        .offset_mid = (uint16_t)(handler >> 16),
        .offset_high = (uint32_t)(handler >> 32),
    };
}

static unsigned ist_for_vector(unsigned vector)
{
    switch (vector) {
    case EXC_DF:
        return IST_DOUBLE_FAULT;
    case EXC_NMI:
        return IST_NMI;
    case EXC_MC:
        return IST_MACHINE_CHECK;
    default:
        return 0;
    }
}

void idt_init(void)
{
    for (unsigned v = 0; v < NR_VECTORS; v++)
        set_gate(v, trap_stub_table[v], ist_for_vector(v));
    struct descriptor_table_ptr ptr = {
        .limit = sizeof(idt) - 1,
        .base = (uint64_t)(uintptr_t)idt,
    };
    lidt(&ptr);
}
