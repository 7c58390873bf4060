#include "lib/irq.h"

#include "lib/keel.h"
#include "lib/printf.h"
#include "lib/testdev.h"
#include "lib/x86.h"

/* ---- waiting ------------------------------------------------------------- */

void irq_spin(unsigned polls)
{
    for (unsigned i = 0; i < polls; i++)
        __asm__ __volatile__("pause" : : : "memory");
}

/* ---- the log ------------------------------------------------------------- */

volatile struct irq_event irq_log[IRQ_LOG_SIZE];
volatile unsigned irq_log_count;

void irq_log_reset(void)
{
    irq_log_count = 0;
    for (unsigned i = 0; i < IRQ_LOG_SIZE; i++) {
        irq_log[i].vector = 0;
        irq_log[i].eip = 0;
    }
}

void irq_log_event(const struct exception_frame *frame)
{
    unsigned n = irq_log_count;
    if (n < IRQ_LOG_SIZE) {
        irq_log[n].vector = (uint8_t)frame->vector;
        irq_log[n].eip = frame->eip;
    }
    irq_log_count = n + 1;
}

bool irq_wait_for(unsigned count)
{
    for (unsigned i = 0; i < IRQ_WAIT_POLLS; i++) {
        if (irq_log_count >= count)
            return true;
        __asm__ __volatile__("pause" : : : "memory");
    }
    return irq_log_count >= count;
}

const char *irq_log_vectors(char *buf, unsigned size)
{
    unsigned n = irq_log_count < IRQ_LOG_SIZE ? irq_log_count : IRQ_LOG_SIZE;
    unsigned used = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < n && used < size; i++)
        used += (unsigned)snprintf(buf + used, size - used, "%s0x%02x", i ? " " : "",
                                   irq_log[i].vector);
    if (n == 0)
        snprintf(buf, size, "none");
    return buf;
}

/* ---- the local APIC ------------------------------------------------------ */

#define MAX_IN_SERVICE 256u     /* one EOI per vector at most */

static bool any_in_service(void)
{
    for (unsigned r = 0; r < APIC_VECTOR_REGS; r++) {
        if (xapic_read(APIC_ISR + r * APIC_VECTOR_REG_STRIDE))
            return true;
    }
    return false;
}

void lapic_setup(uint8_t spurious_vector)
{
    xapic_write(APIC_SVR, APIC_SVR_ENABLE | spurious_vector);
    xapic_write(APIC_TPR, 0);
    xapic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
    xapic_write(APIC_LVT_THERMAL, APIC_LVT_MASKED);
    xapic_write(APIC_LVT_PMC, APIC_LVT_MASKED);
    xapic_write(APIC_LVT_ERROR, APIC_LVT_MASKED);
    /* The MP specification's virtual wire mode (3.6.2.2), what a BIOS
     * leaves: the 8259's INTR through LINT0, NMI through LINT1. */
    xapic_write(APIC_LVT_LINT0, APIC_LVT_DELIVERY_EXTINT);
    xapic_write(APIC_LVT_LINT1, APIC_LVT_DELIVERY_NMI);
    xapic_write(APIC_TIMER_INITIAL_COUNT, 0);
    uint32_t max_lvt = (xapic_read(APIC_VERSION) >> APIC_MAX_LVT_SHIFT) & APIC_MAX_LVT_MASK;
    if (max_lvt >= APIC_MAX_LVT_WITH_CMCI)     /* SDM 11.4.8 */
        xapic_write(APIC_LVT_CMCI, APIC_LVT_MASKED);
    for (unsigned i = 0; i < MAX_IN_SERVICE && any_in_service(); i++)
        lapic_eoi();
    /* SDM 11.5.3: a write latches the errors since the last write. */
    xapic_write(APIC_ESR, 0);
    xapic_write(APIC_ESR, 0);
}

bool lapic_vector_bit(enum apic_reg first, unsigned vector)
{
    uint32_t reg = xapic_read(first + (vector / APIC_VECTORS_PER_REG) * APIC_VECTOR_REG_STRIDE);
    return (reg >> (vector % APIC_VECTORS_PER_REG)) & 1;
}

void lapic_eoi(void)
{
    xapic_write(APIC_EOI, 0);
}

void lapic_self_ipi(uint8_t vector)
{
    xapic_write(APIC_ICR_LOW, APIC_ICR_DEST_SELF | APIC_ICR_DELIVERY_FIXED | vector);
}

void lapic_timer_one_shot(uint8_t vector, uint32_t count)
{
    xapic_write(APIC_TIMER_DIVIDE, APIC_TIMER_DIVIDE_BY_1);
    xapic_write(APIC_LVT_TIMER, APIC_LVT_TIMER_ONESHOT | vector);
    xapic_write(APIC_TIMER_INITIAL_COUNT, count);
}

void lapic_timer_stop(void)
{
    xapic_write(APIC_TIMER_INITIAL_COUNT, 0);
    xapic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
}

/* ---- the 8259 pair ------------------------------------------------------- */

#define ICW3_MASTER_SLAVE_ON_IR2 (1u << PIC_CASCADE_IRQ)
#define ICW3_SLAVE_ID       PIC_CASCADE_IRQ
#define IMR_ALL_BUT_CASCADE ((uint8_t)~(1u << PIC_CASCADE_IRQ))
#define IMR_ALL             0xFFu

static void program_chip(uint16_t command, uint16_t data, uint8_t base, uint8_t icw3,
                         bool auto_eoi, uint8_t imr)
{
    outb(PIC_ICW1_INIT | PIC_ICW1_ICW4, command);
    outb(base, data);
    outb(icw3, data);
    outb((uint8_t)(PIC_ICW4_8086 | (auto_eoi ? PIC_ICW4_AUTO_EOI : 0)), data);
    outb(imr, data);
}

void pic_program(uint8_t master_base, uint8_t slave_base, bool auto_eoi)
{
    program_chip(PIC_MASTER_COMMAND, PIC_MASTER_DATA, master_base, ICW3_MASTER_SLAVE_ON_IR2,
                 auto_eoi, IMR_ALL_BUT_CASCADE);
    program_chip(PIC_SLAVE_COMMAND, PIC_SLAVE_DATA, slave_base, ICW3_SLAVE_ID, auto_eoi,
                 IMR_ALL);
}

void pic_unmask_irq(unsigned irq)
{
    uint16_t port = irq < PIC_SLAVE_FIRST_IRQ ? PIC_MASTER_DATA : PIC_SLAVE_DATA;
    outb((uint8_t)(inb(port) & ~(1u << (irq % PIC_IRQS_PER_CHIP))), port);
}

uint16_t pic_read_imr(void)
{
    return (uint16_t)(inb(PIC_MASTER_DATA) | inb(PIC_SLAVE_DATA) << 8);
}

uint16_t pic_read_isr(void)
{
    outb(PIC_OCW3_READ_ISR, PIC_MASTER_COMMAND);
    outb(PIC_OCW3_READ_ISR, PIC_SLAVE_COMMAND);
    uint16_t isr = (uint16_t)(inb(PIC_MASTER_COMMAND) | inb(PIC_SLAVE_COMMAND) << 8);
    outb(PIC_OCW3_READ_IRR, PIC_MASTER_COMMAND);
    outb(PIC_OCW3_READ_IRR, PIC_SLAVE_COMMAND);
    return isr;
}

void pic_send_eoi(unsigned irq)
{
    /* The slave's request went through the master's IR2: both are in
     * service (data sheet, "Cascading"). */
    if (irq >= PIC_SLAVE_FIRST_IRQ)
        outb(PIC_OCW2_EOI, PIC_SLAVE_COMMAND);
    outb(PIC_OCW2_EOI, PIC_MASTER_COMMAND);
}

uint16_t pic_read_elcr(void)
{
    return (uint16_t)(inb(PIC_ELCR_MASTER) | inb(PIC_ELCR_SLAVE) << 8);
}

void pic_write_elcr(uint16_t elcr)
{
    outb((uint8_t)elcr, PIC_ELCR_MASTER);
    outb((uint8_t)(elcr >> 8), PIC_ELCR_SLAVE);
}

/* ---- the I/O APIC -------------------------------------------------------- */

uint64_t ioapic_read_redirection(unsigned pin)
{
    uint32_t low = ioapic_read(IOAPIC_REG_REDTBL(pin));
    uint32_t high = ioapic_read(IOAPIC_REG_REDTBL(pin) + 1);
    return (uint64_t)high << 32 | low;
}

void ioapic_write_redirection(unsigned pin, uint64_t entry)
{
    ioapic_write(IOAPIC_REG_REDTBL(pin) + 1, (uint32_t)(entry >> 32));
    ioapic_write(IOAPIC_REG_REDTBL(pin), (uint32_t)entry);
}

unsigned ioapic_pin_count(void)
{
    return ((ioapic_read(IOAPIC_REG_VERSION) >> IOAPIC_MAX_REDIR_SHIFT) &
            IOAPIC_MAX_REDIR_MASK) + 1;
}

void ioapic_mask_all(void)
{
    unsigned pins = ioapic_pin_count();
    for (unsigned pin = 0; pin < pins; pin++)
        ioapic_write_redirection(pin, IOAPIC_REDIR_MASKED);
}

/* ---- interrupt lines ----------------------------------------------------- */

void irq_line_set(unsigned gsi, bool asserted)
{
    if (gsi < IRQ_LINE_COUNT)
        outb(asserted ? 1 : 0, (uint16_t)(IRQ_LINE_PORT + gsi));
}

static bool probe_line(unsigned irq)
{
    pic_init_all_masked();      /* fresh edge detection, nothing in IRR */
    irq_line_set(irq, true);
    bool seen = (pic_read_irr() >> irq) & 1;
    irq_line_set(irq, false);
    pic_program(PIC_MASTER_VECTOR_BASE, PIC_SLAVE_VECTOR_BASE, false);
    return seen;
}

bool irq_lines_present(unsigned probe_irq)
{
    static int known = -1;
    if (known < 0)
        known = is_keel() ? testdev_present() : probe_line(probe_irq);
    return known;
}
