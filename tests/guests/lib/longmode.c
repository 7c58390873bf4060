#include <stddef.h>

#include "lib/descriptors.h"
#include "lib/idt.h"
#include "lib/longmode.h"
#include "lib/report.h"

/* A 64-bit interrupt gate, present, DPL 0, no IST (SDM vol. 3A 6.14.1,
 * figure 6-8): type 1110b as in 32-bit mode, but 16 bytes with the upper
 * half of the offset. */
#define IDT64_GATE_INTERRUPT_PRESENT 0x8E

struct idt64_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attributes;
    uint16_t offset_middle;
    uint32_t offset_high;
    uint32_t reserved;
} __attribute__((packed));

_Static_assert(sizeof(struct idt64_gate) == 16, "64-bit IDT gate layout (SDM vol. 3A figure 6-8)");

/* LIDT's operand in 64-bit mode, where longmode.asm executes it (SDM vol. 2A,
 * LGDT/LIDT: 2-byte limit, 8-byte base). */
struct idt64_pointer {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

/* longmode.asm. */
extern const uint32_t longmode_exception_stubs[NR_EXCEPTION_VECTORS];
extern volatile uint32_t longmode_64bit_marker;
extern volatile uint64_t longmode_exception_rip;
void longmode_switch(uint32_t pml4, const struct idt64_pointer *idtr);

static struct idt64_gate idt64[NR_EXCEPTION_VECTORS] __attribute__((aligned(16)));
static bool active;

static void build_idt64(void)
{
    for (int v = 0; v < NR_EXCEPTION_VECTORS; v++) {
        uint32_t handler = longmode_exception_stubs[v];
        idt64[v] = (struct idt64_gate){
            .offset_low = (uint16_t)handler,
            .selector = GDT_KERNEL_CODE64_SELECTOR,
            .type_attributes = IDT64_GATE_INTERRUPT_PRESENT,
            .offset_middle = (uint16_t)(handler >> 16),
        };
    }
}

void longmode_enter(uint32_t pml4)
{
    if (active)
        report_abort("longmode_enter: already in IA-32e mode");
    build_idt64();
    descriptors_install();
    struct idt64_pointer idtr = {
        .limit = sizeof(idt64) - 1,
        .base = (uint32_t)(uintptr_t)idt64,
    };
    longmode_switch(pml4, &idtr);
    active = true;
    descriptors_load_tss64();
}

bool longmode_active(void)
{
    return active;
}

bool longmode_64bit_code_ran(void)
{
    return longmode_64bit_marker == 1;
}

uint64_t longmode_last_exception_rip(void)
{
    return longmode_exception_rip;
}
