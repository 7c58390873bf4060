/*
 * MMIO emulation.  The CPU reports only the guest-physical address of an
 * access that EPT (or the shadow tables) refused; which instruction did it,
 * and with which operands, comes from decoding the bytes at CS:RIP
 * (guest/insn_decode.c) and performing them (guest/insn_emulate.c), with the
 * memory side routed to the region's device or to guest RAM.
 *
 * Drivers reach their registers from few instructions, again and again, so
 * the fetch and decode go through a per-vCPU cache (guest/insn_cache.h):
 * on a hit the page walk and the decode are skipped, after the cache has
 * checked that the walk's entries and the instruction's bytes still hold.
 */
#include "guest/mmio.h"

#include "arch/x86/msr.h"
#include "arch/x86/traps.h"
#include "guest/fpu_regs.h"
#include "guest/insn_cache.h"
#include "guest/insn_decode.h"
#include "guest/insn_emulate.h"
#include "guest/vcpu.h"
#include "kernel/log.h"
#include "mm/pt_walk.h"

/* The control-register bits an instruction fetch's page walk depends on
 * (SDM vol. 3A 2.5; 4.1: paging mode; 4.6: SMEP). */
#define CR0_PG      (UINT64_C(1) << 31)
#define CR4_PSE     (UINT64_C(1) << 4)
#define CR4_PAE     (UINT64_C(1) << 5)
#define CR4_SMEP    (UINT64_C(1) << 20)
/* Accesses at CPL 3 are user-mode accesses (SDM vol. 3A 4.6). */
#define CPL_USER    3

/* Instruction bytes sit in 4 KiB pages at the least (SDM vol. 3A 4.1). */
#define FETCH_PAGE_SIZE 4096u

/*
 * insn_cache_key.paging: one bit for each input of the walk vcpu_walk()
 * does for a fetch, besides CR3 and the entries it reads: the table format
 * (CR4.PAE, CR4.PSE, EFER.LMA), whether the XD bit exists (EFER.NXE), SMEP,
 * and whether the fetch is a user-mode one.  CR0.WP, SMAP and RFLAGS.AC
 * govern data accesses only; the 1 GiB-page capability and MAXPHYADDR do
 * not change while a vCPU lives.  The CR4 and EFER bits keep their own
 * positions (no two share one: a mask and an OR on every MMIO exit, no
 * tests), a user-mode fetch is bit 31, and FETCH_WALK_PAGING (bit 0, none
 * of the others) makes the word nonzero whenever paging is on.
 */
#define FETCH_WALK_PAGING   (1u << 0)
#define FETCH_WALK_USER     (1u << 31)
#define FETCH_WALK_CR4      (CR4_PSE | CR4_PAE | CR4_SMEP)
#define FETCH_WALK_EFER     (EFER_LMA | EFER_NXE)
_Static_assert((FETCH_WALK_CR4 & FETCH_WALK_EFER) == 0 &&
               ((FETCH_WALK_CR4 | FETCH_WALK_EFER) &
                (FETCH_WALK_PAGING | FETCH_WALK_USER | ~UINT64_C(0xffffffff))) == 0,
               "the walk's controls have a bit each in insn_cache_key.paging");

/* Paging-structure entries are 8 bytes with PAE or 4-level paging, 4 with
 * 32-bit paging (SDM vol. 3A 4.3, 4.4, 4.5). */
#define ENTRY_SIZE_32BIT    4u
#define ENTRY_SIZE_PAE      8u

/* One cache per VM (a VM has one vCPU), until struct vcpu holds it. */
static struct insn_cache insn_caches[VM_MAX_VMS];

struct mmio_ctx {
    struct vcpu *v;
    const struct mmio_region *region;   /* the one the exit was for, or NULL */
};

/* gpa lies in region r. */
static bool in_region(const struct mmio_region *r, uint64_t gpa)
{
    return gpa >= r->gpa && gpa - r->gpa < r->size;
}

/* The accesses outside the exit's own region (only MOVS, CMPS, the stack
 * instructions and page-split operands reach there): whatever region holds
 * gpa, else guest RAM. */
static __attribute__((noinline)) int access_elsewhere(const struct mmio_ctx *c, uint64_t gpa,
                                                      unsigned size, bool write, uint64_t *val)
{
    const struct mmio_region *r = vm_find_mmio(c->v->vm, gpa);
    if (r)
        return r->handler(c->v->vm, r->dev, gpa - r->gpa, size, write, val);
    if (write)
        return vm_ram_write(c->v->vm, gpa, val, size) ? 0 : -1;
    return vm_ram_read(c->v->vm, gpa, val, size) ? 0 : -1;
}

/* The exit's own region is tried first: nearly every access is in it. */
static int mmio_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
    const struct mmio_ctx *c = ctx;
    const struct mmio_region *r = c->region;
    *val = 0;
    if (r && in_region(r, gpa))
        return r->handler(c->v->vm, r->dev, gpa - r->gpa, size, false, val);
    return access_elsewhere(c, gpa, size, false, val);
}

static int mmio_write(void *ctx, uint64_t gpa, unsigned size, uint64_t val)
{
    const struct mmio_ctx *c = ctx;
    const struct mmio_region *r = c->region;
    if (r && in_region(r, gpa))
        return r->handler(c->v->vm, r->dev, gpa - r->gpa, size, true, &val);
    return access_elsewhere(c, gpa, size, true, &val);
}

static uint64_t addr_size_mask(unsigned size)
{
    return size >= 8 ? ~UINT64_C(0) : (UINT64_C(1) << (size * 8)) - 1;
}

static int mmio_translate(void *ctx, uint64_t linear, bool write, uint64_t *gpa)
{
    struct vcpu *v = ((struct mmio_ctx *)ctx)->v;
    return vcpu_translate(v, linear, write, false, gpa) ? 0 : -1;
}

static uint64_t mmio_seg_base(void *ctx, enum x86_seg seg)
{
    return vcpu_seg_base(((struct mmio_ctx *)ctx)->v, seg);
}

static uint64_t mmio_get_rip(void *ctx)
{
    return vcpu_rip(((struct mmio_ctx *)ctx)->v);
}

static void mmio_set_rip(void *ctx, uint64_t rip)
{
    vcpu_set_rip(((struct mmio_ctx *)ctx)->v, rip);
}

static uint64_t mmio_get_cr(void *ctx, unsigned cr)
{
    struct vcpu *v = ((struct mmio_ctx *)ctx)->v;
    return cr == 4 ? vcpu_cr4(v) : vcpu_cr0(v);
}

static unsigned mmio_stack_addr_size(void *ctx)
{
    return vcpu_stack_addr_size(((struct mmio_ctx *)ctx)->v);
}

static void mmio_raise(void *ctx, uint8_t vector, bool has_error, uint32_t error)
{
    vcpu_inject_exception(((struct mmio_ctx *)ctx)->v, vector, has_error, error);
}

static int mmio_vec_access(void *ctx, enum vec_file file, unsigned reg, bool write,
                           uint8_t *bytes)
{
    int res = fpu_vec_access(file, reg, write, bytes);
    if (res == FPU_ACCESS_X87_PENDING)
        mmio_raise(ctx, EXC_MF, false, 0);
    return res;
}

static void mmio_get_gdtr(void *ctx, uint64_t *base, uint32_t *limit)
{
    vcpu_gdtr(((struct mmio_ctx *)ctx)->v, base, limit);
}

static unsigned mmio_get_cpl(void *ctx)
{
    return vcpu_cpl(((struct mmio_ctx *)ctx)->v);
}

static uint64_t mmio_get_efer(void *ctx)
{
    return vcpu_efer(((struct mmio_ctx *)ctx)->v);
}

static void mmio_set_tr(void *ctx, uint16_t selector, uint64_t base, uint32_t limit, uint32_t ar)
{
    vcpu_set_tr(((struct mmio_ctx *)ctx)->v, selector, base, limit, ar);
}

static void mmio_get_seg(void *ctx, enum x86_seg seg, struct x86_segment *s)
{
    vcpu_segment(((struct mmio_ctx *)ctx)->v, seg, s);
}

static void mmio_set_seg(void *ctx, enum x86_seg seg, const struct x86_segment *s)
{
    vcpu_set_segment(((struct mmio_ctx *)ctx)->v, seg, s);
}

static void mmio_get_ldtr(void *ctx, struct x86_segment *s)
{
    vcpu_ldtr(((struct mmio_ctx *)ctx)->v, s);
}

static const struct mmio_ops mmio_ops = {
    .read = mmio_read,
    .write = mmio_write,
    .translate = mmio_translate,
    .seg_base = mmio_seg_base,
    .get_rip = mmio_get_rip,
    .set_rip = mmio_set_rip,
    .get_cr = mmio_get_cr,
    .stack_addr_size = mmio_stack_addr_size,
    .raise = mmio_raise,
    .vec_access = mmio_vec_access,
    .get_gdtr = mmio_get_gdtr,
    .get_cpl = mmio_get_cpl,
    .get_efer = mmio_get_efer,
    .set_tr = mmio_set_tr,
    .get_seg = mmio_get_seg,
    .set_seg = mmio_set_seg,
    .get_ldtr = mmio_get_ldtr,
};

static enum cpu_mode decode_mode(enum vcpu_mode mode)
{
    switch (mode) {
    case VCPU_MODE_LONG_64:
        return CPU_MODE_64;
    case VCPU_MODE_PROTECTED_32:
    case VCPU_MODE_COMPAT_32:
        return CPU_MODE_32;
    default:
        return CPU_MODE_16;
    }
}

/* ---- Where the instruction is: the cache key ------------------------------ */

static uint32_t fetch_walk_controls(struct vcpu *v)
{
    return FETCH_WALK_PAGING | (uint32_t)(vcpu_cr4(v) & FETCH_WALK_CR4) |
           (uint32_t)(vcpu_efer(v) & FETCH_WALK_EFER) |
           (vcpu_cpl(v) == CPL_USER ? FETCH_WALK_USER : 0);
}

/* The linear address of CS:RIP (RIP cut to the code segment's size outside
 * 64-bit mode), the mode, and with paging on CR3 and the walk's controls. */
static void instruction_key(struct vcpu *v, struct insn_cache_key *key)
{
    struct vcpu_code_position pos;
    vcpu_code_position(v, &pos);

    uint64_t rip = pos.rip;
    key->mode = decode_mode(pos.mode);
    if (key->mode != CPU_MODE_64)
        rip &= addr_size_mask(key->mode == CPU_MODE_32 ? 4 : 2);
    key->rip_linear = pos.cs_base + rip;
    key->cr3 = 0;
    key->paging = 0;
    /* Real mode has CR0.PE = 0 and so no paging (CR0.PG needs PE). */
    if (pos.mode == VCPU_MODE_REAL || !(pos.cr0 & CR0_PG))
        return;
    key->cr3 = vcpu_cr3(v);
    key->paging = fetch_walk_controls(v);
}

/* ---- Fetch and decode, for a cache miss ------------------------------------- */

/* The instruction as fetched: its bytes, where the first one is and the
 * walk that said so (for the cache). */
struct fetched_insn {
    uint8_t bytes[INSN_MAX_LENGTH];
    size_t len;
    uint64_t gpa;
    struct insn_cache_walk walk;
    bool cacheable;             /* the walk was kept and the bytes are in one page */
};

/*
 * Translates the instruction's first byte for a fetch.  With paging on it
 * walks through vcpu_walk() to keep the entries for the cache; when that
 * walk does not succeed, vcpu_translate() does it again and raises the #PF
 * or stops the VM as for any other access (the entries then are not kept).
 */
static bool translate_first_byte(struct vcpu *v, const struct insn_cache_key *key,
                                 struct fetched_insn *f)
{
    f->walk.nr_entries = 0;
    f->walk.entry_size = 0;
    f->cacheable = true;
    if (!key->paging)
        return vcpu_translate(v, key->rip_linear, false, true, &f->gpa);

    struct pt_walk_result res;
    if (vcpu_walk(v, key->rip_linear, PT_ACCESS_FETCH, vcpu_cpl(v), &res) != PT_WALK_OK) {
        f->cacheable = false;
        return vcpu_translate(v, key->rip_linear, false, true, &f->gpa);
    }
    f->gpa = res.phys;
    f->walk.nr_entries = res.nr_entries;
    f->walk.entry_size = (key->paging & CR4_PAE) ? ENTRY_SIZE_PAE : ENTRY_SIZE_32BIT;
    for (unsigned i = 0; i < res.nr_entries && i < PT_MAX_LEVELS; i++) {
        f->walk.entry_addr[i] = res.entry_addr[i];
        f->walk.entry[i] = res.entry[i];
    }
    return true;
}

/* Appends the bytes from linear address gla up to the end of its page (at
 * most up to INSN_MAX_LENGTH in all), read at gpa.  False when they are not
 * RAM. */
static bool read_page_part(struct vcpu *v, uint64_t gla, uint64_t gpa, struct fetched_insn *f)
{
    size_t chunk = FETCH_PAGE_SIZE - (gla & (FETCH_PAGE_SIZE - 1));
    if (chunk > INSN_MAX_LENGTH - f->len)
        chunk = INSN_MAX_LENGTH - f->len;
    if (!vm_ram_read(v->vm, gpa, f->bytes + f->len, chunk))
        return false;
    f->len += chunk;
    return true;
}

/*
 * Fetches and decodes the instruction at key.  The bytes in the first page
 * come first; the next page is translated only when the instruction goes on
 * into it, as the CPU's own fetch would (so an instruction at the end of the
 * last mapped page is not refused for the unmapped page after it).  Returns
 * insn_decode()'s result, or INSN_ERR_TRUNCATED with *faulted set when a
 * translation failed (a #PF was injected or the VM stopped).
 */
static int fetch_and_decode(struct vcpu *v, const struct insn_cache_key *key,
                            struct fetched_insn *f, struct insn *in, bool *faulted)
{
    *faulted = false;
    f->len = 0;
    if (!translate_first_byte(v, key, f)) {
        *faulted = true;
        return INSN_ERR_TRUNCATED;
    }
    if (!read_page_part(v, key->rip_linear, f->gpa, f))
        return INSN_ERR_TRUNCATED;
    int err = insn_decode(f->bytes, f->len, key->mode, in);
    if (err != INSN_ERR_TRUNCATED || f->len == INSN_MAX_LENGTH)
        return err;

    /* It goes on into the next page: a translation of its own. */
    uint64_t next_gla = key->rip_linear + f->len, next_gpa;
    f->cacheable = false;
    if (!vcpu_translate(v, next_gla, false, true, &next_gpa)) {
        *faulted = true;
        return INSN_ERR_TRUNCATED;
    }
    if (!read_page_part(v, next_gla, next_gpa, f))
        return INSN_ERR_TRUNCATED;
    return insn_decode(f->bytes, f->len, key->mode, in);
}

static void report_undecodable(struct vcpu *v, const uint8_t *bytes, size_t len, int err)
{
    char hex[3 * INSN_MAX_LENGTH + 1];
    size_t pos = 0;
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len && i < INSN_MAX_LENGTH; i++) {
        hex[pos++] = digits[bytes[i] >> 4];
        hex[pos++] = digits[bytes[i] & 15];
        hex[pos++] = ' ';
    }
    hex[pos ? pos - 1 : 0] = '\0';
    vm_stop(v->vm, VM_STOP_UNHANDLED, 0, "cannot emulate the MMIO instruction at RIP %lx (%s): %s",
            vcpu_rip(v), err == INSN_ERR_TRUNCATED ? "truncated" : "unsupported", hex);
}

/*
 * What perform() needs to know of an instruction before it runs: which of
 * the registers that live in the VMCS under VT-x (RSP, RFLAGS) to fetch.
 * Worked out once per decode and kept in the cache entry's traits.
 */
enum mmio_insn_trait {
    MMIO_USES_RSP = 1u << 0,
    MMIO_USES_RFLAGS = 1u << 1,
};

static uint32_t insn_traits(const struct insn *in)
{
    return (insn_uses_rsp(in) ? MMIO_USES_RSP : 0) |
           (insn_uses_rflags(in) ? MMIO_USES_RFLAGS : 0);
}

/*
 * The slow path: fetch, decode, and remember the result in the cache.
 * Returns false when the instruction cannot be emulated; the guest then has
 * the #UD, #GP or #PF it would get, or the VM is stopped.  The instruction
 * is checked with insn_well_formed() here, once, so that every exit can
 * perform it (the cached one included) without the check.
 */
static __attribute__((noinline)) bool decode_at_rip(struct vcpu *v, struct insn_cache *cache,
                                                    const struct insn_cache_key *key,
                                                    struct insn *in, uint32_t *traits)
{
    struct fetched_insn f;
    bool faulted;
    int err = fetch_and_decode(v, key, &f, in, &faulted);
    if (faulted)
        return false;
    if (err == INSN_ERR_LOCK) {
        vcpu_inject_exception(v, EXC_UD, false, 0);
        return false;
    }
    if (err == INSN_ERR_TOO_LONG) {
        vcpu_inject_exception(v, EXC_GP, true, 0);
        return false;
    }
    if (err < 0) {
        report_undecodable(v, f.bytes, f.len, err);
        return false;
    }
    if (!insn_well_formed(in)) {
        /* A decoder bug, not the guest's fault. */
        vm_stop(v->vm, VM_STOP_UNHANDLED, 0,
                "the MMIO instruction at RIP %lx decoded to what the emulator refuses",
                vcpu_rip(v));
        return false;
    }
    *traits = insn_traits(in);
    if (f.cacheable)
        insn_cache_insert(cache, key, f.gpa, f.bytes, in, *traits,
                          key->paging ? &f.walk : NULL);
    return true;
}

/* ---- Performing it ------------------------------------------------------------ */

/* An instruction that faulted (its exception is queued, nothing changed)
 * or that could not be performed (the VM stops, saying why): RIP stays. */
static __attribute__((noinline)) bool not_performed(struct vcpu *v, uint64_t gpa, int res)
{
    if (res == INSN_EMU_ERR_UNSUPPORTED) {
        /* Decoded, but asking for what the emulator leaves out: a far
         * transfer through a gate or TSS, or to another privilege level. */
        vm_stop(v->vm, VM_STOP_UNHANDLED, 0,
                "cannot emulate the MMIO instruction at RIP %lx (a gate, a task switch or a "
                "privilege change)", vcpu_rip(v));
    } else if (res == INSN_EMU_ERR_ACCESS) {
        if (v->vm->state != VM_STATE_STOPPED && !v->pending_event.valid)
            vm_stop(v->vm, VM_STOP_BAD_ACCESS, 0,
                    "MMIO access at guest-physical %lx failed (RIP %lx)", gpa, vcpu_rip(v));
    }
    return false;
}

/*
 * Carries out in, a well-formed instruction with the given traits, against
 * region at gpa.  RSP and RFLAGS live in the VMCS under VT-x, so each is
 * fetched only when the instruction uses it (insn_emulate.h) and written
 * back only when it changed; RIP moves on when the instruction is complete
 * (a branch has set it already).
 */
static bool perform(struct vcpu *v, const struct mmio_region *region, uint64_t gpa,
                    const struct insn *in, uint32_t traits)
{
    struct mmio_ctx ctx = { v, region };
    bool uses_rsp = traits & MMIO_USES_RSP;
    uint64_t rflags = (traits & MMIO_USES_RFLAGS) ? vcpu_rflags(v) : 0;
    uint64_t rflags_before = rflags, rsp_before = 0;

    if (uses_rsp)
        rsp_before = v->regs.gpr[GPR_RSP] = vcpu_gpr(v, GPR_RSP);
    int res = insn_emulate_well_formed(in, &v->regs, &rflags, gpa, &mmio_ops, &ctx);
    if (res == INSN_EMU_FAULT || res < 0)
        return not_performed(v, gpa, res);
    if (uses_rsp && v->regs.gpr[GPR_RSP] != rsp_before)
        vcpu_set_gpr(v, GPR_RSP, v->regs.gpr[GPR_RSP]);
    if (rflags != rflags_before)
        vcpu_set_rflags(v, rflags);
    if (res == INSN_EMU_REPEAT)
        return false;           /* RIP stays: the next element exits again */
    if (res == INSN_EMU_BRANCH)
        return true;
    vcpu_set_rip(v, vcpu_rip(v) + in->length);
    if (res == INSN_EMU_DONE_MOV_SS)
        vcpu_block_by_mov_ss(v);
    return true;
}

bool mmio_emulate(struct vcpu *v, const struct mmio_region *region, uint64_t gpa)
{
    struct insn_cache *cache = &insn_caches[v->vm->index];
    struct insn_cache_key key;
    instruction_key(v, &key);

    const struct insn_cache_ram ram = { v->vm->ram, v->vm->ram_size };
    const struct insn_cache_entry *hit = insn_cache_lookup(cache, &key, &ram);
    const struct insn *in;
    struct insn decoded;
    uint32_t traits;
    if (hit) {
        in = &hit->insn;
        traits = hit->traits;
    } else {
        if (!decode_at_rip(v, cache, &key, &decoded, &traits))
            return false;
        in = &decoded;
    }
    return perform(v, region, gpa, in, traits);
}
