#include <stddef.h>

#include "lib/idt.h"
#include "lib/report.h"
#include "lib/x86.h"

/* GDT selector of entry.asm's flat 32-bit code segment. */
#define GDT_CODE_SELECTOR 0x08

/* A 32-bit interrupt gate, present, DPL 0 (SDM vol. 3A 6.11, figure 6-2):
 * P = 1, DPL = 0, type 1110b.  An interrupt gate keeps IF clear in the
 * handler, which the guests never set anyway. */
#define IDT_GATE_INTERRUPT32_PRESENT 0x8E

struct idt_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t reserved;
    uint8_t type_attributes;
    uint16_t offset_high;
} __attribute__((packed));

_Static_assert(sizeof(struct idt_gate) == 8, "IDT gate layout (SDM vol. 3A figure 6-2)");
_Static_assert(sizeof(struct exception_frame) == 13 * 4, "vectors.asm frame layout");

/* vectors.asm: the address of each vector's entry stub. */
extern const uint32_t exception_stubs[NR_IDT_VECTORS];

static struct idt_gate idt[NR_IDT_VECTORS] __attribute__((aligned(8)));
static intr_handler_fn handlers[NR_IDT_VECTORS];

volatile struct fault_record last_fault = { .vector = NO_FAULT };
volatile uint32_t fault_try_eip;
volatile uint32_t fault_recovery_eip;

static const char *const exception_names[NR_EXCEPTION_VECTORS] = {
    [DE_VECTOR] = "#DE", [DB_VECTOR] = "#DB", [NMI_VECTOR] = "NMI",
    [BP_VECTOR] = "#BP", [OF_VECTOR] = "#OF", [BR_VECTOR] = "#BR",
    [UD_VECTOR] = "#UD", [NM_VECTOR] = "#NM", [DF_VECTOR] = "#DF",
    [TS_VECTOR] = "#TS", [NP_VECTOR] = "#NP", [SS_VECTOR] = "#SS",
    [GP_VECTOR] = "#GP", [PF_VECTOR] = "#PF", [MF_VECTOR] = "#MF",
    [AC_VECTOR] = "#AC", [MC_VECTOR] = "#MC", [XM_VECTOR] = "#XM",
    [VE_VECTOR] = "#VE", [CP_VECTOR] = "#CP",
};

const char *exception_name(int vector)
{
    if (vector < 0 || vector >= NR_EXCEPTION_VECTORS || !exception_names[vector])
        return "#??";
    return exception_names[vector];
}

void idt_install(void)
{
    for (int v = 0; v < NR_IDT_VECTORS; v++) {
        uint32_t handler = exception_stubs[v];
        idt[v] = (struct idt_gate){
            .offset_low = (uint16_t)handler,
            .selector = GDT_CODE_SELECTOR,
            .type_attributes = IDT_GATE_INTERRUPT32_PRESENT,
            .offset_high = (uint16_t)(handler >> 16),
        };
    }
    struct descriptor_table_pointer idtr = {
        .limit = sizeof(idt) - 1,
        .base = (uint32_t)(uintptr_t)idt,
    };
    lidt(&idtr);
}

void fault_reset(void)
{
    last_fault.vector = NO_FAULT;
    last_fault.error_code = 0;
    last_fault.eip = 0;
    last_fault.eflags = 0;
}

bool fault_at_try(int vector)
{
    return last_fault.vector == vector && last_fault.eip == fault_try_eip;
}

void idt_set_handler(unsigned vector, intr_handler_fn fn)
{
    if (vector < NR_IDT_VECTORS)
        handlers[vector] = fn;
}

void exception_dispatch(struct exception_frame *frame)
{
    if (frame->vector < NR_IDT_VECTORS && handlers[frame->vector]) {
        handlers[frame->vector](frame);
        return;
    }
    if (fault_recovery_eip) {
        last_fault.vector = (int)frame->vector;
        last_fault.error_code = frame->error_code;
        last_fault.eip = frame->eip;
        last_fault.eflags = frame->eflags;
        frame->eip = fault_recovery_eip;
        fault_recovery_eip = 0;
        return;
    }
    if (frame->vector >= NR_EXCEPTION_VECTORS)
        report_abort("unexpected interrupt, vector %u, at EIP 0x%08x", frame->vector, frame->eip);
    printf("unexpected exception %s (vector %u) error code 0x%x at EIP 0x%08x, CR2 0x%08x\n",
           exception_name((int)frame->vector), frame->vector, frame->error_code,
           frame->eip, read_cr2());
    report_abort("unexpected %s at EIP 0x%08x", exception_name((int)frame->vector),
                 frame->eip);
}
