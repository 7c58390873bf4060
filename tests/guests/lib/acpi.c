#include "lib/acpi.h"
#include "lib/string.h"
#include "lib/x86.h"

_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP layout (ACPI 5.2.5.3)");
_Static_assert(sizeof(struct acpi_sdt_header) == 36, "table header layout (ACPI 5.2.6)");
_Static_assert(sizeof(struct acpi_generic_address) == 12, "GAS layout (ACPI 5.2.3.2)");
_Static_assert(offsetof(struct acpi_fadt, pm_tmr_blk) == 76, "FADT PM_TMR_BLK offset");
_Static_assert(offsetof(struct acpi_fadt, pm_tmr_len) == 91, "FADT PM_TMR_LEN offset");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT Flags offset");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT X_DSDT offset");
_Static_assert(offsetof(struct acpi_fadt, x_pm_tmr_blk) == 208, "FADT X_PM_TMR_BLK offset");
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT: entries start at offset 44");
_Static_assert(sizeof(struct acpi_madt_io_apic) == 12, "I/O APIC entry layout");
_Static_assert(sizeof(struct acpi_madt_interrupt_override) == 10, "override entry layout");

static const char rsdp_signature[8] = { 'R', 'S', 'D', ' ', 'P', 'T', 'R', ' ' };

/* The RSDT holds 32-bit physical addresses after its header. */
#define RSDT_ENTRY_SIZE sizeof(uint32_t)

bool acpi_checksum_ok(const void *bytes, uint32_t length)
{
    const uint8_t *p = bytes;
    uint8_t sum = 0;
    for (uint32_t i = 0; i < length; i++)
        sum = (uint8_t)(sum + p[i]);
    return sum == 0;
}

/* Revision 0 covers 20 bytes; revision 2 adds the extended checksum over
 * 'length' bytes (ACPI 5.2.5.3). */
static bool rsdp_valid(const struct acpi_rsdp *rsdp)
{
    if (memcmp(rsdp->signature, rsdp_signature, sizeof(rsdp_signature)))
        return false;
    if (!acpi_checksum_ok(rsdp, ACPI_RSDP_V1_LENGTH))
        return false;
    if (rsdp->revision < ACPI_RSDP_REVISION_2)
        return true;
    return rsdp->length >= sizeof(struct acpi_rsdp) &&
           rsdp->length <= ACPI_TABLE_MAX_LENGTH && acpi_checksum_ok(rsdp, rsdp->length);
}

static const struct acpi_rsdp *scan_for_rsdp(void)
{
    for (uint32_t a = ACPI_RSDP_SCAN_START; a < ACPI_RSDP_SCAN_END; a += ACPI_RSDP_ALIGNMENT) {
        const struct acpi_rsdp *candidate = (const struct acpi_rsdp *)(uintptr_t)a;
        if (rsdp_valid(candidate))
            return candidate;
    }
    return NULL;
}

const struct acpi_rsdp *acpi_find_rsdp(void)
{
    static bool scanned;
    static const struct acpi_rsdp *found;
    if (!scanned) {
        found = scan_for_rsdp();
        scanned = true;
    }
    return found;
}

static bool length_plausible(const struct acpi_sdt_header *table)
{
    return table->length >= sizeof(*table) && table->length <= ACPI_TABLE_MAX_LENGTH;
}

bool acpi_table_valid(const struct acpi_sdt_header *table, const char *signature)
{
    return table && !memcmp(table->signature, signature, ACPI_SIG_LENGTH) &&
           length_plausible(table) && acpi_checksum_ok(table, table->length);
}

const struct acpi_sdt_header *acpi_rsdt(void)
{
    const struct acpi_rsdp *rsdp = acpi_find_rsdp();
    if (!rsdp || !rsdp->rsdt_address)
        return NULL;
    return (const struct acpi_sdt_header *)(uintptr_t)rsdp->rsdt_address;
}

uint32_t acpi_rsdt_entries(void)
{
    const struct acpi_sdt_header *rsdt = acpi_rsdt();
    if (!rsdt || memcmp(rsdt->signature, ACPI_SIG_RSDT, ACPI_SIG_LENGTH) ||
        !length_plausible(rsdt))
        return 0;
    return (rsdt->length - (uint32_t)sizeof(*rsdt)) / RSDT_ENTRY_SIZE;
}

const struct acpi_sdt_header *acpi_rsdt_entry(uint32_t index)
{
    if (index >= acpi_rsdt_entries())
        return NULL;
    const uint8_t *entries = (const uint8_t *)acpi_rsdt() + sizeof(struct acpi_sdt_header);
    uint32_t address;
    memcpy(&address, entries + index * RSDT_ENTRY_SIZE, sizeof(address));
    return (const struct acpi_sdt_header *)(uintptr_t)address;
}

const struct acpi_sdt_header *acpi_find_table(const char *signature)
{
    uint32_t n = acpi_rsdt_entries();
    for (uint32_t i = 0; i < n; i++) {
        const struct acpi_sdt_header *t = acpi_rsdt_entry(i);
        if (t && !memcmp(t->signature, signature, ACPI_SIG_LENGTH))
            return t;
    }
    return NULL;
}

bool acpi_pm_timer_from_fadt(const struct acpi_fadt *fadt, struct acpi_pm_timer *timer)
{
    uint32_t port = 0;
    if (ACPI_FADT_HAS(fadt, pm_tmr_blk))
        port = fadt->pm_tmr_blk;
    /* PM_TMR_BLK is superseded by X_PM_TMR_BLK where the latter is set
     * (5.2.9); only its system I/O form is usable here. */
    if (!port && ACPI_FADT_HAS(fadt, x_pm_tmr_blk) &&
        fadt->x_pm_tmr_blk.address_space_id == ACPI_ADDRESS_SPACE_SYSTEM_IO &&
        fadt->x_pm_tmr_blk.address <= UINT16_MAX)
        port = (uint32_t)fadt->x_pm_tmr_blk.address;
    if (!port || port > UINT16_MAX)
        return false;
    timer->port = (uint16_t)port;
    timer->bits = ACPI_FADT_HAS(fadt, flags) && (fadt->flags & ACPI_FADT_TMR_VAL_EXT) ? 32 : 24;
    return true;
}

static uint32_t pm_timer_mask(const struct acpi_pm_timer *timer)
{
    return timer->bits >= 32 ? UINT32_MAX : (1u << timer->bits) - 1u;
}

uint32_t acpi_pm_timer_read_raw(const struct acpi_pm_timer *timer)
{
    return inl(timer->port);
}

uint32_t acpi_pm_timer_read(const struct acpi_pm_timer *timer)
{
    return acpi_pm_timer_read_raw(timer) & pm_timer_mask(timer);
}

uint32_t acpi_pm_timer_ticks_between(const struct acpi_pm_timer *timer, uint32_t earlier,
                                     uint32_t later)
{
    return (later - earlier) & pm_timer_mask(timer);
}

/* The first MADT entry for which match(entry, arg) holds, or NULL.  The
 * walk stops at an entry whose length is too short or runs past the table. */
static const struct acpi_madt_entry *find_madt_entry(const struct acpi_madt *madt,
                                                     bool (*match)(const struct acpi_madt_entry *,
                                                                   unsigned),
                                                     unsigned arg)
{
    const uint8_t *p = (const uint8_t *)madt + sizeof(*madt);
    const uint8_t *end = (const uint8_t *)madt + madt->header.length;
    while (p + sizeof(struct acpi_madt_entry) <= end) {
        const struct acpi_madt_entry *e = (const struct acpi_madt_entry *)p;
        if (e->length < sizeof(*e) || p + e->length > end)
            return NULL;            /* a malformed list: stop rather than wander */
        if (match(e, arg))
            return e;
        p += e->length;
    }
    return NULL;
}

static bool is_io_apic(const struct acpi_madt_entry *e, unsigned unused)
{
    (void)unused;
    return e->type == ACPI_MADT_IO_APIC && e->length >= sizeof(struct acpi_madt_io_apic);
}

static bool is_override_of_isa_irq(const struct acpi_madt_entry *e, unsigned irq)
{
    if (e->type != ACPI_MADT_INTERRUPT_OVERRIDE ||
        e->length < sizeof(struct acpi_madt_interrupt_override))
        return false;
    const struct acpi_madt_interrupt_override *o = (const struct acpi_madt_interrupt_override *)e;
    return o->bus == 0 && o->source == irq;
}

const struct acpi_madt_io_apic *acpi_madt_first_io_apic(const struct acpi_madt *madt)
{
    return (const struct acpi_madt_io_apic *)find_madt_entry(madt, is_io_apic, 0);
}

struct acpi_isa_irq_route acpi_madt_isa_irq_route(const struct acpi_madt *madt, unsigned irq)
{
    /* Without an override an ISA IRQ is GSI irq, active high, edge
     * (5.2.12.5: "conforms to the bus" for ISA). */
    struct acpi_isa_irq_route route = { .gsi = irq };
    const struct acpi_madt_interrupt_override *o = (const struct acpi_madt_interrupt_override *)
        find_madt_entry(madt, is_override_of_isa_irq, irq);
    if (!o)
        return route;
    route.gsi = o->gsi;
    route.active_low = (o->flags & ACPI_MPS_POLARITY_MASK) == ACPI_MPS_POLARITY_ACTIVE_LOW;
    route.level_triggered = (o->flags & ACPI_MPS_TRIGGER_MASK) == ACPI_MPS_TRIGGER_LEVEL;
    route.overridden = true;
    return route;
}
