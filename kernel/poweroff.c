/*
 * Power-off, reset and halt (contract in kernel/poweroff.h).
 *
 * Every method here is a write that either ends the machine or does nothing,
 * so each is tried in turn, from the most specific to the most brutal, with a
 * short pause between them for the hardware to act.  The ACPI data come from
 * kernel/acpi.c, read through keel's direct map.
 */
#include "kernel/poweroff.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86/cpu.h"
#include "boot/boot_info.h"
#include "kernel/acpi.h"
#include "kernel/log.h"
#include "lib/string.h"
#include "mm/paging.h"

/* Emulator-only exits. */
#define QEMU_DEBUG_EXIT_PORT    0xf4    /* -device isa-debug-exit,iobase=0xf4 */
#define BOCHS_SHUTDOWN_PORT     0x8900  /* takes the bytes of "Shutdown" */
#define CPUID_HYPERVISOR_LEAF   0x40000000u
#define HYPERVISOR_SIG_LEN      12

/* 8042 keyboard controller (command/status port 0x64). */
#define KBC_STATUS_PORT         0x64
#define KBC_COMMAND_PORT        0x64
#define KBC_STATUS_INPUT_FULL   (1u << 1)   /* controller has not taken the last byte */
#define KBC_CMD_PULSE_RESET     0xfe        /* pulse output line 0: CPU reset */

/* Reset control register of PCH/PIIX chipsets: a 0->1 edge on RST_CPU resets;
 * SYS_RST makes it a full (hard) reset. */
#define RESET_CONTROL_PORT      0xcf9
#define RESET_CONTROL_SYS_RST   (1u << 1)
#define RESET_CONTROL_RST_CPU   (1u << 2)

/* PCI configuration mechanism #1 (PCI Local Bus spec 3.0, 3.2.2.3.2). */
#define PCI_CONFIG_ADDRESS      0xcf8
#define PCI_CONFIG_DATA         0xcfc
#define PCI_CONFIG_ENABLE       (1u << 31)
#define PCI_MAX_DEVICE          31
#define PCI_MAX_FUNCTION        7
#define PCI_MAX_OFFSET          0xff

#define IO_PORT_MAX             0xffffu
#define FOUR_GIB                (1ull << 32)
/* The direct map is the 64 TiB from DIRECT_MAP_BASE; nothing above is RAM keel maps. */
#define DIRECT_MAP_SPAN         (1ull << 46)

/* Busy-wait lengths, in PAUSE instructions or port reads (no timer is assumed
 * to work this late): long enough for a chipset to act, short enough that a
 * dead method does not hold up the next one noticeably. */
#define SETTLE_SPINS            20000000ul
#define KBC_READY_POLLS         100000ul
/* Linux and ACPICA give SMI-based ACPI enabling about 3 s; an I/O read takes
 * roughly 1 us on real hardware. */
#define SCI_ENABLE_POLLS        3000000ul

static struct acpi_power acpi;
static bool acpi_looked_up;

/* ---- ACPI data ------------------------------------------------------- */

/* The acpi_phys_reader for keel: the direct map covers all of the first
 * 4 GiB (paging.h); above that only RAM is mapped, so check every page. */
static const void *direct_map_read(uint64_t phys, size_t len, void *ctx)
{
    (void)ctx;
    if (len == 0 || phys + len < phys || phys + len > DIRECT_MAP_SPAN)
        return NULL;
    if (phys + len > FOUR_GIB) {
        for (uint64_t page = PAGE_ALIGN_DOWN(phys); page < phys + len; page += PAGE_SIZE)
            if (paging_translate(DIRECT_MAP_BASE + page) == ~0ull)
                return NULL;
    }
    return phys_to_virt(phys);
}

static void acpi_log(const struct acpi_power *a)
{
    if (!a->rsdp_found) {
        pr_debug("ACPI: %s", a->problem);
        return;
    }
    pr_debug("ACPI: RSDP revision %u, OEM \"%s\", %s", a->rsdp_revision, a->oem_id,
             a->used_xsdt ? "XSDT" : "RSDT");
    if (a->fadt_found)
        pr_debug("ACPI: PM1a_CNT 0x%x PM1b_CNT 0x%x SMI_CMD 0x%x ACPI_ENABLE 0x%x",
                 a->pm1a_cnt, a->pm1b_cnt, a->smi_cmd, a->acpi_enable);
    if (a->s5_found)
        pr_debug("ACPI: \\_S5 SLP_TYPa %u SLP_TYPb %u", a->slp_typa, a->slp_typb);
    if (a->reset_found)
        pr_debug("ACPI: reset register space %u address 0x%llx value 0x%x", a->reset.space,
                 (unsigned long long)a->reset.address, a->reset.value);
    if (a->problem[0])
        pr_debug("ACPI: %s", a->problem);
}

void poweroff_init(const struct boot_info *bi)
{
    const void *rsdp = bi && bi->have_rsdp ? bi->rsdp : NULL;

    acpi_find_power(&acpi, rsdp, rsdp ? sizeof(bi->rsdp) : 0, direct_map_read, NULL);
    acpi_looked_up = true;
    acpi_log(&acpi);
}

static const struct acpi_power *acpi_power_data(void)
{
    if (!acpi_looked_up) {
        acpi_find_power(&acpi, NULL, 0, direct_map_read, NULL);
        acpi_looked_up = true;
    }
    return &acpi;
}

static bool io_port_valid(uint32_t port)
{
    return port != 0 && port <= IO_PORT_MAX;
}

static void settle(void)
{
    for (unsigned long i = 0; i < SETTLE_SPINS; i++)
        cpu_relax();
}

/* ---- Power-off ------------------------------------------------------- */

static bool hypervisor_signature_is(const char *sig)
{
    /* On hardware without a hypervisor, leaf 0x40000000 returns the data of
     * the highest basic leaf, which never spells these signatures. */
    struct cpuid_regs r = cpuid(CPUID_HYPERVISOR_LEAF, 0);
    char got[HYPERVISOR_SIG_LEN];

    memcpy(got, &r.ebx, 4);
    memcpy(got + 4, &r.ecx, 4);
    memcpy(got + 8, &r.edx, 4);
    return memcmp(got, sig, HYPERVISOR_SIG_LEN) == 0;
}

/* Only emulators get the debug-exit writes: on real hardware ports 0xf4 and
 * 0x8900 may belong to some device. */
static bool on_emulator(const struct acpi_power *a)
{
    if (a->rsdp_found && memcmp(a->oem_id, "BOCHS ", 6) == 0)
        return true;
    return hypervisor_signature_is("TCGTCGTCGTCG") ||
           hypervisor_signature_is("KVMKVMKVM\0\0\0");
}

static void emulator_exit(int status)
{
    static const char shutdown[] = "Shutdown";

    /* QEMU's isa-debug-exit, when configured, ends QEMU with (status << 1) | 1. */
    outl(QEMU_DEBUG_EXIT_PORT, (uint32_t)status);
    for (size_t i = 0; i < sizeof(shutdown) - 1; i++)
        outb(BOCHS_SHUTDOWN_PORT, (uint8_t)shutdown[i]);
    settle();
}

/* ACPI 6.5, FADT SMI_CMD/ACPI_ENABLE (5.2.9): in legacy mode (SCI_EN clear)
 * the firmware owns the PM registers; writing ACPI_ENABLE to SMI_CMD hands
 * them to the OS, and the firmware sets SCI_EN when done. */
static void acpi_enable_mode(const struct acpi_power *a)
{
    uint16_t pm1a = (uint16_t)a->pm1a_cnt;

    if ((inw(pm1a) & ACPI_PM1_CNT_SCI_EN) || !io_port_valid(a->smi_cmd) || a->acpi_enable == 0)
        return;
    outb((uint16_t)a->smi_cmd, a->acpi_enable);
    for (unsigned long i = 0; i < SCI_ENABLE_POLLS; i++)
        if (inw(pm1a) & ACPI_PM1_CNT_SCI_EN)
            return;
    kprintf("keel: ACPI mode did not come on; trying S5 anyway\n");
}

static uint16_t pm1_cnt_with_sleep_type(uint16_t value, uint8_t slp_typ)
{
    value &= (uint16_t)~(ACPI_PM1_CNT_SLP_TYP_MASK | ACPI_PM1_CNT_SLP_EN);
    return (uint16_t)(value | ((slp_typ << ACPI_PM1_CNT_SLP_TYP_SHIFT) & ACPI_PM1_CNT_SLP_TYP_MASK));
}

/* ACPI groups PM1a_CNT and PM1b_CNT into one logical register, so both get
 * their SLP_TYP before SLP_EN is set in either; the other bits (SCI_EN among
 * them) are written back as read. */
static void acpi_enter_s5(const struct acpi_power *a)
{
    if (!a->fadt_found || !a->s5_found || !io_port_valid(a->pm1a_cnt)) {
        kprintf("keel: ACPI S5 unavailable: %s\n",
                a->problem[0] ? a->problem : "the FADT has no PM1a_CNT port");
        return;
    }
    acpi_enable_mode(a);

    uint16_t pm1a = (uint16_t)a->pm1a_cnt, pm1b = (uint16_t)a->pm1b_cnt;
    bool has_b = io_port_valid(a->pm1b_cnt);
    uint16_t va = pm1_cnt_with_sleep_type(inw(pm1a), a->slp_typa);
    uint16_t vb = has_b ? pm1_cnt_with_sleep_type(inw(pm1b), a->slp_typb) : 0;

    outw(pm1a, va);
    if (has_b)
        outw(pm1b, vb);
    outw(pm1a, (uint16_t)(va | ACPI_PM1_CNT_SLP_EN));
    if (has_b)
        outw(pm1b, (uint16_t)(vb | ACPI_PM1_CNT_SLP_EN));
    settle();
}

_Noreturn void machine_poweroff(int status)
{
    cli();
    const struct acpi_power *a = acpi_power_data();

    if (on_emulator(a))
        emulator_exit(status);
    acpi_enter_s5(a);
    kprintf("keel: power-off failed; halting\n");
    cpu_halt_forever();
}

/* ---- Reset ----------------------------------------------------------- */

static void pci_config_write8(uint64_t address, uint8_t value)
{
    uint64_t device = (address >> 32) & 0xffff;
    uint64_t function = (address >> 16) & 0xffff;
    uint64_t offset = address & 0xffff;

    if (device > PCI_MAX_DEVICE || function > PCI_MAX_FUNCTION || offset > PCI_MAX_OFFSET)
        return;
    outl(PCI_CONFIG_ADDRESS, PCI_CONFIG_ENABLE | (uint32_t)(device << 11) |
                                 (uint32_t)(function << 8) | (uint32_t)(offset & 0xfc));
    outb((uint16_t)(PCI_CONFIG_DATA + (offset & 3)), value);
}

/* Writing RESET_VALUE to RESET_REG resets the machine (ACPI 6.5, FADT
 * RESET_REG and RESET_VALUE, 5.2.9). */
static void acpi_reset(const struct acpi_reset_reg *r)
{
    switch (r->space) {
    case ACPI_SPACE_SYSTEM_IO:
        if (r->address <= IO_PORT_MAX)
            outb((uint16_t)r->address, r->value);
        break;
    case ACPI_SPACE_SYSTEM_MEMORY: {
        volatile uint8_t *reg =
            (volatile uint8_t *)(uintptr_t)direct_map_read(r->address, 1, NULL);
        if (reg)
            *reg = r->value;
        break;
    }
    case ACPI_SPACE_PCI_CONFIG:
        pci_config_write8(r->address, r->value);
        break;
    default:
        break;
    }
}

static void keyboard_controller_reset(void)
{
    for (unsigned long i = 0; i < KBC_READY_POLLS; i++)
        if (!(inb(KBC_STATUS_PORT) & KBC_STATUS_INPUT_FULL))
            break;
    outb(KBC_COMMAND_PORT, KBC_CMD_PULSE_RESET);
}

static void reset_control_register_reset(void)
{
    /* Clear RST_CPU first so the second write is the 0->1 edge. */
    outb(RESET_CONTROL_PORT, RESET_CONTROL_SYS_RST);
    outb(RESET_CONTROL_PORT, RESET_CONTROL_SYS_RST | RESET_CONTROL_RST_CPU);
}

/* With an empty IDT, INT3 cannot be delivered (#GP), nor can the #GP, nor
 * the #DF: a triple fault, which makes the CPU signal a reset. */
static _Noreturn void triple_fault(void)
{
    static const struct descriptor_table_ptr empty_idt = { 0, 0 };

    lidt(&empty_idt);
    __asm__ __volatile__("int3" : : : "memory");
    cpu_halt_forever();
}

_Noreturn void machine_reboot(void)
{
    cli();
    kprintf("keel: rebooting\n");
    const struct acpi_power *a = acpi_power_data();

    if (a->reset_found) {
        acpi_reset(&a->reset);
        settle();
    }
    keyboard_controller_reset();
    settle();
    reset_control_register_reset();
    settle();
    triple_fault();
}

/* ---- Halt ------------------------------------------------------------ */

_Noreturn void machine_halt(void)
{
    kprintf("keel: halted\n");
    cpu_halt_forever();
}
