/*
 * The guests' ACPI PM1a event and control blocks and PM timer: a model that
 * computes the timer from the guest time it is given (guest/dev/acpi_pm.h
 * says what it does), then the glue that puts one on a VM's ports.  Section
 * numbers and table names are the ACPI 6.x specification's.
 *
 * Time.  Timer tick k (k >= 1) falls at guest time ceil(k * 1e9 / f) ns,
 * f = ACPI_PM_TIMER_HZ; at time t, floor(t * f / 1e9) ticks have fallen.
 * Bit 23 of the counter changes at every multiple of 2^23 ticks, so the
 * changes up to t number floor(ticks(t) / 2^23); TMR_STS is set whenever
 * that number has grown since it was last looked at.
 */
#include "guest/dev/acpi_pm.h"

#include "guest/vm.h"
#include "kernel/log.h"

/* PM1_STS (4.8.4.1.1, table 4.11).  All are cleared by writing 1. */
#define PM1_STS_TMR             (1u << 0)
#define PM1_STS_WAK             (1u << 15)

/* PM1_EN (4.8.4.1.2, table 4.12) */
#define PM1_EN_TMR              (1u << 0)
#define PM1_EN_GBL              (1u << 5)
#define PM1_EN_PWRBTN           (1u << 8)
#define PM1_EN_SLPBTN           (1u << 9)
#define PM1_EN_RTC              (1u << 10)
#define PM1_EN_PCIEXP_WAKE_DIS  (1u << 14)
#define PM1_EN_DEFINED          (PM1_EN_TMR | PM1_EN_GBL | PM1_EN_PWRBTN | PM1_EN_SLPBTN | \
                                 PM1_EN_RTC | PM1_EN_PCIEXP_WAKE_DIS)

/* PM1_CNT (4.8.4.2.1, table 4.13) */
#define PM1_CNT_SCI_EN          (1u << 0)
#define PM1_CNT_BM_RLD          (1u << 1)
#define PM1_CNT_SLP_TYP_SHIFT   10
#define PM1_CNT_SLP_TYP_MASK    (7u << PM1_CNT_SLP_TYP_SHIFT)
#define PM1_CNT_SLP_EN          (1u << 13)
/* What reads back as written; GBL_RLS and SLP_EN are write-only. */
#define PM1_CNT_STORED          (PM1_CNT_BM_RLD | PM1_CNT_SLP_TYP_MASK)
/* SCI_EN is 1 for good: with no SMI_CMD in the FADT the machine never
 * leaves ACPI mode (5.2.9, SMI_CMD). */
#define PM1_CNT_FIXED_ONES      PM1_CNT_SCI_EN

/* Byte offsets in PM1a_EVT_BLK: the status half, then the enable half
 * (4.8.4.1). */
#define EVT_STS_OFFSET          0
#define EVT_EN_OFFSET           2
#define EVT_REG_LEN             2
_Static_assert(EVT_EN_OFFSET + EVT_REG_LEN == ACPI_PM_EVT_LEN, "PM1_EVT_LEN is STS + EN");

/* The timer (4.8.4.3): 24 bits with TMR_VAL_EXT = 0, TMR_STS on bit 23. */
#define TIMER_BITS              24
#define TIMER_MASK              ((UINT32_C(1) << TIMER_BITS) - 1)
#define TIMER_MSB_SHIFT         (TIMER_BITS - 1)

#define NS_PER_SECOND           UINT64_C(1000000000)
#define BITS_PER_BYTE           8
#define BYTE_MASK               0xffu
#define FLOATING_BUS            0xffu
#define MAX_ACCESS_SIZE         4

/* ---- time ---- */

/* floor(now_ns * f / 1e9), split into whole seconds and the rest so that no
 * product overflows: exact for every now_ns. */
static uint64_t timer_ticks_at(uint64_t now_ns)
{
    uint64_t seconds = now_ns / NS_PER_SECOND, rest = now_ns % NS_PER_SECOND;
    return seconds * ACPI_PM_TIMER_HZ + rest * ACPI_PM_TIMER_HZ / NS_PER_SECOND;
}

/* ceil(tick * 1e9 / f), split the same way; UINT64_MAX when that is beyond
 * 64 bits of nanoseconds (584 years). */
static uint64_t timer_tick_time(uint64_t tick)
{
    uint64_t seconds = tick / ACPI_PM_TIMER_HZ, rest = tick % ACPI_PM_TIMER_HZ;
    if (seconds > (UINT64_MAX - NS_PER_SECOND) / NS_PER_SECOND)
        return UINT64_MAX;
    return seconds * NS_PER_SECOND +
           (rest * NS_PER_SECOND + ACPI_PM_TIMER_HZ - 1) / ACPI_PM_TIMER_HZ;
}

/* How many times bit 23 has changed by `ticks`. */
static uint64_t timer_msb_changes(uint64_t ticks)
{
    return ticks >> TIMER_MSB_SHIFT;
}

uint32_t acpi_pm_timer_value(uint64_t now_ns)
{
    return (uint32_t)(timer_ticks_at(now_ns) & TIMER_MASK);
}

/* ---- the model ---- */

static uint16_t pm1_cnt_value(const struct acpi_pm *pm)
{
    return (uint16_t)(pm->cnt | PM1_CNT_FIXED_ONES);
}

/* 4.8.4.1: an enabled status bit raises the SCI while SCI_EN is set. */
static void update_sci(struct acpi_pm *pm)
{
    bool sci_enabled = pm1_cnt_value(pm) & PM1_CNT_SCI_EN;
    irq_line_set(pm->sci, sci_enabled && (pm->sts & pm->en) != 0);
}

/* Advances the model's time to now_ns (never backwards) and sets TMR_STS for
 * the bit-23 changes on the way. */
static void catch_up(struct acpi_pm *pm, uint64_t now_ns)
{
    if (now_ns > pm->now_ns)
        pm->now_ns = now_ns;
    uint64_t changes = timer_msb_changes(timer_ticks_at(pm->now_ns));
    if (changes != pm->msb_changes) {
        pm->sts |= PM1_STS_TMR;
        pm->msb_changes = changes;
    }
}

void acpi_pm_init(struct acpi_pm *pm, const struct acpi_pm_ports *ports, struct irq_line *sci,
                  const struct acpi_pm_ops *ops, uint64_t now_ns)
{
    pm->ports = *ports;
    if (ops)
        pm->ops = *ops;
    else
        pm->ops = (struct acpi_pm_ops){ NULL, NULL, NULL };
    pm->sci = sci;
    pm->sts = 0;
    pm->en = 0;
    pm->cnt = 0;
    pm->now_ns = now_ns;
    pm->msb_changes = timer_msb_changes(timer_ticks_at(now_ns));
    irq_line_set(sci, false);
}

void acpi_pm_update(struct acpi_pm *pm, uint64_t now_ns)
{
    catch_up(pm, now_ns);
    update_sci(pm);
}

uint64_t acpi_pm_next_event_ns(const struct acpi_pm *pm, uint64_t now_ns)
{
    /* Only TMR_STS going from 0 to 1 with TMR_EN set moves the SCI; a guest
     * polling TMR_STS sees it computed at its read. */
    if (!(pm->en & PM1_EN_TMR) || (pm->sts & PM1_STS_TMR))
        return UINT64_MAX;
    uint64_t next = timer_tick_time((pm->msb_changes + 1) << TIMER_MSB_SHIFT);
    return next > now_ns ? next : now_ns;
}

/* SLP_EN written (4.8.4.2.1 and 16.1): S5 is the only sleep state the
 * machine has; for any other the request is answered as a sleep that ended
 * at once, so an OS waiting for WAK_STS does not wait forever. */
static void request_sleep(struct acpi_pm *pm, unsigned slp_typ)
{
    if (slp_typ == ACPI_PM_SLP_TYP_S5) {
        if (pm->ops.power_off)
            pm->ops.power_off(pm->ops.ctx);
        return;
    }
    pm->sts |= PM1_STS_WAK;
    if (pm->ops.sleep_ignored)
        pm->ops.sleep_ignored(pm->ops.ctx, slp_typ);
}

/* True when `port` is one of the `len` ports from `first`; *offset is its
 * place among them. */
static bool port_in_block(unsigned port, uint16_t first, unsigned len, unsigned *offset)
{
    if (port < first || port - first >= len)
        return false;
    *offset = port - first;
    return true;
}

static uint8_t byte_of(uint32_t reg, unsigned byte)
{
    return (uint8_t)(reg >> (BITS_PER_BYTE * byte));
}

/* A 16-bit register with byte `byte` replaced by `value`, keeping `writable`. */
static uint16_t with_byte(uint16_t reg, unsigned byte, uint8_t value, uint16_t writable)
{
    unsigned shift = BITS_PER_BYTE * byte;
    uint16_t lane = (uint16_t)(BYTE_MASK << shift);
    return (uint16_t)((reg & ~lane) | ((uint16_t)(value << shift) & lane & writable));
}

static uint8_t read_byte(const struct acpi_pm *pm, unsigned port)
{
    unsigned off;
    if (port_in_block(port, pm->ports.evt, ACPI_PM_EVT_LEN, &off))
        return off < EVT_EN_OFFSET ? byte_of(pm->sts, off - EVT_STS_OFFSET)
                                   : byte_of(pm->en, off - EVT_EN_OFFSET);
    if (port_in_block(port, pm->ports.cnt, ACPI_PM_CNT_LEN, &off))
        return byte_of(pm1_cnt_value(pm), off);
    if (port_in_block(port, pm->ports.tmr, ACPI_PM_TMR_LEN, &off))
        return byte_of(acpi_pm_timer_value(pm->now_ns), off);
    return FLOATING_BUS;
}

static void write_cnt_byte(struct acpi_pm *pm, unsigned byte, uint8_t value)
{
    uint16_t written = (uint16_t)(value << (BITS_PER_BYTE * byte));
    pm->cnt = with_byte(pm->cnt, byte, value, PM1_CNT_STORED);
    /* SLP_TYP and SLP_EN share the high byte: the type is the one written
     * together with SLP_EN. */
    if (written & PM1_CNT_SLP_EN)
        request_sleep(pm, (written & PM1_CNT_SLP_TYP_MASK) >> PM1_CNT_SLP_TYP_SHIFT);
}

static void write_byte(struct acpi_pm *pm, unsigned port, uint8_t value)
{
    unsigned off;
    if (port_in_block(port, pm->ports.evt, ACPI_PM_EVT_LEN, &off)) {
        if (off < EVT_EN_OFFSET)        /* write 1 to clear */
            pm->sts &= (uint16_t)~(value << (BITS_PER_BYTE * (off - EVT_STS_OFFSET)));
        else
            pm->en = with_byte(pm->en, off - EVT_EN_OFFSET, value, PM1_EN_DEFINED);
    } else if (port_in_block(port, pm->ports.cnt, ACPI_PM_CNT_LEN, &off)) {
        write_cnt_byte(pm, off, value);
    }
    /* The timer is read-only; other ports float. */
}

static bool access_size_ok(unsigned size)
{
    return size == 1 || size == 2 || size == MAX_ACCESS_SIZE;
}

uint32_t acpi_pm_read(struct acpi_pm *pm, uint16_t port, unsigned size, uint64_t now_ns)
{
    acpi_pm_update(pm, now_ns);
    if (!access_size_ok(size))
        return UINT32_MAX;
    /* Ports are unsigned here, so bytes past 0xFFFF match no block (the
     * bus does not wrap to port 0). */
    uint32_t value = 0;
    for (unsigned i = 0; i < size; i++)
        value |= (uint32_t)read_byte(pm, (unsigned)port + i) << (BITS_PER_BYTE * i);
    return value;
}

void acpi_pm_write(struct acpi_pm *pm, uint16_t port, unsigned size, uint32_t value,
                   uint64_t now_ns)
{
    catch_up(pm, now_ns);
    if (access_size_ok(size))
        for (unsigned i = 0; i < size; i++)
            write_byte(pm, (unsigned)port + i, byte_of(value, i));
    update_sci(pm);
}

/* ---- attaching to a VM ---- */

struct acpi_pm_slot {
    struct acpi_pm pm;
    struct irq_line sci;
    struct vm *vm;
    acpi_pm_clock_fn clock;
    bool attached;
};

static struct acpi_pm_slot acpi_pm_slots[VM_MAX_VMS];

static void slot_power_off(void *ctx)
{
    struct acpi_pm_slot *s = ctx;
    vm_stop(s->vm, VM_STOP_SHUTDOWN_PORT, 0, "ACPI S5 (PM1a_CNT SLP_EN)");
}

static void slot_sleep_ignored(void *ctx, unsigned slp_typ)
{
    struct acpi_pm_slot *s = ctx;
    pr_info("vm %s: ACPI sleep type %u not supported: the guest wakes at once", s->vm->name,
            slp_typ);
}

/* One guest IN or OUT at any of the three blocks. */
static int acpi_pm_pio(struct vm *vm, void *dev, uint16_t port, unsigned size, bool in,
                       uint32_t *value)
{
    struct acpi_pm_slot *s = dev;
    uint64_t now = s->clock(vm);
    if (in)
        *value = acpi_pm_read(&s->pm, port, size, now);
    else
        acpi_pm_write(&s->pm, port, size, *value, now);
    return 0;
}

void acpi_pm_attach(struct vm *vm, uint16_t evt_port, uint16_t cnt_port, uint16_t tmr_port,
                    acpi_pm_clock_fn clock)
{
    if (vm->index >= VM_MAX_VMS)
        panic("vm %s: no ACPI PM slot", vm->name);
    struct acpi_pm_slot *s = &acpi_pm_slots[vm->index];
    const struct acpi_pm_ports ports = { evt_port, cnt_port, tmr_port };
    const struct acpi_pm_ops ops = { slot_power_off, slot_sleep_ignored, s };
    irq_line_init(&s->sci, ACPI_PM_SCI_IRQ);
    s->vm = vm;
    s->clock = clock;
    acpi_pm_init(&s->pm, &ports, &s->sci, &ops, clock(vm));
    s->attached = true;
    vm_register_pio(vm, evt_port, (uint16_t)(evt_port + ACPI_PM_EVT_LEN - 1), acpi_pm_pio, s,
                    "acpi-pm1-evt");
    vm_register_pio(vm, cnt_port, (uint16_t)(cnt_port + ACPI_PM_CNT_LEN - 1), acpi_pm_pio, s,
                    "acpi-pm1-cnt");
    vm_register_pio(vm, tmr_port, (uint16_t)(tmr_port + ACPI_PM_TMR_LEN - 1), acpi_pm_pio, s,
                    "acpi-pm-tmr");
}

struct acpi_pm *acpi_pm_of(struct vm *vm)
{
    if (vm->index >= VM_MAX_VMS || !acpi_pm_slots[vm->index].attached)
        return NULL;
    return &acpi_pm_slots[vm->index].pm;
}
