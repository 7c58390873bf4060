/*
 * APIC virtualization: see vmx/apicv.h; the hook that calls in here before
 * an entry is in vmx/vcpu_vmx.h.  Section numbers are the SDM vol. 3C's:
 * chapter 29 "APIC Virtualization and Virtual Interrupts", 26.2.1.1 for
 * the VM-entry checks on these controls, 28.2.1 for the exits.
 *
 * Which controls are on follows the guest's APIC (vmx_apicv_follow_mode()):
 *   - xAPIC mode, page at keel's window: "virtualize APIC accesses" with
 *     the APIC-access page mapped at the window (EPT, or the shadow tables
 *     through vcpu_backend_page());
 *   - x2APIC mode: "virtualize x2APIC mode" and the MSR bitmap letting
 *     through the x2APIC MSRs the CPU then virtualizes (29.5); the two are
 *     never on together (26.2.1.1);
 *   - disabled, or a base keel could not move its window to: neither.
 * APIC-register virtualization and virtual-interrupt delivery stay on
 * whatever the mode once the policy has them: without the APIC-access page
 * or virtual x2APIC mode no register access reaches them, and virtual-
 * interrupt delivery goes on delivering the model's vectors.
 */
#include "vmx/apicv.h"

#include "guest/mmio.h"
#include "guest/pc_machine.h"
#include "guest/vcpu.h"
#include "guest/vcpu_intr.h"
#include "guest/vcpu_state.h"
#include "kernel/log.h"
#include "lib/format.h"
#include "mm/frame.h"
#include "mm/paging.h"
#include "vmx/exit_qual.h"
#include "vmx/vcpu_vmx.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"
#include "vmx/vmx_controls.h"

#define MODE_CONTROLS (SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES | \
                       SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE)

/* Registers sit 16 bytes apart in the page, x2APIC MSR 800H + n at n << 4
 * (29.5); the MSR bitmap (25.6.9) has the read bits of MSRs 0-1FFFH at
 * byte 0 and their write bits at byte 800H. */
#define REG_STRIDE              0x10u
#define NR_X2APIC_MSRS          (LAPIC_X2APIC_MSR_LAST - LAPIC_X2APIC_MSR_FIRST + 1)
#define MSR_BITMAP_WRITE_LOW    0x800u
#define BITS_PER_BYTE           8u

static uint32_t *page_words(struct vcpu_vmx *x)
{
    return (uint32_t *)x->virtual_apic;
}

static uint32_t *page_word(struct vcpu_vmx *x, unsigned offset)
{
    return &page_words(x)[offset / sizeof(uint32_t)];
}

/* ---- which registers the CPU serves ---- */

/* VICR high is the guest's to write without an exit (29.4.3.2) while APIC-
 * register virtualization serves the xAPIC page. */
static bool icr_high_virtualized(const struct vmx_apicv *s)
{
    return vmx_policy.apic_register_virtualization &&
           (s->controls & SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES);
}

/* RDMSR of the x2APIC MSRs the CPU answers from the page (29.5): TPR
 * always; with APIC-register virtualization those of its list, less PPR
 * unless virtual-interrupt delivery keeps VPPR (29.1.3).  Everything else
 * (current count, EOI, SELF IPI, CMCI, reserved ones) exits, so that the
 * model answers or faults. */
static bool x2apic_read_virtualized(unsigned offset)
{
    if (offset == LAPIC_TPR)
        return true;
    if (!vmx_policy.apic_register_virtualization)
        return false;
    if (offset >= LAPIC_ISR && offset < LAPIC_ESR)
        return true;                            /* ISR, TMR and IRR */
    if (offset >= LAPIC_LVT_TIMER && offset <= LAPIC_LVT_ERROR)
        return true;
    switch (offset) {
    case LAPIC_ID:
    case LAPIC_VERSION:
    case LAPIC_LDR:
    case LAPIC_SVR:
    case LAPIC_ESR:
    case LAPIC_ICR_LOW:
    case LAPIC_INITIAL_COUNT:
    case LAPIC_DIVIDE_CONFIG:
        return true;
    case LAPIC_PPR:
        return vmx_policy.virtual_interrupt_delivery;
    default:
        return false;
    }
}

/* WRMSR the CPU virtualizes (29.5): TPR; EOI and SELF IPI with virtual-
 * interrupt delivery.  Every other write exits to the model. */
static bool x2apic_write_virtualized(unsigned offset)
{
    if (offset == LAPIC_TPR)
        return true;
    return vmx_policy.virtual_interrupt_delivery &&
           (offset == LAPIC_EOI || offset == LAPIC_SELF_IPI);
}

static void set_msr_exit(uint8_t *bitmap, unsigned base, uint32_t msr, bool exits)
{
    uint8_t bit = (uint8_t)(1u << (msr % BITS_PER_BYTE));
    if (exits)
        bitmap[base + msr / BITS_PER_BYTE] |= bit;
    else
        bitmap[base + msr / BITS_PER_BYTE] &= (uint8_t)~bit;
}

/* Without "virtualize x2APIC mode" an x2APIC MSR the bitmap lets through
 * would reach the host's own APIC: all of them exit then. */
static void set_x2apic_msr_exits(struct vcpu_vmx *x, bool virtualized)
{
    uint8_t *bitmap = phys_to_virt(x->msr_bitmap);
    for (uint32_t n = 0; n < NR_X2APIC_MSRS; n++) {
        uint32_t msr = LAPIC_X2APIC_MSR_FIRST + n;
        unsigned offset = n * REG_STRIDE;
        set_msr_exit(bitmap, 0, msr, !(virtualized && x2apic_read_virtualized(offset)));
        set_msr_exit(bitmap, MSR_BITMAP_WRITE_LOW, msr,
                     !(virtualized && x2apic_write_virtualized(offset)));
    }
}

/* ---- the APIC-access page ---- */

bool vcpu_backend_page(struct vcpu *v, uint64_t gpa, uint64_t *hpa)
{
    const struct vmx_apicv *s = &to_vmx(v)->apicv;
    if (!s->mapped || gpa != s->mapped_gpa)
        return false;
    *hpa = s->apic_access_phys;
    return true;
}

/* Puts the APIC-access page at guest-physical `gpa` (unmap: at none).
 * With EPT it is an entry of its own; shadow paging maps it through
 * vcpu_backend_page() when the guest touches it, so shadows made for the
 * old place go. */
static void map_apic_access_page(struct vcpu *v, bool map, uint64_t gpa)
{
    struct vmx_apicv *s = &to_vmx(v)->apicv;
    if (s->mapped == map && (!map || s->mapped_gpa == gpa))
        return;
    if (s->mapped && vmx_policy.ept)
        vmx_ept_unmap_page(v->vm, s->mapped_gpa);
    s->mapped = map;
    s->mapped_gpa = gpa;
    if (map && vmx_policy.ept && vmx_ept_map_page(v->vm, gpa, s->apic_access_phys) != 0) {
        s->mapped = false;
        vm_stop(v->vm, VM_STOP_UNHANDLED, 0, "no memory to map the APIC-access page at %lx",
                gpa);
    }
    if (!vmx_policy.ept)
        vcpu_flush_tlb(v);
}

/* ---- following the guest's APIC ---- */

/* What the guest writes in the page without an exit (besides VTPR, where
 * the model keeps the TPR), for the model to take back when it next looks
 * (lapic_copy_shared()): with virtual-interrupt delivery VIRR and VISR
 * (deliveries, EOIs and self-IPIs: 29.1.3, 29.2); VICR high while APIC-
 * register virtualization serves the xAPIC page (29.4.3.2), which the model
 * needs for the ICR low write that sends the IPI. */
static void share_page(struct vcpu *v)
{
    struct vcpu_vmx *x = to_vmx(v);
    unsigned writes = 0;
    if (vmx_policy.virtual_interrupt_delivery)
        writes |= LAPIC_COPY_VECTORS;
    if (icr_high_virtualized(&x->apicv))
        writes |= LAPIC_COPY_ICR_HIGH;
    lapic_copy_shared(&v->lapic, writes ? page_words(x) : NULL, writes);
}

static void write_secondary_controls(struct vcpu_vmx *x, uint32_t apic_controls)
{
    uint32_t value = (x->secondary_controls & ~MODE_CONTROLS) | apic_controls;
    x->apicv.controls = apic_controls;
    if (value == x->secondary_controls)
        return;
    x->secondary_controls = value;
    vmcs_write(SECONDARY_VM_EXEC_CONTROL, value);
}

/* The controls for the APIC's mode and base, set again whenever either
 * changed: only a WRMSR of IA32_APIC_BASE (vcpu->apic_base_written) or a
 * restart changes them. */
void vmx_apicv_follow_mode(struct vcpu *v)
{
    struct vcpu_vmx *x = to_vmx(v);
    struct vmx_apicv *s = &x->apicv;
    v->apic_base_written = false;
    uint64_t base = lapic_apic_base(&v->lapic), window = pc_lapic_window(v->vm);
    if (s->mode_known && base == s->apic_base && window == s->window)
        return;
    s->mode_known = true;
    s->apic_base = base;
    s->window = window;

    bool xapic_page = lapic_mmio_decoded(&v->lapic) && lapic_mmio_base(&v->lapic) == window;
    bool x2apic = lapic_x2apic_mode(&v->lapic);
    uint32_t mode = 0;
    if (vmx_policy.apic_access && xapic_page)
        mode |= SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES;
    if (vmx_policy.virtualize_x2apic && x2apic)
        mode |= SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE;
    map_apic_access_page(v, mode & SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES, window);
    if ((mode ^ s->controls) & SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE)
        set_x2apic_msr_exits(x, mode & SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE);
    write_secondary_controls(x, (s->controls & ~MODE_CONTROLS) | mode);
    share_page(v);
    s->page_valid = false;      /* the layout of ID, LDR and ICR follows the mode */
}

/* ---- the virtual-APIC page as the model's copy ---- */

#define VECTOR_SLOTS(first) (UINT64_C(0xff) << ((first) / REG_STRIDE))

/* Virtual-interrupt delivery starts from RVI and SVI, the highest vectors
 * in VIRR and VISR (29.1.1, 29.2.1); level-triggered vectors (TMR) exit
 * at their EOI so that the I/O APIC hears it (29.1.3). */
static void write_virtual_interrupt_state(struct vcpu *v, uint64_t written)
{
    struct vcpu_vmx *x = to_vmx(v);
    if (written & (VECTOR_SLOTS(LAPIC_IRR) | VECTOR_SLOTS(LAPIC_ISR))) {
        int rvi = lapic_highest_request(&v->lapic), svi = lapic_highest_in_service(&v->lapic);
        vmcs_write(GUEST_INTR_STATUS, vmx_encode_guest_intr_status(rvi, svi));
    }
    if (!(written & VECTOR_SLOTS(LAPIC_TMR)))
        return;
    for (unsigned i = 0; i < 4; i++) {
        uint64_t low = *page_word(x, LAPIC_TMR + 2 * i * REG_STRIDE);
        uint64_t high = *page_word(x, LAPIC_TMR + (2 * i + 1) * REG_STRIDE);
        uint64_t bitmap = high << 32 | low;
        if (bitmap != x->apicv.eoi_exit_bitmap[i]) {
            x->apicv.eoi_exit_bitmap[i] = bitmap;
            vmcs_write((enum vmcs_field)(EOI_EXIT_BITMAP0 + 2 * i), bitmap);
        }
    }
}

/* Writes what the model changed since the page was last written (all of
 * it after a mode change). */
void vmx_apicv_refresh_page(struct vcpu *v)
{
    struct vcpu_vmx *x = to_vmx(v);
    struct vmx_apicv *s = &x->apicv;
    uint64_t written;
    if (!s->page_valid) {
        lapic_page_fill(&v->lapic, page_words(x));
        written = ~UINT64_C(0);
        s->page_valid = true;
    } else if (v->lapic.page_changes) {
        written = lapic_page_update(&v->lapic, page_words(x));
    } else {
        return;
    }
    if (vmx_policy.virtual_interrupt_delivery)
        write_virtual_interrupt_state(v, written);
}

/* "keel: vm NAME: local APIC: ...": the path this VM's APIC takes. */
static void report_path(struct vcpu *v)
{
    const struct vmx_policy *p = &vmx_policy;
    const char *used[] = {
        p->tpr_shadow ? "TPR shadow" : NULL,
        p->apic_access ? "APIC-access page" : NULL,
        p->apic_register_virtualization ? "APIC-register virtualization" : NULL,
        p->virtualize_x2apic ? "virtual x2APIC" : NULL,
        p->virtual_interrupt_delivery ? "virtual-interrupt delivery" : NULL,
    };
    bool virtualized = p->apic_access || p->virtualize_x2apic || p->virtual_interrupt_delivery;
    char list[128] = "";
    size_t len = 0;
    for (size_t i = 0; i < sizeof(used) / sizeof(used[0]); i++)
        if (used[i] && len < sizeof(list))
            len += (size_t)ksnprintf(list + len, sizeof(list) - len, "%s%s", len ? ", " : "",
                                     used[i]);
    pr_info("vm %s: local APIC: %s%s%s", v->vm->name, virtualized ? "virtualized" : "emulated",
            list[0] ? ": " : "", list);
}

void vmx_apicv_setup(struct vcpu *v)
{
    struct vcpu_vmx *x = to_vmx(v);
    struct vmx_apicv *s = &x->apicv;
    uint32_t controls = 0;
    if (vmx_policy.apic_register_virtualization)
        controls |= SECONDARY_EXEC_APIC_REGISTER_VIRTUALIZATION;
    if (vmx_policy.virtual_interrupt_delivery)
        controls |= SECONDARY_EXEC_VIRTUAL_INTERRUPT_DELIVERY;
    if (!s->reported) {
        report_path(v);
        s->reported = true;
    }
    if (vmx_policy.apic_access && !s->apic_access_phys)
        s->apic_access_phys = frame_alloc();
    map_apic_access_page(v, false, 0);      /* a restart: vmx_apicv_follow_mode() maps it */
    if (s->controls & SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE)
        set_x2apic_msr_exits(x, false);
    write_secondary_controls(x, controls);
    if (vmx_policy.apic_access)
        vmcs_write(APIC_ACCESS_ADDR, s->apic_access_phys);
    if (vmx_policy.virtual_interrupt_delivery) {
        vmcs_write(GUEST_INTR_STATUS, 0);
        for (unsigned i = 0; i < 4; i++) {
            s->eoi_exit_bitmap[i] = 0;
            vmcs_write((enum vmcs_field)(EOI_EXIT_BITMAP0 + 2 * i), 0);
        }
    }
    s->mode_known = false;
    s->page_valid = false;
    /* The page holds the model's registers where the CPU reads any of them
     * from there: with APIC-register virtualization (29.4.2, 29.5) and with
     * virtual-interrupt delivery (VIRR and VISR, 29.1.1).  The TPR shadow
     * alone reads VTPR only, where the model keeps the TPR. */
    s->copy = vmx_policy.apic_register_virtualization || vmx_policy.virtual_interrupt_delivery;
    share_page(v);
    v->virtual_interrupt_delivery = vmx_policy.virtual_interrupt_delivery;
}

/* ---- exits ---- */

/* A fault-like exit for an access to the APIC-access page the CPU did not
 * virtualize (29.4): a data access is emulated as any MMIO access is, at
 * the guest-physical address it meant (where keel maps the page).  Code
 * fetched from the page, and events delivered through it, are not. */
enum exit_action vmx_exit_apic_access(struct vcpu *v)
{
    struct vcpu_vmx *x = to_vmx(v);
    struct apic_access access;
    vmx_decode_apic_access(vmx_exit_qualification(v), &access);
    if (!vmx_apic_access_is_data(&access) || !x->apicv.mapped) {
        kprintf("keel: vm %s: APIC-access exit of type %u at offset %x: not a data access "
                "keel emulates\n", v->vm->name, access.type, access.offset);
        vmx_report_vcpu(v);
        vm_stop(v->vm, VM_STOP_UNHANDLED, 0, "APIC-access exit of type %u (code fetched from, "
                "or an event delivered through, the xAPIC page)", access.type);
        return EXIT_RESUME;
    }
    uint64_t gpa = x->apicv.mapped_gpa + access.offset;
    mmio_emulate(v, vm_find_mmio(v->vm, gpa), gpa);
    return EXIT_RESUME;
}

/* A trap-like exit after a write the CPU put in the virtual-APIC page
 * (29.4.3.2, 29.5): the model performs it, and the register in the page
 * then shows what the model made of it (a read-only field, a partial
 * write, a register x2APIC mode lacks). */
enum exit_action vmx_exit_apic_write(struct vcpu *v)
{
    struct vcpu_vmx *x = to_vmx(v);
    unsigned offset = vmx_decode_apic_write_offset(vmx_exit_qualification(v));
    unsigned start = offset & ~(unsigned)(sizeof(uint32_t) - 1);
    uint64_t value = *page_word(x, start);
    if (lapic_x2apic_mode(&v->lapic))
        value |= (uint64_t)*page_word(x, start + sizeof(uint32_t)) << 32;
    vcpu_lapic_register_written(v, offset, value);
    lapic_page_stale(&v->lapic, offset);
    return EXIT_RESUME;
}

/* A trap-like exit after the virtual EOI of a vector the EOI-exit bitmap
 * names (29.1.3): the CPU took it out of VISR already; the I/O APIC hears
 * of it now. */
enum exit_action vmx_exit_virtualized_eoi(struct vcpu *v)
{
    vcpu_lapic_virtual_eoi(v, vmx_decode_virtualized_eoi_vector(vmx_exit_qualification(v)));
    return EXIT_RESUME;
}
