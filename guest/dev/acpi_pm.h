/*
 * The ACPI fixed-hardware power-management registers of keel's PC
 * (guest/dev/acpi_pm.c): the PM1a event block, the PM1a control block and
 * the power-management timer, as the ACPI 6.4 specification defines them
 * (4.8.4.1 "PM1 Event Grouping", 4.8.4.2 "PM1 Control Grouping", 4.8.4.3
 * "Power Management Timer"; tables 4.11-4.13).  Bit names are its own.  The FADT built
 * by guest/acpi_tables.c describes exactly this block.
 *
 * Two layers in one file:
 * - a pure model, struct acpi_pm: no CPU access and no clock of its own.
 *   Every function that depends on time takes `now_ns`, the guest's current
 *   time in nanoseconds.  now_ns must not go backwards; a smaller value
 *   than one seen before is taken as the earlier one.  Nothing is done per
 *   tick: the timer and TMR_STS are computed from now_ns when asked.
 * - acpi_pm_attach(): one model per VM on its three port ranges, with a
 *   clock function giving now_ns.
 *
 * The registers:
 * - PM1a_EVT_BLK (ACPI_PM_EVT_LEN = 4 ports): PM1_STS at +0, PM1_EN at +2,
 *   16 bits each.  PM1_STS bits are cleared by writing 1 (0 leaves them).
 *   Only two can become set: TMR_STS, whenever bit 23 of the timer changes,
 *   and WAK_STS, set by an ignored sleep request (below).  The buttons, the
 *   RTC alarm, bus masters and the global lock never set theirs (the FADT
 *   says there is no fixed button and no RTC wake status).  PM1_EN keeps
 *   the enable bits the specification defines (TMR_EN, GBL_EN, PWRBTN_EN,
 *   SLPBTN_EN, RTC_EN, PCIEXP_WAKE_DIS); the others read 0.
 * - PM1a_CNT_BLK (ACPI_PM_CNT_LEN = 2 ports): SCI_EN reads 1 whatever is
 *   written (there is no SMI_CMD: the machine is always in ACPI mode);
 *   BM_RLD and SLP_TYP keep what is written; GBL_RLS and SLP_EN are
 *   write-only and read 0.  A write with SLP_EN = 1 requests the sleep state
 *   SLP_TYP of the same write: ACPI_PM_SLP_TYP_S5 calls ops->power_off;
 *   any other type is not supported, so the machine "wakes" at once: WAK_STS
 *   is set (an OS that waits for it goes on) and ops->sleep_ignored, if
 *   given, is told the type.
 * - PM_TMR_BLK (ACPI_PM_TMR_LEN = 4 ports): read-only, a free-running
 *   24-bit counter at ACPI_PM_TIMER_HZ, 0 at guest time 0 (tick k falls at
 *   ceil(k * 1e9 / ACPI_PM_TIMER_HZ) ns); bits 31:24 read 0.  Writes are
 *   ignored.
 * Accesses of 1, 2 or 4 bytes may start at any port of a block; each is
 * taken as the bus's byte cycles at port, port+1, ..., lowest byte first,
 * all at one time.  A byte outside the three blocks reads 0xFF and ignores
 * writes.
 *
 * The SCI (an irq_line, level-triggered, ISA IRQ ACPI_PM_SCI_IRQ when
 * attached) is asserted while SCI_EN = 1 and PM1_STS & PM1_EN has a bit set,
 * brought up to date at every call that takes now_ns.  acpi_pm_next_event_ns()
 * says when TMR_STS will next set itself and raise the SCI, so keel can arm
 * a host timer for that guest time and call acpi_pm_update() then.
 */
#ifndef KEEL_GUEST_DEV_ACPI_PM_H
#define KEEL_GUEST_DEV_ACPI_PM_H

#include <stdbool.h>
#include <stdint.h>

#include "guest/irq.h"

#define ACPI_PM_TIMER_HZ        3579545u
#define ACPI_PM_EVT_LEN         4       /* PM1_EVT_LEN: PM1_STS and PM1_EN */
#define ACPI_PM_CNT_LEN         2       /* PM1_CNT_LEN */
#define ACPI_PM_TMR_LEN         4       /* PM_TMR_LEN */
#define ACPI_PM_SLP_TYP_S5      5       /* the SLP_TYP the DSDT's \_S5 gives */
#define ACPI_PM_SCI_IRQ         9       /* the SCI's ISA IRQ as attached */

/* Where the three blocks are (first port of each). */
struct acpi_pm_ports {
    uint16_t evt;               /* PM1a_EVT_BLK */
    uint16_t cnt;               /* PM1a_CNT_BLK */
    uint16_t tmr;               /* PM_TMR_BLK */
};

/* The model's outputs, called during the acpi_pm_write() that caused them. */
struct acpi_pm_ops {
    /* SLP_EN written with SLP_TYP = ACPI_PM_SLP_TYP_S5: switch the machine
     * off.  May be NULL (the request is then dropped). */
    void (*power_off)(void *ctx);
    /* SLP_EN written with another SLP_TYP, which the model ignores apart
     * from setting WAK_STS.  May be NULL. */
    void (*sleep_ignored)(void *ctx, unsigned slp_typ);
    void *ctx;
};

/* The register block.  Public only for static allocation and for tests; use
 * the functions below. */
struct acpi_pm {
    struct acpi_pm_ports ports;
    struct acpi_pm_ops ops;
    struct irq_line *sci;
    uint16_t sts;               /* PM1_STS */
    uint16_t en;                /* PM1_EN */
    uint16_t cnt;               /* PM1_CNT's stored bits: BM_RLD, SLP_TYP */
    uint64_t now_ns;            /* the latest time seen: time never goes back */
    uint64_t msb_changes;       /* bit-23 changes of the timer already turned into TMR_STS */
};

/* Puts `pm` in its reset state (PM1_STS, PM1_EN and PM1_CNT's stored bits 0,
 * SCI_EN 1) for the blocks at `ports`, connects the SCI to `sci` (not NULL,
 * the caller's; set low) and takes the callbacks from `ops` (NULL: none).
 * Bit-23 changes of the timer before now_ns are not reported. */
void acpi_pm_init(struct acpi_pm *pm, const struct acpi_pm_ports *ports, struct irq_line *sci,
                  const struct acpi_pm_ops *ops, uint64_t now_ns);

/* One guest read of `size` (1, 2 or 4) bytes at `port` at guest time now_ns;
 * other sizes read all ones.  Brings TMR_STS and the SCI up to date first. */
uint32_t acpi_pm_read(struct acpi_pm *pm, uint16_t port, unsigned size, uint64_t now_ns);

/* One guest write of the low `size` (1, 2 or 4) bytes of `value` at `port`
 * at guest time now_ns; other sizes are ignored.  Brings TMR_STS up to date
 * first and the SCI after. */
void acpi_pm_write(struct acpi_pm *pm, uint16_t port, unsigned size, uint32_t value,
                   uint64_t now_ns);

/* Sets TMR_STS for the timer's bit-23 changes up to now_ns and the SCI to
 * match.  Call it at the time acpi_pm_next_event_ns() gave; calling it more
 * often is harmless. */
void acpi_pm_update(struct acpi_pm *pm, uint64_t now_ns);

/* The guest time at which acpi_pm_update() must be called for the SCI to
 * rise: the next bit-23 change of the timer while TMR_EN is 1 and TMR_STS
 * is 0 (never before now_ns: now_ns itself when one is already due), else
 * UINT64_MAX (no timer event could change the SCI).  Any acpi_pm_write()
 * may change it: ask again after each. */
uint64_t acpi_pm_next_event_ns(const struct acpi_pm *pm, uint64_t now_ns);

/* The PM timer's 24-bit value at guest time now_ns. */
uint32_t acpi_pm_timer_value(uint64_t now_ns);

struct vm;

/* Gives the guest's current time in nanoseconds (monotonic). */
typedef uint64_t (*acpi_pm_clock_fn)(struct vm *vm);

/* Emulates the register block on `vm`'s ports evt_port..+3, cnt_port..+1
 * and tmr_port..+3 (three port ranges, which must not overlap), reset by
 * every attach, with guest time from `clock(vm)` at every access.  The SCI
 * is the model's own irq_line for ISA IRQ ACPI_PM_SCI_IRQ,
 * acpi_pm_of(vm)->sci, which the caller connects to the interrupt
 * controllers.  SLP_TYP = S5 with SLP_EN stops the VM (VM_STOP_SHUTDOWN_PORT);
 * other sleep types are logged and otherwise ignored. */
void acpi_pm_attach(struct vm *vm, uint16_t evt_port, uint16_t cnt_port, uint16_t tmr_port,
                    acpi_pm_clock_fn clock);

/* The model attached to `vm`, or NULL when none is. */
struct acpi_pm *acpi_pm_of(struct vm *vm);

#endif
