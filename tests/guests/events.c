/*
 * events: exceptions, software interrupts, external interrupts and NMIs
 * delivered while keel's shadow page tables do not yet map what the
 * delivery touches.
 *
 * With shadow paging keel's tables start empty after every MOV CR3 (a CR3
 * load drops every non-global cached translation: SDM vol. 3A 4.10.4.1).
 * So each check here reloads CR3 just before its event: the CPU's delivery
 * then reads an IDT gate, the GDT, the stack and the handler's code through
 * translations keel has not built, takes a #PF VM exit in the middle of the
 * delivery, and keel must deliver the same event again from the
 * IDT-vectoring information (SDM vol. 3C 28.2.4 "Information for VM Exits
 * That Occur During Event Delivery", 31.7.1.1 "Reflecting Exceptions to
 * Guest Software"): a software interrupt or exception with its instruction
 * length, so the handler returns after the INT n / INT3 / INTO; an
 * interrupt without acknowledging another; an NMI.  With EPT the same checks
 * pass through the CPU alone (keel's EPT maps all of RAM up front), and
 * check the events keel injects (self-IPIs, NMIs) and its interrupt windows.
 *
 * What kvm-unit-tests' eventinj test does with QEMU's page-flush port, this
 * guest does with MOV CR3, plus what keel must add on its own:
 *   - #DE, INT3, INT 3 (CD 03), INTO, INTO with an address-size prefix,
 *     INT 0x21: each handler returns just after the instruction (#DE: the
 *     handler fixes the divisor and DIV runs again);
 *   - self-IPIs: one with IF = 1; two pending, both taken in one STI window,
 *     higher vector first; one pending while STI; INT 0x21 runs in the STI
 *     shadow: the INT first (SDM vol. 3A 6.8.3); TPR holding a vector of its
 *     class until lowered;
 *   - INT 0x21 through a not-present gate: #NP(0x21 * 8 + IDT) at the INT,
 *     then the INT again once the handler made the gate present;
 *   - NMIs: a second NMI sent from the NMI handler waits for the handler's
 *     IRET (SDM vol. 3A 6.7.1), also when that IRET pops its frame from a
 *     page keel has not mapped yet: the IRET then exits half done, with "NMI
 *     unblocking due to IRET" set (vol. 3C 28.2.3), and keel must block NMIs
 *     again before it lets the IRET run once more (vol. 3C 31.7.1.2), or the
 *     second NMI arrives on the IRET itself;
 *   - a #PF raised while delivering an exception, which keel finds in the
 *     guest's own tables under shadow paging and must combine with the
 *     exception being delivered as a CPU would (SDM vol. 3A 6.15, table
 *     6-5): during #DE (contributory) the #PF is delivered and DIV runs
 *     again; during #PF it is a double fault;
 *   - INT 0x21 with ESP inside the page table that maps the stack.
 *
 * The guest pages with 4 KiB pages through its own 32-bit hierarchy: RAM
 * and the xAPIC page identity-mapped.  Interrupts come from self-IPIs only:
 * the 8259s and every I/O APIC pin are masked.
 *
 * Expected under keel: pass, with EPT and with shadow paging.  Bare (QEMU
 * 7.2 TCG, Bochs): pass.
 */
#include <stdbool.h>
#include <stdint.h>

#include "lib/apic.h"
#include "lib/guest.h"
#include "lib/idt.h"
#include "lib/irq.h"
#include "lib/page_alloc.h"
#include "lib/pagetable.h"
#include "lib/paging.h"
#include "lib/pic.h"
#include "lib/report.h"
#include "lib/runner.h"
#include "lib/string.h"
#include "lib/x86.h"

#define V_LOW           0x21u           /* class 2 */
#define V_HIGH          0x3Eu           /* class 3 */
#define V_SPURIOUS      0xFFu
#define TPR_CLASS2      0x20u
#define TPR_ALL         0xF0u
#define IDT_GATE_SIZE   8u
#define IDT_ENTRIES     256u
#define IDT_BYTES       (IDT_GATE_SIZE * IDT_ENTRIES)
#define GATE_PRESENT    0x80u           /* P in the gate's type/attribute byte */
#define ERROR_CODE_IDT  0x2u            /* error code bit 1: the index is an IDT gate */

static struct pt_space space;

/* ---- the address space ----------------------------------------------------- */

/* Drops every translation keel's shadow tables cache (with EPT: the TLB's). */
static void flush_translations(void)
{
    write_cr3(read_cr3());
}

static void set_present(uint32_t linear, bool present)
{
    pt_update(&space, linear, PT_PTE, present ? 0 : PTE_P, present ? PTE_P : 0);
    invlpg(linear);
}

static void paging_on(void)
{
    pt_init(&space, PT_MODE_32BIT);
    pt_map_range(&space, 0, 0, ram_end(), PT_PTE, PTE_P | PTE_RW);
    pt_map(&space, XAPIC_DEFAULT_BASE, XAPIC_DEFAULT_BASE, PT_PTE, PTE_P | PTE_RW | PTE_PCD);
    pt_enable(&space);
}

/* ---- the IDT --------------------------------------------------------------- */

struct idt_pointer {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed));

static struct idt_pointer current_idt(void)
{
    struct idt_pointer p;
    __asm__ __volatile__("sidt %0" : "=m"(p));
    return p;
}

static void load_idt(const struct idt_pointer *p)
{
    __asm__ __volatile__("lidt %0" : : "m"(*p) : "memory");
}

static uint8_t *gate(uint32_t idt_base, unsigned vector)
{
    return (uint8_t *)(uintptr_t)(idt_base + vector * IDT_GATE_SIZE);
}

/* ---- handlers -------------------------------------------------------------- */

static volatile uint32_t divisor;
static volatile unsigned count;

static void logging_handler(struct exception_frame *frame)
{
    irq_log_event(frame);
}

static void eoi_handler(struct exception_frame *frame)
{
    irq_log_event(frame);
    lapic_eoi();
}

static void divide_error_handler(struct exception_frame *frame)
{
    irq_log_event(frame);
    divisor = 10;
}

static void quiesce(void)
{
    cli();
    xapic_write(APIC_TPR, 0);
    for (unsigned v = NR_EXCEPTION_VECTORS; v < NR_IDT_VECTORS; v++)
        idt_set_handler(v, eoi_handler);
    idt_set_handler(V_SPURIOUS, logging_handler);
    for (unsigned v = 0; v < NR_EXCEPTION_VECTORS; v++)
        idt_set_handler(v, NULL);
    irq_log_reset();
}

static bool log_is(const uint8_t *vectors, unsigned n)
{
    if (irq_log_count != n)
        return false;
    for (unsigned i = 0; i < n; i++)
        if (irq_log[i].vector != vectors[i])
            return false;
    return true;
}

static void print_log(const char *what)
{
    char buf[96];
    printf("events: %s: %u events: %s\n", what, irq_log_count,
           irq_log_vectors(buf, sizeof(buf)));
}

/* ---- exceptions and software interrupts ------------------------------------ */

extern const char after_int3[], after_int_3[], after_into[], after_into_addr16[],
    after_int_21[];

static bool de_fixed_by_handler(void)
{
    quiesce();
    idt_set_handler(DE_VECTOR, divide_error_handler);
    divisor = 0;
    uint32_t quotient, remainder = 0;
    flush_translations();
    __asm__ __volatile__("divl %2" : "=a"(quotient), "+d"(remainder) : "m"(divisor), "0"(1500u));
    print_log("#DE");
    static const uint8_t want[] = { DE_VECTOR };
    return quotient == 150 && log_is(want, 1);
}

/* One event in the log, from 'vector', that returned to 'resume'. */
static bool one_event_returning_to(uint8_t vector, const char *resume)
{
    char what[32];
    snprintf(what, sizeof(what), "vector 0x%02x", vector);
    print_log(what);
    static uint8_t want[1];
    want[0] = vector;
    if (log_is(want, 1) && irq_log[0].eip == (uint32_t)(uintptr_t)resume)
        return true;
    printf("events: returned to 0x%08x, expected 0x%08x\n", irq_log[0].eip,
           (uint32_t)(uintptr_t)resume);
    return false;
}

static bool int3_returns_after_it(void)
{
    quiesce();
    idt_set_handler(BP_VECTOR, logging_handler);
    flush_translations();
    __asm__ __volatile__("int3\n\t.globl after_int3\nafter_int3:" : : : "memory");
    return one_event_returning_to(BP_VECTOR, after_int3);
}

static bool int_3_returns_after_it(void)
{
    quiesce();
    idt_set_handler(BP_VECTOR, logging_handler);
    flush_translations();
    __asm__ __volatile__(".byte 0xCD, 0x03\n\t.globl after_int_3\nafter_int_3:" : : : "memory");
    return one_event_returning_to(BP_VECTOR, after_int_3);
}

/* ADD 127 + 127 in AL sets OF. */
static bool into_returns_after_it(void)
{
    quiesce();
    idt_set_handler(OF_VECTOR, logging_handler);
    flush_translations();
    __asm__ __volatile__("movb $127, %%al\n\taddb $127, %%al\n\tinto\n\t"
                         ".globl after_into\nafter_into:" : : : "eax", "cc", "memory");
    return one_event_returning_to(OF_VECTOR, after_into);
}

static bool into_with_prefix_returns_after_it(void)
{
    quiesce();
    idt_set_handler(OF_VECTOR, logging_handler);
    flush_translations();
    __asm__ __volatile__("movb $127, %%al\n\taddb $127, %%al\n\t.byte 0x67, 0xCE\n\t"
                         ".globl after_into_addr16\nafter_into_addr16:"
                         : : : "eax", "cc", "memory");
    return one_event_returning_to(OF_VECTOR, after_into_addr16);
}

static bool int_21_returns_after_it(void)
{
    quiesce();
    idt_set_handler(V_LOW, logging_handler);
    flush_translations();
    __asm__ __volatile__("int $0x21\n\t.globl after_int_21\nafter_int_21:" : : : "memory");
    return one_event_returning_to(V_LOW, after_int_21);
}

/* ---- external interrupts --------------------------------------------------- */

static bool self_ipi_taken_once(void)
{
    quiesce();
    flush_translations();
    sti();
    lapic_self_ipi(V_LOW);
    irq_wait_for(1);
    irq_spin(IRQ_HOLD_POLLS);
    cli();
    print_log("self-IPI");
    static const uint8_t want[] = { V_LOW };
    return log_is(want, 1) && !lapic_vector_bit(APIC_ISR, V_LOW) &&
           !lapic_vector_bit(APIC_IRR, V_LOW);
}

static bool two_pending_taken_in_one_window(void)
{
    quiesce();
    lapic_self_ipi(V_LOW);
    lapic_self_ipi(V_HIGH);
    flush_translations();
    irq_window();
    print_log("two self-IPIs");
    static const uint8_t want[] = { V_HIGH, V_LOW };
    return log_is(want, 2);
}

static bool int_in_sti_shadow_before_pending_ipi(void)
{
    quiesce();
    lapic_self_ipi(V_HIGH);
    flush_translations();
    __asm__ __volatile__("sti\n\tint $0x21\n\tcli" : : : "memory");
    print_log("STI; INT 0x21 with a self-IPI pending");
    static const uint8_t want[] = { V_LOW, V_HIGH };
    return log_is(want, 2);
}

static bool tpr_holds_its_class(void)
{
    quiesce();
    xapic_write(APIC_TPR, TPR_ALL);
    lapic_self_ipi(V_LOW);
    lapic_self_ipi(V_HIGH);
    flush_translations();
    sti();
    irq_spin(IRQ_HOLD_POLLS);
    unsigned with_all_held = irq_log_count;
    xapic_write(APIC_TPR, TPR_CLASS2);
    irq_wait_for(1);
    irq_spin(IRQ_HOLD_POLLS);
    unsigned with_class2_held = irq_log_count;
    xapic_write(APIC_TPR, 0);
    irq_wait_for(2);
    cli();
    print_log("TPR 0xF0, 0x20, 0");
    static const uint8_t want[] = { V_HIGH, V_LOW };
    return with_all_held == 0 && with_class2_held == 1 && log_is(want, 2);
}

/* ---- a gate that is not present ------------------------------------------- */

static void np_handler(struct exception_frame *frame)
{
    irq_log_event(frame);
    gate(current_idt().base, V_LOW)[5] |= GATE_PRESENT;
    count = frame->error_code;
}

extern const char at_np_int[], after_np_int[];

static bool np_then_int_again(void)
{
    quiesce();
    idt_set_handler(NP_VECTOR, np_handler);
    idt_set_handler(V_LOW, logging_handler);
    gate(current_idt().base, V_LOW)[5] &= (uint8_t)~GATE_PRESENT;
    count = 0;
    flush_translations();
    __asm__ __volatile__(".globl at_np_int\nat_np_int:\n\tint $0x21\n\t"
                         ".globl after_np_int\nafter_np_int:" : : : "memory");
    print_log("INT 0x21 through a gate that is not present");
    static const uint8_t want[] = { NP_VECTOR, V_LOW };
    uint32_t expected_error = V_LOW * IDT_GATE_SIZE | ERROR_CODE_IDT;
    bool ok = log_is(want, 2) && irq_log[0].eip == (uint32_t)(uintptr_t)at_np_int &&
              irq_log[1].eip == (uint32_t)(uintptr_t)after_np_int && count == expected_error;
    if (!ok)
        printf("events: #NP error code 0x%x (expected 0x%x), at 0x%08x (INT at 0x%08x)\n",
               count, expected_error, irq_log[0].eip, (uint32_t)(uintptr_t)at_np_int);
    return ok;
}

/* ---- NMIs ---------------------------------------------------------------- */

static volatile uint32_t outer_nmi_eip, nested_nmi_eip;
static volatile unsigned nmis;

static void send_nmi_to_self(void)
{
    xapic_write(APIC_ICR_HIGH, (xapic_read(APIC_ID) >> APIC_ID_SHIFT) << APIC_ICR_DEST_SHIFT);
    xapic_write(APIC_ICR_LOW, APIC_ICR_DELIVERY_NMI);
}

static void nested_nmi_handler(struct exception_frame *frame)
{
    nested_nmi_eip = frame->eip;
    nmis++;
}

static void outer_nmi_handler(struct exception_frame *frame)
{
    outer_nmi_eip = frame->eip;
    nmis++;
    idt_set_handler(NMI_VECTOR, nested_nmi_handler);
    send_nmi_to_self();
    irq_spin(IRQ_HOLD_POLLS);      /* a second NMI here would be a nested one */
    flush_translations();
}

/* The second NMI must arrive where the first one's IRET returned: at the
 * instruction the first interrupted. */
static bool second_nmi_waits_for_iret(void)
{
    quiesce();
    idt_set_handler(NMI_VECTOR, outer_nmi_handler);
    outer_nmi_eip = nested_nmi_eip = 0;
    nmis = 0;
    flush_translations();
    send_nmi_to_self();
    for (unsigned i = 0; i < IRQ_WAIT_POLLS && nmis < 2; i++)
        __asm__ __volatile__("pause" : : : "memory");
    /* Without virtual NMIs keel delivers NMIs in interrupt windows only. */
    irq_window();
    printf("events: %u NMIs, the first at 0x%08x, the second at 0x%08x\n", nmis, outer_nmi_eip,
           nested_nmi_eip);
    return nmis == 2 && nested_nmi_eip == outer_nmi_eip;
}

/* events_iret_elsewhere (below): IRET to after_iret_elsewhere with the frame
 * it builds at the top of the page 'stack_page', CR3 reloaded just before
 * the IRET so that keel has not mapped that page when the IRET reads it. */
void events_iret_elsewhere(uint32_t stack_top);
extern const char iret_elsewhere_iret[], after_iret_elsewhere[];
__asm__(".text\n"
        ".globl events_iret_elsewhere\n"
        "events_iret_elsewhere:\n\t"
        "mov 4(%esp), %edx\n\t"
        "mov %esp, saved_esp\n\t"
        "mov %edx, %esp\n\t"
        "pushf\n\t"
        "push %cs\n\t"
        "push $after_iret_elsewhere\n\t"
        "mov %cr3, %eax\n\t"
        "mov %eax, %cr3\n\t"
        ".globl iret_elsewhere_iret\n"
        "iret_elsewhere_iret:\n\t"
        "iret\n"
        ".globl after_iret_elsewhere\n"
        "after_iret_elsewhere:\n\t"
        "mov saved_esp, %esp\n\t"
        "ret\n");
uint32_t saved_esp;

static uint32_t iret_stack_page;

static void outer_nmi_handler_iret_elsewhere(struct exception_frame *frame)
{
    outer_nmi_eip = frame->eip;
    nmis++;
    idt_set_handler(NMI_VECTOR, nested_nmi_handler);
    send_nmi_to_self();
    events_iret_elsewhere(iret_stack_page + PAGE_SIZE);
}

static bool second_nmi_after_iret_that_exits(void)
{
    quiesce();
    if (!iret_stack_page)
        iret_stack_page = page_alloc();
    idt_set_handler(NMI_VECTOR, outer_nmi_handler_iret_elsewhere);
    outer_nmi_eip = nested_nmi_eip = 0;
    nmis = 0;
    send_nmi_to_self();
    for (unsigned i = 0; i < IRQ_WAIT_POLLS && nmis < 2; i++)
        __asm__ __volatile__("pause" : : : "memory");
    irq_window();
    printf("events: %u NMIs; the second at 0x%08x (IRET at 0x%08x, after it 0x%08x)\n", nmis,
           nested_nmi_eip, (uint32_t)(uintptr_t)iret_elsewhere_iret,
           (uint32_t)(uintptr_t)after_iret_elsewhere);
    return nmis == 2 && nested_nmi_eip == (uint32_t)(uintptr_t)after_iret_elsewhere;
}

/* ---- a #PF while an exception is delivered ---------------------------------- */

/*
 * An IDT of its own in 'idt_pages', placed so that a page boundary falls
 * between the gates a check needs: 'base_offset' bytes into the first page.
 * Gates are copies of the lib's.  The check makes one of the two pages not
 * present; lidt switches back to the lib's IDT afterwards.
 */
static uint8_t idt_pages[2 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static struct idt_pointer lib_idt;
static volatile uint32_t fault_cr2, fault_error;

static struct idt_pointer split_idt(uint32_t base_offset)
{
    lib_idt = current_idt();
    memcpy(idt_pages + base_offset, (const void *)(uintptr_t)lib_idt.base, IDT_BYTES);
    return (struct idt_pointer){ .limit = IDT_BYTES - 1,
                                 .base = (uint32_t)(uintptr_t)idt_pages + base_offset };
}

/* The #PF handler makes the first page present again. */
static void pf_makes_idt_present(struct exception_frame *frame)
{
    irq_log_event(frame);
    fault_cr2 = read_cr2();
    fault_error = frame->error_code;
    set_present((uint32_t)(uintptr_t)idt_pages, true);
}

/* Gate 0 (#DE) is the last 8 bytes of the first page, the rest on the
 * second.  The first page is not present: #DE's delivery page-faults, #DE
 * is contributory, so the #PF is delivered (SDM table 6-5: "Handle
 * Exceptions Serially"); its handler makes the page present, IRET returns
 * to the DIV, which raises #DE again and this time gets its handler. */
static bool pf_during_de_delivery(void)
{
    quiesce();
    idt_set_handler(DE_VECTOR, divide_error_handler);
    idt_set_handler(PF_VECTOR, pf_makes_idt_present);
    struct idt_pointer split = split_idt(PAGE_SIZE - IDT_GATE_SIZE);
    load_idt(&split);
    set_present((uint32_t)(uintptr_t)idt_pages, false);
    divisor = 0;
    fault_cr2 = fault_error = 0;
    uint32_t quotient, remainder = 0;
    flush_translations();
    __asm__ __volatile__("divl %2" : "=a"(quotient), "+d"(remainder) : "m"(divisor), "0"(1500u));
    load_idt(&lib_idt);
    set_present((uint32_t)(uintptr_t)idt_pages, true);
    print_log("#DE with its gate on a page that is not present");
    printf("events: #PF CR2 0x%08x error 0x%x, quotient %u\n", fault_cr2, fault_error, quotient);
    static const uint8_t want[] = { PF_VECTOR, DE_VECTOR };
    return log_is(want, 2) && fault_cr2 == split.base && fault_error == 0 && quotient == 150;
}

/* Gates 0-9 on the first page, 10-255 (#PF's among them) on the second,
 * which is not present: a #PF's delivery page-faults, a double fault (SDM
 * table 6-5: page fault, then page fault), delivered through gate 8. */
static bool pf_during_pf_delivery_is_double_fault(void)
{
    quiesce();
    uint32_t unmapped = (uint32_t)(uintptr_t)idt_pages + PAGE_SIZE;  /* any page not present */
    struct idt_pointer split = split_idt(PAGE_SIZE - 10 * IDT_GATE_SIZE);
    load_idt(&split);
    set_present(unmapped, false);
    uint32_t value = 0;
    fault_reset();
    flush_translations();
    __asm__ __volatile__(ASM_TRY("movl (%1), %0") : "+r"(value) : "r"(unmapped) : "memory");
    load_idt(&lib_idt);
    set_present(unmapped, true);
    printf("events: a #PF with #PF's gate not present: %s error 0x%x\n",
           last_fault.vector == NO_FAULT ? "no fault" : exception_name(last_fault.vector),
           last_fault.error_code);
    return last_fault.vector == DF_VECTOR && last_fault.error_code == 0;
}

/* ---- the stack inside a page table ----------------------------------------- */

extern const char after_int_on_pt_stack[];

/* The page table that maps the stack's own page: ESP at the top of that
 * page table, whose last entries (linear 0x3FF000-0x3FFFFF of its 4 MiB,
 * which nothing uses) the pushes overwrite. */
static bool int_with_stack_in_page_table(void)
{
    quiesce();
    idt_set_handler(V_LOW, logging_handler);
    uint32_t table = (uint32_t)(pt_get(&space, 0, PT_PDE) & PTE_ADDR_MASK_32BIT);
    uint32_t saved = 0;
    flush_translations();
    __asm__ __volatile__("mov %%esp, %0\n\t"
                         "mov %1, %%esp\n\t"
                         "int $0x21\n\t"
                         ".globl after_int_on_pt_stack\nafter_int_on_pt_stack:\n\t"
                         "mov %0, %%esp"
                         : "=&r"(saved)
                         : "r"(table + PAGE_SIZE)
                         : "memory");
    /* Put back the identity entries the pushes overwrote. */
    for (uint32_t linear = 0x3C0000u; linear < 0x400000u; linear += PAGE_SIZE)
        pt_set(&space, linear, PT_PTE, linear | PTE_P | PTE_RW);
    flush_translations();
    return one_event_returning_to(V_LOW, after_int_on_pt_stack);
}

static const struct named_test tests[] = {
    { "events: #DE, its handler fixes the divisor, DIV runs again", NEEDS_NOTHING,
      de_fixed_by_handler },
    { "events: INT3 returns after itself", NEEDS_NOTHING, int3_returns_after_it },
    { "events: INT 3 (CD 03) returns after itself", NEEDS_NOTHING, int_3_returns_after_it },
    { "events: INTO returns after itself", NEEDS_NOTHING, into_returns_after_it },
    { "events: INTO with an address-size prefix returns after both bytes", NEEDS_NOTHING,
      into_with_prefix_returns_after_it },
    { "events: INT 0x21 returns after itself", NEEDS_NOTHING, int_21_returns_after_it },
    { "events: self-IPI with IF=1 taken once, ISR clear after the EOI", NEEDS_NOTHING,
      self_ipi_taken_once },
    { "events: two pending self-IPIs taken in one STI window, higher first", NEEDS_NOTHING,
      two_pending_taken_in_one_window },
    { "events: STI; INT 0x21 with a self-IPI pending: the INT first", NEEDS_NOTHING,
      int_in_sti_shadow_before_pending_ipi },
    { "events: TPR holds vectors of its class until lowered", NEEDS_NOTHING,
      tpr_holds_its_class },
    { "events: INT 0x21 through a gate not present: #NP at the INT, then the INT again",
      NEEDS_NOTHING, np_then_int_again },
    { "events: a second NMI waits for the first one's IRET", NEEDS_NOTHING,
      second_nmi_waits_for_iret },
    { "events: a second NMI waits for an IRET that reads a page not yet mapped",
      NEEDS_NOTHING, second_nmi_after_iret_that_exits },
    { "events: #PF while delivering #DE: the #PF, then #DE again", NEEDS_NOTHING,
      pf_during_de_delivery },
    { "events: #PF while delivering #PF is a double fault", NEEDS_NOTHING,
      pf_during_pf_delivery_is_double_fault },
    { "events: INT 0x21 with the stack inside a live page table", NEEDS_NOTHING,
      int_with_stack_in_page_table },
};

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    pic_init_all_masked();
    ioapic_mask_all();
    lapic_setup(V_SPURIOUS);
    paging_on();
    run_tests(tests, ARRAY_SIZE(tests));
    quiesce();
}
