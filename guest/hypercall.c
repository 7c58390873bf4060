/*
 * keel's hypercalls (the ABI is in guest/hypercall.h and docs/hypercalls.md):
 * what each call reads from the guest, does, and answers in RAX.
 */
#include "guest/hypercall.h"

#include "guest/exit_stats.h"
#include "guest/vcpu.h"
#include "mm/pt_walk.h"

#define HC_ERROR (~UINT64_C(0))
#define HC_OK    0

/* Paging is on when CR0.PG is set (SDM vol. 3A 2.5). */
#define CR0_PG (UINT64_C(1) << 31)

/* Without paging a linear address is a 32-bit physical one (SDM vol. 3A
 * 3.1), as vcpu_translate() takes it. */
#define UNPAGED_ADDRESS_MASK UINT64_C(0xffffffff)

#define GUEST_PAGE_SIZE 4096u

/* Prints guest bytes through the VM's console, as if written to its UART.
 * Each byte is translated on its own page walk only once per page. */
static uint64_t hc_print(struct vcpu *v, uint64_t gla, uint64_t len)
{
    if (len > KEEL_HYPERCALL_PRINT_MAX)
        return HC_ERROR;
    for (uint64_t done = 0; done < len;) {
        uint64_t gpa;
        if (!vcpu_translate(v, gla + done, false, false, &gpa))
            return HC_ERROR;     /* #PF injected: the guest sees its own bug */
        uint64_t chunk = GUEST_PAGE_SIZE - ((gla + done) & (GUEST_PAGE_SIZE - 1));
        if (chunk > len - done)
            chunk = len - done;
        char buf[256];
        for (uint64_t off = 0; off < chunk;) {
            uint64_t n = chunk - off < sizeof(buf) ? chunk - off : sizeof(buf);
            if (!vm_ram_read(v->vm, gpa + off, buf, n))
                return HC_ERROR;
            for (uint64_t i = 0; i < n; i++)
                vm_console_putc(v->vm, buf[i]);
            off += n;
        }
        done += chunk;
    }
    return len;
}

/* Where a write by the guest itself to gla would land, if it could write
 * there at its current privilege level; unlike vcpu_translate(), a refusal
 * injects nothing: the call reports it in RAX instead. */
static bool translate_guest_write(struct vcpu *v, uint64_t gla, uint64_t *gpa)
{
    if (!(vcpu_cr0(v) & CR0_PG)) {
        *gpa = gla & UNPAGED_ADDRESS_MASK;
        return true;
    }
    struct pt_walk_result res;
    if (vcpu_walk(v, gla, PT_ACCESS_WRITE, vcpu_cpl(v), &res) != PT_WALK_OK)
        return false;
    *gpa = res.phys;
    return true;
}

/* A record crosses at most one page boundary. */
#define RECORD_MAX_PAGES 2
_Static_assert(KEEL_EXIT_COST_SIZE <= GUEST_PAGE_SIZE, "a record spans at most two pages");

/* Copies len (at most a page) bytes to guest-linear gla, all or nothing:
 * every page must translate for a write and be RAM before a byte is
 * written. */
static bool write_guest_record(struct vcpu *v, uint64_t gla, const void *src, size_t len)
{
    uint64_t gpa[RECORD_MAX_PAGES];
    size_t part[RECORD_MAX_PAGES];
    unsigned pages = 0;
    for (size_t done = 0; done < len; pages++) {
        size_t chunk = GUEST_PAGE_SIZE - ((gla + done) & (GUEST_PAGE_SIZE - 1));
        if (chunk > len - done)
            chunk = len - done;
        if (!translate_guest_write(v, gla + done, &gpa[pages]) ||
            !vm_ram_ptr(v->vm, gpa[pages], chunk))
            return false;
        part[pages] = chunk;
        done += chunk;
    }
    const uint8_t *bytes = src;
    for (unsigned i = 0; i < pages; i++) {
        vm_ram_write(v->vm, gpa[i], bytes, part[i]);
        bytes += part[i];
    }
    return true;
}

/* This vCPU's figures for one exit reason, written to the guest.  The exit
 * making the call is not among them yet: an exit is counted when it ends. */
static uint64_t hc_exit_cost(struct vcpu *v, uint64_t reason, uint64_t gla)
{
    if (reason >= NR_EXIT_REASONS)
        return HC_ERROR;
    const struct exit_reason_stats *r = &v->stats.reason[reason];
    struct keel_exit_cost rec = {
        .count = r->count,
        .total_ticks = r->total,
        .min = r->count ? r->min : 0,
        .max = r->max,
        .mean = exit_stats_mean(r),
    };
    return write_guest_record(v, gla, &rec, sizeof(rec)) ? HC_OK : HC_ERROR;
}

/* The figures start again from nothing.  The exit making the call ends
 * after this, so it is the first one counted (as a VMCALL). */
static uint64_t hc_reset_stats(struct vcpu *v)
{
    exit_stats_reset(&v->stats);
    return HC_OK;
}

/* KVM_HC_SEND_IPI: bit i of the bitmap (low word, then high word; each as
 * wide as the guest's registers) names APIC ID min + i.  Each named vCPU
 * gets the IPI that ICR bits 31:0 describe, as if its destination had
 * matched; the result counts the vCPUs it was delivered to.  keel's VMs
 * have one vCPU, so at most one bit counts. */
static uint64_t hc_kvm_send_ipi(struct vcpu *v, uint64_t low, uint64_t high, uint64_t min,
                                uint64_t icr)
{
    unsigned bits = vcpu_mode(v) == VCPU_MODE_LONG_64 ? 64 : 32;
    uint64_t mask = bits == 64 ? UINT64_MAX : UINT32_MAX;
    uint64_t id = v->lapic.config.apic_id;
    if (id < (min & mask))
        return 0;
    uint64_t bit = id - (min & mask);
    uint64_t word = bit < bits ? low : bit < 2 * bits ? high : 0;
    if (!((word & mask) >> (bit % bits) & 1))
        return 0;
    if (!lapic_receive_ipi(&v->lapic, (uint32_t)icr))
        return 0;
    v->intr_check = true;
    return 1;
}

void hypercall_dispatch(struct vcpu *v)
{
    uint64_t nr = v->regs.gpr[GPR_RAX];
    uint64_t a1 = v->regs.gpr[GPR_RBX], a2 = v->regs.gpr[GPR_RCX];
    uint64_t ret;

    switch (nr) {
    case KEEL_HC_VERSION:
        ret = KEEL_HYPERCALL_ABI_VERSION;
        v->regs.gpr[GPR_RBX] = KEEL_HYPERCALL_SIGNATURE;
        break;
    case KEEL_HC_PRINT:
        ret = hc_print(v, a1, a2);
        break;
    case KEEL_HC_EXIT_COUNT:
        ret = a1 < NR_EXIT_REASONS ? v->stats.reason[a1].count : HC_ERROR;
        break;
    case KEEL_HC_EXIT_COST:
        ret = hc_exit_cost(v, a1, a2);
        break;
    case KEEL_HC_RESET_STATS:
        ret = hc_reset_stats(v);
        break;
    case KEEL_HC_KVM_SEND_IPI:
        ret = hc_kvm_send_ipi(v, a1, a2, v->regs.gpr[GPR_RDX], v->regs.gpr[GPR_RSI]);
        break;
    default:
        ret = HC_ERROR;
        break;
    }
    v->regs.gpr[GPR_RAX] = ret;
}
