/*
 * The PC around each VM's vCPU (guest/pc_machine.c): its interrupt
 * controllers (8259 pair, I/O APIC, the vCPU's local APIC), its timers (8254
 * PIT, RTC, ACPI PM timer, the APIC timer), the ACPI tables that describe
 * them, and guest time.  docs/interrupts.md is the user's view.
 *
 * Interrupt routing is fixed, as on a PC with an I/O APIC:
 * - ISA IRQ n (a device's irq_line) drives 8259 input n and I/O APIC pin n
 *   (GSI n = IRQ n; the MADT overrides only the SCI).
 * - GSIs 16-23 reach the I/O APIC alone.
 * - The 8259's INT reaches the vCPU through LAPIC LINT0 (ExtINT), or
 *   directly while the local APIC is disabled.
 *
 * Guest time: nanosecond 0 is the VM's start (or restart), measured on the
 * host TSC, which also gives the guest TSC (TSC offsetting), so every guest
 * clock agrees with every other.  Timer models are brought up to date
 * lazily: at the host TSC vm->timer_deadline, or after a guest access that
 * may have re-armed one (vm->timers_dirty).
 */
#ifndef KEEL_GUEST_PC_MACHINE_H
#define KEEL_GUEST_PC_MACHINE_H

#include <stdbool.h>
#include <stdint.h>

#include "guest/vm.h"

#define PC_IOAPIC_ID            1
#define PC_NR_GSIS              24
#define PC_ACPI_PM1A_EVT_PORT   0x600
#define PC_ACPI_PM1A_CNT_PORT   0x604
#define PC_ACPI_PM_TMR_PORT     0x608
#define PC_ACPI_SCI_IRQ         9
/* Guest-physical home of the ACPI tables: the BIOS area an OS scans for
 * the RSDP (ACPI 6.x, 5.2.5.1), reserved in the guest's memory map. */
#define PC_ACPI_TABLES_GPA      0xe0000u
#define PC_ACPI_TABLES_SIZE     0x20000u

/* Attaches the PC's interrupt and timer hardware to `vm`, connects the
 * interrupt lines of the devices already attached (UARTs, disk), resets
 * the vCPU's local APIC and starts guest time at 0.  Called on every
 * (re)start, after the guest is loaded: it also writes the ACPI tables. */
int pc_machine_attach(struct vm *vm);

/* Guest time now, in nanoseconds since the VM started. */
uint64_t pc_guest_ns(struct vm *vm);

/* A device model read the clock: it may have armed or re-armed a timer. */
uint64_t pc_device_clock(struct vm *vm);

/* Drives GSI `gsi` (0-23) to `level`: ISA IRQs to both controllers. */
void pc_set_gsi(struct vm *vm, unsigned gsi, bool level);

/* Moves the xAPIC page's MMIO window to `base` (after a guest wrote
 * IA32_APIC_BASE), unless RAM or another device is there: then it stays
 * and a warning says so.  pc_lapic_window() is where it is. */
void pc_move_lapic_window(struct vm *vm, uint64_t base);
uint64_t pc_lapic_window(struct vm *vm);

/* The local APIC's EOI broadcast of a level-triggered vector. */
void pc_ioapic_eoi(struct vm *vm, uint8_t vector);

/* Brings every timer model to the present, which may raise interrupts,
 * and sets vm->timer_deadline to the next host TSC at which one fires. */
void pc_update_timers(struct vm *vm);

/* A guest access may have armed or re-armed a timer: the models are
 * brought up to date before the next entry.  intr_check is set too: the
 * exit path tests that one flag for all the work an entry may have. */
static inline void pc_timers_touched(struct vm *vm)
{
    vm->timers_dirty = true;
    vm->vcpu.intr_check = true;
}

/* Cheap check for the exit path: timers need pc_update_timers(). */
static inline bool pc_timers_due(const struct vm *vm, uint64_t host_tsc)
{
    return vm->timers_dirty || host_tsc >= vm->timer_deadline;
}

#endif
