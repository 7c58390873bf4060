/*
 * What a vCPU takes next, and its local APIC as the guest reaches it.  The
 * order follows the SDM's priorities among events a processor can take
 * between two instructions (vol. 3A 6.9): NMI before maskable interrupts.
 * Among maskable ones the 8259's ExtINT comes first: it bypasses the local
 * APIC's priority logic (vol. 3A 11.6.2, table 11-2, "ExtINT").
 */
#include "guest/vcpu_intr.h"

#include "arch/x86/cpu.h"
#include "arch/x86/tsc.h"
#include "guest/dev/pic8259.h"
#include "guest/pc_machine.h"
#include "kernel/log.h"

uint64_t vcpu_guest_tsc(struct vcpu *v)
{
    return rdtsc() + v->tsc_offset;
}

static bool extint_pending(struct vcpu *v)
{
    struct pic8259 *pic = pic8259_of(v->vm);
    return pic && pic_has_interrupt(pic) && lapic_accepts_extint(&v->lapic);
}

/* A local APIC vector keel would have to inject: with virtual-interrupt
 * delivery the CPU delivers them itself. */
static bool lapic_vector_to_inject(struct vcpu *v)
{
    return !v->virtual_interrupt_delivery && lapic_pending_vector(&v->lapic) >= 0;
}

enum vcpu_intr_kind vcpu_intr_pending(struct vcpu *v)
{
    if (v->nmi_pending)
        return VCPU_INTR_NMI;
    if (extint_pending(v) || lapic_vector_to_inject(v))
        return VCPU_INTR_EXTERNAL;
    v->intr_check = false;
    return VCPU_INTR_NONE;
}

bool vcpu_intr_any_pending(struct vcpu *v)
{
    return vcpu_intr_pending(v) != VCPU_INTR_NONE || lapic_pending_vector(&v->lapic) >= 0;
}

uint8_t vcpu_intr_acknowledge(struct vcpu *v)
{
    if (extint_pending(v))
        return (uint8_t)pic_acknowledge(pic8259_of(v->vm));
    int vector = lapic_pending_vector(&v->lapic);
    lapic_ack(&v->lapic, (uint8_t)vector);
    return (uint8_t)vector;
}

void vcpu_intr_nmi_taken(struct vcpu *v)
{
    v->nmi_pending = false;
}

void vcpu_intr_raise_nmi(struct vcpu *v)
{
    v->nmi_pending = true;
    v->intr_check = true;
}

/* ---- the local APIC's connections ---- */

static void lapic_eoi_broadcast(void *ctx, uint8_t vector)
{
    struct vcpu *v = ctx;
    pc_ioapic_eoi(v->vm, vector);
}

static void lapic_nmi(void *ctx)
{
    vcpu_intr_raise_nmi(ctx);
}

/* The model and the backend's copy of its registers parted (it changed,
 * or it took what the guest's CPU wrote there): the next entry must be
 * prepared in full, which brings the copy up to date and lets the CPU get
 * ahead of the model again (vmx_apicv_before_entry()).  intr_check is the
 * exit path's one test for that work. */
static void lapic_copy_stale(void *ctx)
{
    struct vcpu *v = ctx;
    v->intr_check = true;
}

static void lapic_ipi_dropped(void *ctx, uint32_t icr_low, uint32_t destination)
{
    struct vcpu *v = ctx;
    pr_debug("vm %s: IPI dropped (ICR 0x%x, destination 0x%x): one vCPU", v->vm->name,
             icr_low, destination);
}

/* The APIC timer's bus clock: 1 GHz, as KVM offers, unless the TSC is
 * slower (Bochs's runs at its instruction rate): guests, kvm-unit-tests
 * among them, assume the TSC counts at least as fast as the APIC timer. */
static uint32_t lapic_bus_cycle_ns(void)
{
    uint32_t khz = tsc_khz();
    const uint32_t khz_per_ghz = 1000000;
    return khz >= khz_per_ghz || !khz ? 1 : (khz_per_ghz + khz - 1) / khz;
}

void vcpu_intr_reset(struct vcpu *v)
{
    const struct lapic_config config = {
        .apic_id = v->id,
        .bsp = v->id == 0,
        .x2apic = true,
        .bus_cycle_ns = lapic_bus_cycle_ns(),
        .tsc_khz = tsc_khz(),
    };
    const struct lapic_ops ops = {
        .eoi_broadcast = lapic_eoi_broadcast,
        .nmi = lapic_nmi,
        .ipi_dropped = lapic_ipi_dropped,
        .copy_stale = lapic_copy_stale,
        .ctx = v,
    };
    lapic_init(&v->lapic, &config, &ops);
    /* keel starts guests without firmware, so it leaves the APIC as a PC
     * BIOS does (MP spec 1.4, 3.6.2.2): the 8259 reaches the CPU through
     * LINT0, NMIs through LINT1. */
    lapic_enter_virtual_wire_mode(&v->lapic);
    v->nmi_pending = false;
    v->intr_check = true;
}

/* ---- the guest's ways in ---- */

/* After any access the APIC may have a deliverable vector (EOI, TPR, a
 * self-IPI) or a re-armed timer. */
static void lapic_touched(struct vcpu *v)
{
    pc_timers_touched(v->vm);
}

bool vcpu_lapic_owns_msr(uint32_t msr)
{
    return lapic_owns_msr(msr);
}

bool vcpu_lapic_msr_read(struct vcpu *v, uint32_t msr, uint64_t *value)
{
    enum lapic_status st =
        lapic_msr_read(&v->lapic, msr, value, pc_guest_ns(v->vm), vcpu_guest_tsc(v));
    lapic_touched(v);
    return st == LAPIC_OK;
}

bool vcpu_lapic_msr_write(struct vcpu *v, uint32_t msr, uint64_t value)
{
    enum lapic_status st =
        lapic_msr_write(&v->lapic, msr, value, pc_guest_ns(v->vm), vcpu_guest_tsc(v));
    lapic_touched(v);
    if (st == LAPIC_OK && msr == MSR_IA32_APIC_BASE) {
        pc_move_lapic_window(v->vm, lapic_mmio_base(&v->lapic));
        v->apic_base_written = true;
    }
    return st == LAPIC_OK;
}

uint64_t vcpu_lapic_read_cr8(struct vcpu *v)
{
    return lapic_read_cr8(&v->lapic);
}

void vcpu_lapic_write_cr8(struct vcpu *v, uint64_t cr8)
{
    lapic_write_cr8(&v->lapic, cr8);
    v->intr_check = true;
}

/* A register write the backend's CPU already made in its copy of the
 * registers (VT-x APIC-write emulation, SDM vol. 3C 29.4.3.2): the model
 * performs it as the guest's access would have.  In xAPIC mode a write is
 * a 32-bit one (whatever size the guest used: the copy holds the whole
 * register, KVM does the same), and only one at a register's start reaches
 * it, as for lapic_mmio_write(); in x2APIC mode it is the MSR's 64 bits. */
void vcpu_lapic_register_written(struct vcpu *v, unsigned offset, uint64_t value)
{
    if (!lapic_x2apic_mode(&v->lapic)) {
        vcpu_lapic_mmio(v->vm, v, offset, 4, true, &value);
        return;
    }
    if (!vcpu_lapic_msr_write(v, LAPIC_X2APIC_MSR(offset), value))
        pr_warn("vm %s: x2APIC register %x <- %lx refused after the CPU took it", v->vm->name,
                offset, value);
}

void vcpu_lapic_virtual_eoi(struct vcpu *v, uint8_t vector)
{
    lapic_virtual_eoi(&v->lapic, vector);
    v->intr_check = true;
}

/* The xAPIC page follows IA32_APIC_BASE (guest/pc_machine.c moves the
 * window); while the APIC is disabled or in x2APIC mode, or if the base
 * could not move there, the page reads all ones as an undecoded one does. */
int vcpu_lapic_mmio(struct vm *vm, void *dev, uint64_t offset, unsigned size, bool write,
                    uint64_t *value)
{
    struct vcpu *v = dev;
    bool decoded = lapic_mmio_decoded(&v->lapic) &&
                   lapic_mmio_base(&v->lapic) == pc_lapic_window(vm);
    uint64_t now = pc_guest_ns(vm);
    if (write) {
        if (decoded)
            lapic_mmio_write(&v->lapic, offset, size, *value, now);
    } else {
        *value = decoded ? lapic_mmio_read(&v->lapic, offset, size, now)
                         : (size >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * size)) - 1);
    }
    lapic_touched(v);
    return 0;
}
