/*
 * The PC around each vCPU: attaching the interrupt controllers and timers,
 * routing interrupt lines, and keeping the timer models' deadlines.  The
 * models themselves are in guest/dev/ (one file each); this file is their
 * wiring diagram.
 */
#include "guest/pc_machine.h"

#include "arch/x86/cpu.h"
#include "arch/x86/tsc.h"
#include "drivers/cmos_clock.h"
#include "guest/acpi_tables.h"
#include "guest/dev/acpi_pm.h"
#include "guest/dev/ata.h"
#include "guest/dev/ioapic.h"
#include "guest/dev/pic8259.h"
#include "guest/dev/pit8254.h"
#include "guest/dev/rtc_cmos.h"
#include "guest/dev/uart16550.h"
#include "guest/mb_loader.h"
#include "guest/vcpu_intr.h"
#include "kernel/log.h"

_Static_assert(PC_ACPI_SCI_IRQ == ACPI_PM_SCI_IRQ, "the FADT names the PM block's SCI");

/* What the chipset's reset control register (guest/dev/reset_control.c)
 * takes for a reset, named in the FADT so an OS can reset through it. */
#define PC_RESET_PORT   0xcf9
#define PC_RESET_VALUE  0x06

struct pc_machine {
    struct vm *vm;
    struct ioapic ioapic;
    size_t lapic_region;        /* index of the xAPIC page in vm->mmio */
};

static struct pc_machine machines[VM_MAX_VMS];

static struct pc_machine *machine_of(struct vm *vm)
{
    return &machines[vm->index];
}

/* ---- time ---- */

uint64_t pc_guest_ns(struct vm *vm)
{
    return tsc_to_ns(rdtsc() - vm->tsc_origin, tsc_khz());
}

uint64_t pc_device_clock(struct vm *vm)
{
    pc_timers_touched(vm);
    return pc_guest_ns(vm);
}

static uint64_t earliest(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

void pc_update_timers(struct vm *vm)
{
    struct vcpu *v = &vm->vcpu;
    uint64_t now = pc_guest_ns(vm), tsc = vcpu_guest_tsc(v);
    struct pit8254 *pit = pit8254_of(vm);
    struct rtc_cmos *rtc = rtc_cmos_of(vm);
    struct acpi_pm *pm = acpi_pm_of(vm);
    uint64_t next = UINT64_MAX;

    vm->timers_dirty = false;
    if (pit) {
        pit_update(pit, now);
        next = earliest(next, pit_next_event_ns(pit, now));
    }
    if (rtc) {
        rtc_update(rtc, now);
        next = earliest(next, rtc_next_event_ns(rtc, now));
    }
    if (pm) {
        acpi_pm_update(pm, now);
        next = earliest(next, acpi_pm_next_event_ns(pm, now));
    }
    lapic_update(&v->lapic, now, tsc);
    next = earliest(next, lapic_next_event(&v->lapic, now, tsc));
    /* An expired APIC timer puts its vector in IRR without a callback. */
    v->intr_check = true;
    vm->timer_deadline =
        next == UINT64_MAX ? UINT64_MAX : vm->tsc_origin + ns_to_tsc(next, tsc_khz());
}

/* ---- interrupt routing ---- */

static void route_gsi(struct pc_machine *m, unsigned gsi, bool level)
{
    struct pic8259 *pic = pic8259_of(m->vm);
    if (gsi < PIC_NR_IRQS && pic)
        pic_set_irq(pic, gsi, level);
    ioapic_set_irq(&m->ioapic, gsi, level);
}

void pc_set_gsi(struct vm *vm, unsigned gsi, bool level)
{
    if (gsi < PC_NR_GSIS)
        route_gsi(machine_of(vm), gsi, level);
}

/* The listener of every ISA device's irq_line: both controllers hear it. */
static void isa_line_changed(void *ctx, unsigned irq, bool level)
{
    route_gsi(ctx, irq, level);
}

static void connect_isa_line(struct pc_machine *m, struct irq_line *line)
{
    if (!line)
        return;
    line->set = isa_line_changed;
    line->ctx = m;
    route_gsi(m, line->irq, line->level);
}

static void pic_output_changed(void *ctx, bool intr)
{
    struct vm *vm = ctx;
    if (intr)
        vm->vcpu.intr_check = true;
}

/* ---- the I/O APIC's messages ---- */

static bool ioapic_deliver(void *ctx, uint8_t vector, bool level_triggered)
{
    struct pc_machine *m = ctx;
    bool accepted = lapic_accept(&m->vm->vcpu.lapic, vector, level_triggered);
    m->vm->vcpu.intr_check = true;
    return accepted;
}

static void ioapic_nmi(void *ctx)
{
    struct pc_machine *m = ctx;
    vcpu_intr_raise_nmi(&m->vm->vcpu);
}

static void ioapic_init_ignored(void *ctx)
{
    struct pc_machine *m = ctx;
    pr_debug("vm %s: I/O APIC INIT message ignored (one vCPU)", m->vm->name);
}

/* ExtINT through the I/O APIC: the 8259's INT, which keel already
 * presents through LINT0; nothing more to do than look again. */
static void ioapic_extint(void *ctx)
{
    struct pc_machine *m = ctx;
    m->vm->vcpu.intr_check = true;
}

void pc_ioapic_eoi(struct vm *vm, uint8_t vector)
{
    ioapic_eoi(&machine_of(vm)->ioapic, vector);
}

static int ioapic_mmio(struct vm *vm, void *dev, uint64_t offset, unsigned size, bool write,
                       uint64_t *value)
{
    struct pc_machine *m = dev;
    (void)vm;
    if (write)
        ioapic_mmio_write(&m->ioapic, offset, size, (uint32_t)*value);
    else
        *value = ioapic_mmio_read(&m->ioapic, offset, size);
    return 0;
}

/* ---- the movable xAPIC page ---- */

uint64_t pc_lapic_window(struct vm *vm)
{
    return vm->mmio[machine_of(vm)->lapic_region].gpa;
}

static bool window_free(struct vm *vm, uint64_t base, size_t self)
{
    if (base < vm->ram_size)
        return false;
    for (size_t i = 0; i < vm->nmmio; i++)
        if (i != self && base < vm->mmio[i].gpa + vm->mmio[i].size &&
            vm->mmio[i].gpa < base + LAPIC_MMIO_SIZE)
            return false;
    return true;
}

/* Outside RAM nothing is mapped in the second-level tables (EPT or the
 * shadow's view of guest-physical memory), so moving the window is only
 * moving the address MMIO exits are matched against. */
void pc_move_lapic_window(struct vm *vm, uint64_t base)
{
    struct pc_machine *m = machine_of(vm);
    struct mmio_region *r = &vm->mmio[m->lapic_region];
    if (base == r->gpa)
        return;
    if (!window_free(vm, base, m->lapic_region)) {
        pr_warn("vm %s: IA32_APIC_BASE moved to %lx, where RAM or a device is: the xAPIC page "
                "stays at %lx", vm->name, base, r->gpa);
        return;
    }
    r->gpa = base;
}

/* ---- attaching ---- */

static void attach_ioapic(struct pc_machine *m)
{
    const struct ioapic_ops ops = {
        .deliver = ioapic_deliver,
        .nmi = ioapic_nmi,
        .init = ioapic_init_ignored,
        .extint = ioapic_extint,
        .ctx = m,
    };
    ioapic_init(&m->ioapic, PC_IOAPIC_ID, &ops);
    vm_register_mmio(m->vm, IOAPIC_DEFAULT_BASE, IOAPIC_MMIO_SIZE, ioapic_mmio, m, "ioapic");
}

static void attach_rtc(struct vm *vm)
{
    const struct rtc_cmos_config config = {
        .start_unix_seconds = cmos_clock_unix_seconds(),
        .ram_below_4g = vm->ram_size,
    };
    rtc_cmos_attach(vm, &config, pc_device_clock);
}

static void connect_device_lines(struct pc_machine *m)
{
    struct vm *vm = m->vm;
    connect_isa_line(m, pit8254_of(vm)->irq0);
    connect_isa_line(m, rtc_cmos_of(vm)->irq);
    connect_isa_line(m, acpi_pm_of(vm)->sci);
    for (unsigned com = 1; com <= UART16550_NR_COM; com++) {
        struct uart16550 *u = uart16550_of(vm, com);
        if (u)
            connect_isa_line(m, u->irq);
    }
    connect_isa_line(m, ata_irq_line(vm));
}

/* ---- what a PC BIOS leaves running ---- */

/* Real-mode code keel puts in the BIOS area for the interrupt vector
 * table: a default handler that only returns, and the timer's, which also
 * ends the interrupt at the 8259 (a BIOS's INT 08h handler does, besides
 * counting ticks in its data area, which keel has no use for). */
#define BIOS_STUB_SEGMENT       0xf000u
#define BIOS_STUB_IRET_OFFSET   0xff00u
#define BIOS_STUB_TIMER_OFFSET  0xff10u
#define BIOS_TIMER_VECTOR       0x08    /* IRQ 0 at the BIOS's master base */
#define IVT_ENTRIES             256

static const uint8_t bios_iret_stub[] = { 0xcf };                  /* iret */
static const uint8_t bios_timer_stub[] = {
    0x50,                       /* push ax */
    0xb0, 0x20,                 /* mov al, 0x20: non-specific EOI */
    0xe6, 0x20,                 /* out 0x20, al */
    0x58,                       /* pop ax */
    0xcf,                       /* iret */
};

/* What keel writes below 1 MiB lies in the ranges the multiboot loader
 * keeps free of the guest's image (guest/mb_loader.h). */
_Static_assert(IVT_ENTRIES * 4 <= MB_GUEST_IVT_END, "the IVT is outside the IVT's page");
_Static_assert((BIOS_STUB_SEGMENT << 4) + BIOS_STUB_IRET_OFFSET >= MB_GUEST_LOW_MEM_END &&
               (BIOS_STUB_SEGMENT << 4) + BIOS_STUB_TIMER_OFFSET + sizeof(bios_timer_stub) <=
                   MB_GUEST_HIGH_MEM_START,
               "the BIOS stubs are outside the BIOS area");
_Static_assert(PC_ACPI_TABLES_GPA >= MB_GUEST_LOW_MEM_END &&
               PC_ACPI_TABLES_GPA + PC_ACPI_TABLES_SIZE <= MB_GUEST_HIGH_MEM_START,
               "the ACPI tables are outside the BIOS area");

static void write_ivt(struct vm *vm)
{
    uint32_t stub_base = BIOS_STUB_SEGMENT << 4;
    vm_ram_write(vm, stub_base + BIOS_STUB_IRET_OFFSET, bios_iret_stub, sizeof(bios_iret_stub));
    vm_ram_write(vm, stub_base + BIOS_STUB_TIMER_OFFSET, bios_timer_stub,
                 sizeof(bios_timer_stub));
    for (unsigned vector = 0; vector < IVT_ENTRIES; vector++) {
        uint16_t offset = vector == BIOS_TIMER_VECTOR ? BIOS_STUB_TIMER_OFFSET
                                                      : BIOS_STUB_IRET_OFFSET;
        uint16_t entry[2] = { offset, BIOS_STUB_SEGMENT };      /* offset, then segment */
        vm_ram_write(vm, vector * sizeof(entry), entry, sizeof(entry));
    }
}

/* keel starts guests without firmware, so it leaves the machine as a PC
 * BIOS hands it to a boot loader: PIT channel 0 in mode 3 with count 0
 * (65536: 18.2 Hz) and IRQ 0 unmasked in the 8259, as the IBM PC BIOS and
 * SeaBIOS do, and a real-mode IVT whose entries return.  Guests that
 * enable interrupts before programming the 8259 see the timer tick they
 * would see on a PC (kvm-unit-tests' realmode test sleeps on it). */
#define PIT_CONTROL_CH0_LOHI_MODE3 0x36u
#define PIC_IMR_TIMER_AND_CASCADE  0xfau     /* IRQ 0 and IRQ 2 unmasked */

static void bios_handoff(struct vm *vm)
{
    uint64_t now = pc_guest_ns(vm);
    struct pit8254 *pit = pit8254_of(vm);
    pit_write(pit, PIT_CONTROL_PORT, PIT_CONTROL_CH0_LOHI_MODE3, now);
    pit_write(pit, PIT_CHANNEL0_PORT, 0, now);
    pit_write(pit, PIT_CHANNEL0_PORT, 0, now);
    pic_write(pic8259_of(vm), PIC_MASTER_DATA_PORT, PIC_IMR_TIMER_AND_CASCADE);
    write_ivt(vm);
}

/* The firmware tables, in the BIOS area the guest's memory map reserves
 * (guest/mb_loader.c), rewritten at every (re)start. */
static int write_acpi_tables(struct vm *vm)
{
    const struct acpi_machine machine = {
        .nr_cpus = 1,
        .lapic_base = LAPIC_DEFAULT_BASE,
        .ioapic_id = PC_IOAPIC_ID,
        .ioapic_base = IOAPIC_DEFAULT_BASE,
        .ioapic_gsi_base = 0,
        .pm1a_evt_port = PC_ACPI_PM1A_EVT_PORT,
        .pm1a_cnt_port = PC_ACPI_PM1A_CNT_PORT,
        .pm_tmr_port = PC_ACPI_PM_TMR_PORT,
        .sci_irq = PC_ACPI_SCI_IRQ,
        .reset_port = PC_RESET_PORT,
        .reset_value = PC_RESET_VALUE,
    };
    void *area = vm_ram_ptr(vm, PC_ACPI_TABLES_GPA, PC_ACPI_TABLES_SIZE);
    if (!area || !acpi_tables_build(area, PC_ACPI_TABLES_SIZE, PC_ACPI_TABLES_GPA, &machine)) {
        pr_err("vm %s: no room for the ACPI tables at %x (it needs at least 1 MiB of RAM)",
               vm->name, PC_ACPI_TABLES_GPA);
        return -1;
    }
    return 0;
}

int pc_machine_attach(struct vm *vm)
{
    struct pc_machine *m = machine_of(vm);
    m->vm = vm;
    vm->tsc_origin = rdtsc();
    vm->vcpu.tsc_offset = -vm->tsc_origin;
    vm->timer_deadline = UINT64_MAX;
    pc_timers_touched(vm);

    pic8259_attach(vm, pic_output_changed, vm);
    pit8254_attach(vm, pc_device_clock);
    attach_rtc(vm);
    acpi_pm_attach(vm, PC_ACPI_PM1A_EVT_PORT, PC_ACPI_PM1A_CNT_PORT, PC_ACPI_PM_TMR_PORT,
                   pc_device_clock);
    attach_ioapic(m);
    vcpu_intr_reset(&vm->vcpu);
    m->lapic_region = vm->nmmio;
    vm_register_mmio(vm, LAPIC_DEFAULT_BASE, LAPIC_MMIO_SIZE, vcpu_lapic_mmio, &vm->vcpu,
                     "lapic");
    connect_device_lines(m);
    bios_handoff(vm);
    return write_acpi_tables(vm);
}
