/*
 * Host tests for mm/pt_walk.c: hand-built tables in a fake physical memory,
 * for every format; translations of every page size, the access-rights rules
 * of SDM vol. 3A 5.6, reserved bits and the error codes of 5.7, A/D updates
 * (5.8), and EPT misconfigurations and violations (vol. 3C 29.3.3).
 */
#include "tests/unit/unit.h"

#include <stdbool.h>

#include "mm/pt_walk.c"

/* ---- A fake physical memory ------------------------------------------- */

#define MEM_SIZE 0x100000       /* every table lives below 1 MiB */

struct fake_mem {
    uint8_t *bytes;
    unsigned cmpxchgs;          /* calls of cmpxchg_entry */
    /* The next cmpxchg at race_addr finds race_value there instead of the
     * expected value, as if another CPU had just stored it.  race_forever:
     * every one does, with an ignored bit (11) flipped each time. */
    bool race_armed;
    bool race_forever;
    uint64_t race_addr, race_value;
    bool cmpxchg_fails;
};

static bool in_mem(uint64_t phys, unsigned size)
{
    return phys % size == 0 && phys < MEM_SIZE && size <= MEM_SIZE - phys;
}

static uint64_t load(const struct fake_mem *m, uint64_t phys, unsigned size)
{
    if (size == 4) {
        uint32_t v;
        memcpy(&v, m->bytes + phys, 4);
        return v;
    } else {
        uint64_t v;
        memcpy(&v, m->bytes + phys, 8);
        return v;
    }
}

static void store(struct fake_mem *m, uint64_t phys, uint64_t value, unsigned size)
{
    if (size == 4) {
        uint32_t v = (uint32_t)value;
        memcpy(m->bytes + phys, &v, 4);
    } else {
        memcpy(m->bytes + phys, &value, 8);
    }
}

static int fake_read(void *ctx, uint64_t phys, unsigned size, uint64_t *value)
{
    struct fake_mem *m = ctx;

    if (!in_mem(phys, size))
        return -1;
    *value = load(m, phys, size);
    return 0;
}

static int fake_cmpxchg(void *ctx, uint64_t phys, uint64_t old, uint64_t new_value,
                        unsigned size)
{
    struct fake_mem *m = ctx;

    m->cmpxchgs++;
    if (!in_mem(phys, size) || m->cmpxchg_fails)
        return -1;
    if (m->race_armed && phys == m->race_addr) {
        store(m, phys, m->race_value, size);
        m->race_armed = m->race_forever;
        m->race_value ^= UINT64_C(1) << 11;
    }
    if (load(m, phys, size) != old)
        return PT_MEM_CHANGED;
    store(m, phys, new_value, size);
    return 0;
}

static const struct pt_mem_ops mem_ops = { fake_read, fake_cmpxchg };
static const struct pt_mem_ops read_only_ops = { fake_read, NULL };

static struct fake_mem *mem_new(void)
{
    struct fake_mem *m = calloc(1, sizeof *m);
    m->bytes = calloc(1, MEM_SIZE);
    return m;
}

static void mem_free(struct fake_mem *m)
{
    free(m->bytes);
    free(m);
}

static void put64(struct fake_mem *m, uint64_t addr, uint64_t v)
{
    store(m, addr, v, 8);
}

static uint64_t get64(const struct fake_mem *m, uint64_t addr)
{
    return load(m, addr, 8);
}

static void put32(struct fake_mem *m, uint64_t addr, uint32_t v)
{
    store(m, addr, v, 4);
}

static uint64_t get32(const struct fake_mem *m, uint64_t addr)
{
    return load(m, addr, 4);
}

static void set_bits(struct fake_mem *m, uint64_t addr, uint64_t bits)
{
    put64(m, addr, get64(m, addr) | bits);
}

static void clear_bits(struct fake_mem *m, uint64_t addr, uint64_t bits)
{
    put64(m, addr, get64(m, addr) & ~bits);
}

/* ---- Accesses ----------------------------------------------------------- */

#define BIT(n) (UINT64_C(1) << (n))
#define P   PTE_PRESENT
#define W   PTE_WRITABLE
#define U   PTE_USER
#define PS  PTE_LARGE
#define A   PTE_ACCESSED
#define D   PTE_DIRTY
#define NX  PTE_NX

/* A 64-bit kernel's setup: CR0.WP, NXE, 1 GiB pages, MAXPHYADDR 46. */
static struct pt_access access_at(enum pt_access_type type, uint8_t cpl)
{
    struct pt_access a;

    memset(&a, 0, sizeof a);
    a.type = type;
    a.cpl = cpl;
    a.cr0_wp = true;
    a.efer_nxe = true;
    a.page_1g = true;
    a.maxphyaddr = 46;
    return a;
}

static struct pt_access sup(enum pt_access_type type)
{
    return access_at(type, 0);
}

static struct pt_access user(enum pt_access_type type)
{
    return access_at(type, 3);
}

static int walk(const struct pt_format *f, uint64_t root, uint64_t va, const struct pt_access *a,
                struct fake_mem *m, struct pt_walk_result *r)
{
    return pt_walk(f, root, va, a, &mem_ops, m, r);
}

/* ---- 4-level tables ------------------------------------------------------ */

#define PML4    0x1000
#define PDPT    0x2000
#define PD      0x3000
#define PT      0x4000
/* PML4 index 1, PDPT index 2, PD index 3, PT index 4, offset 0x567. */
#define VA      UINT64_C(0x0000008080604567)
#define PML4E   (PML4 + 1 * 8)
#define PDPTE   (PDPT + 2 * 8)
#define PDE     (PD + 3 * 8)
#define PTE     (PT + 4 * 8)
#define PAGE    UINT64_C(0x12345000)

/* VA -> PAGE through four tables, flags at every level. */
static void map_4k(struct fake_mem *m, uint64_t flags)
{
    put64(m, PML4E, PDPT | flags);
    put64(m, PDPTE, PD | flags);
    put64(m, PDE, PT | flags);
    put64(m, PTE, PAGE | flags);
}

#define CHECK_FAULT(rc, r, ec, lvl)                 \
    do {                                            \
        CHECK_EQ_I((rc), PT_WALK_FAULT);            \
        CHECK_EQ_U((r).error_code, (ec));           \
        CHECK_EQ_U((r).level, (lvl));               \
    } while (0)

TEST(four_level_4k_translation)
{
    struct fake_mem *m = mem_new();
    struct pt_access a = sup(PT_ACCESS_READ);
    struct pt_walk_result r;

    map_4k(m, P | W | U);
    CHECK_EQ_I(walk(&pt_format_4level, PML4, VA, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, PAGE | 0x567);
    CHECK_EQ_U(r.page_size, 4096);
    CHECK_EQ_U(r.level, 1);
    CHECK_EQ_U(r.error_code, 0);
    CHECK(r.readable && r.writable && r.user && r.executable);
    CHECK_EQ_U(r.nr_entries, 4);
    CHECK_EQ_U(r.entry_addr[0], PML4E);
    CHECK_EQ_U(r.entry_addr[1], PDPTE);
    CHECK_EQ_U(r.entry_addr[2], PDE);
    CHECK_EQ_U(r.entry_addr[3], PTE);
    CHECK_EQ_U(r.entry[0], PDPT | P | W | U);
    CHECK_EQ_U(r.entry[3], PAGE | P | W | U);

    /* Bits 63:48 of the address are not the walker's business; CR3's PCID
     * or PCD/PWT bits and bit 63 are not part of the table address. */
    CHECK_EQ_I(walk(&pt_format_4level, PML4 | 0x8000000000000fffull,
                    VA | 0xffff000000000000ull, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, PAGE | 0x567);

    /* A neighbouring page has no PTE. */
    CHECK_FAULT(walk(&pt_format_4level, PML4, VA + 4096, &a, m, &r), r, 0, 1);
    mem_free(m);
}

TEST(four_level_large_pages)
{
    struct fake_mem *m = mem_new();
    struct pt_access a = sup(PT_ACCESS_READ);
    struct pt_walk_result r;

    map_4k(m, P | W);
    put64(m, PDE, 0x40000000 | P | W | PS);
    CHECK_EQ_I(walk(&pt_format_4level, PML4, VA, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, 0x40000000 + 0x4567);
    CHECK_EQ_U(r.page_size, 2u << 20);
    CHECK_EQ_U(r.level, 2);
    CHECK_EQ_U(r.nr_entries, 3);

    /* Bit 12 of a large page is PAT, not an address bit. */
    put64(m, PDE, 0x40000000 | BIT(12) | P | W | PS);
    CHECK_EQ_I(walk(&pt_format_4level, PML4, VA, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, 0x40000000 + 0x4567);

    put64(m, PDPTE, 0x80000000 | BIT(12) | P | W | PS);
    CHECK_EQ_I(walk(&pt_format_4level, PML4, VA, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, 0x80000000 + 0x604567);
    CHECK_EQ_U(r.page_size, 1u << 30);
    CHECK_EQ_U(r.level, 3);
    CHECK_EQ_U(r.nr_entries, 2);

    /* A 1 GiB page on a CPU without them: PS is reserved. */
    a.page_1g = false;
    CHECK_FAULT(walk(&pt_format_4level, PML4, VA, &a, m, &r), r,
                PF_ERR_PRESENT | PF_ERR_RSVD, 3);
    mem_free(m);
}

TEST(four_level_not_present_at_each_level)
{
    static const uint64_t entry_at_level[] = { 0, PTE, PDE, PDPTE, PML4E };

    for (unsigned level = 1; level <= 4; level++) {
        struct fake_mem *m = mem_new();
        struct pt_access a = sup(PT_ACCESS_READ);
        struct pt_walk_result r;

        map_4k(m, P | W | U);
        clear_bits(m, entry_at_level[level], P);
        CHECK_FAULT(walk(&pt_format_4level, PML4, VA, &a, m, &r), r, 0, level);
        CHECK_EQ_U(r.nr_entries, 5 - level);
        CHECK(!r.readable && !r.writable && !r.user && !r.executable);
        CHECK_EQ_U(r.phys, 0);

        a = sup(PT_ACCESS_WRITE);
        CHECK_FAULT(walk(&pt_format_4level, PML4, VA, &a, m, &r), r, PF_ERR_WRITE, level);
        a = user(PT_ACCESS_READ);
        CHECK_FAULT(walk(&pt_format_4level, PML4, VA, &a, m, &r), r, PF_ERR_USER, level);
        a = user(PT_ACCESS_FETCH);
        CHECK_FAULT(walk(&pt_format_4level, PML4, VA, &a, m, &r), r,
                    PF_ERR_USER | PF_ERR_FETCH, level);
        /* Without NXE or SMEP the CPU does not say it was a fetch. */
        a.efer_nxe = false;
        CHECK_FAULT(walk(&pt_format_4level, PML4, VA, &a, m, &r), r, PF_ERR_USER, level);
        mem_free(m);
    }
}

/* A reserved bit in the entry at `addr` makes a VA read fault with RSVD at `level`. */
static void check_reserved(const struct pt_access *a, uint64_t addr, uint64_t bits,
                           unsigned level)
{
    struct fake_mem *m = mem_new();
    struct pt_walk_result r;

    map_4k(m, P | W | U);
    set_bits(m, addr, bits);
    CHECK_FAULT(walk(&pt_format_4level, PML4, VA, a, m, &r), r,
                PF_ERR_PRESENT | PF_ERR_RSVD, level);
    mem_free(m);
}

TEST(four_level_reserved_bits)
{
    struct pt_access a = sup(PT_ACCESS_READ);

    check_reserved(&a, PML4E, PS, 4);
    check_reserved(&a, PML4E, BIT(46), 4);          /* MAXPHYADDR is 46 */
    check_reserved(&a, PDPTE, BIT(51), 3);
    check_reserved(&a, PDE, BIT(50), 2);
    check_reserved(&a, PTE, BIT(46), 1);
    a.maxphyaddr = 36;
    check_reserved(&a, PTE, BIT(36), 1);
    check_reserved(&a, PDE, BIT(45), 2);
    a = sup(PT_ACCESS_READ);
    a.efer_nxe = false;
    check_reserved(&a, PTE, NX, 1);
    check_reserved(&a, PML4E, NX, 4);
}

TEST(four_level_large_page_reserved_bits)
{
    struct fake_mem *m = mem_new();
    struct pt_access a = sup(PT_ACCESS_READ);
    struct pt_walk_result r;

    map_4k(m, P | W);
    put64(m, PDE, 0x40000000 | BIT(13) | P | PS);
    CHECK_FAULT(walk(&pt_format_4level, PML4, VA, &a, m, &r), r, PF_ERR_PRESENT | PF_ERR_RSVD, 2);
    put64(m, PDE, 0x40000000 | BIT(20) | P | PS);
    CHECK_FAULT(walk(&pt_format_4level, PML4, VA, &a, m, &r), r, PF_ERR_PRESENT | PF_ERR_RSVD, 2);
    /* Without PS, bits 20:13 are address bits of the page table. */
    put64(m, PDE, PT | P);
    CHECK_EQ_I(walk(&pt_format_4level, PML4, VA, &a, m, &r), PT_WALK_OK);

    put64(m, PDPTE, 0x80000000 | BIT(13) | P | PS);
    CHECK_FAULT(walk(&pt_format_4level, PML4, VA, &a, m, &r), r, PF_ERR_PRESENT | PF_ERR_RSVD, 3);
    put64(m, PDPTE, 0x80000000 | BIT(29) | P | PS);
    CHECK_FAULT(walk(&pt_format_4level, PML4, VA, &a, m, &r), r, PF_ERR_PRESENT | PF_ERR_RSVD, 3);
    put64(m, PDPTE, 0xC0000000 | P | PS);
    CHECK_EQ_I(walk(&pt_format_4level, PML4, VA, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, 0xC0604567);
    mem_free(m);
}

TEST(four_level_ignored_and_address_bits)
{
    struct fake_mem *m = mem_new();
    struct pt_access a = sup(PT_ACCESS_READ);
    struct pt_walk_result r;

    /* Bits 62:52 are ignored (protection keys without CR4.PKE), so are 11:9. */
    map_4k(m, P | W);
    set_bits(m, PTE, BIT(52) | BIT(58) | BIT(62) | BIT(9) | BIT(11));
    set_bits(m, PDE, BIT(55) | BIT(10));
    CHECK_EQ_I(walk(&pt_format_4level, PML4, VA, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, PAGE | 0x567);

    /* Address bits up to MAXPHYADDR - 1 are used. */
    set_bits(m, PTE, BIT(45));
    CHECK_EQ_I(walk(&pt_format_4level, PML4, VA, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, BIT(45) | PAGE | 0x567);
    a.maxphyaddr = 52;
    set_bits(m, PTE, BIT(51));
    CHECK_EQ_I(walk(&pt_format_4level, PML4, VA, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, BIT(51) | BIT(45) | PAGE | 0x567);
    mem_free(m);
}

TEST(reserved_bits_rules_order)
{
    struct fake_mem *m = mem_new();
    struct pt_access a = sup(PT_ACCESS_READ);
    struct pt_walk_result r;

    /* In a not-present entry every other bit is free for software. */
    map_4k(m, P | W | U);
    put64(m, PTE, BIT(46) | BIT(51) | NX | PAGE);
    a.efer_nxe = false;
    CHECK_FAULT(walk(&pt_format_4level, PML4, VA, &a, m, &r), r, 0, 1);

    /* The walk stops at the first bad entry: a reserved bit in the PDE wins
     * over a PTE that is not present. */
    set_bits(m, PDE, BIT(47));
    CHECK_FAULT(walk(&pt_format_4level, PML4, VA, &a, m, &r), r, PF_ERR_PRESENT | PF_ERR_RSVD, 2);
    CHECK_EQ_U(r.nr_entries, 3);

    /* A reserved bit is reported even when the rights would refuse the
     * access too, and the error code still describes the access. */
    map_4k(m, P | W | U);
    clear_bits(m, PDE, U);
    set_bits(m, PTE, BIT(47));
    a = user(PT_ACCESS_WRITE);
    CHECK_FAULT(walk(&pt_format_4level, PML4, VA, &a, m, &r), r,
                PF_ERR_PRESENT | PF_ERR_RSVD | PF_ERR_WRITE | PF_ERR_USER, 1);
    a = user(PT_ACCESS_FETCH);
    CHECK_FAULT(walk(&pt_format_4level, PML4, VA, &a, m, &r), r,
                PF_ERR_PRESENT | PF_ERR_RSVD | PF_ERR_USER | PF_ERR_FETCH, 1);
    mem_free(m);
}

/* ---- Access rights (SDM 5.6.1) -------------------------------------------- */

struct rights_case {
    const char *name;
    uint64_t leaf;              /* U, W, NX of the PTE; the levels above allow all */
    enum pt_access_type type;
    uint8_t cpl;
    bool implicit, wp, smep, smap, ac, nxe;
    int rc;
    uint32_t ec;
};

#define RD PT_ACCESS_READ
#define WR PT_ACCESS_WRITE
#define FE PT_ACCESS_FETCH
#define EP PF_ERR_PRESENT
#define EW PF_ERR_WRITE
#define EU PF_ERR_USER
#define EI PF_ERR_FETCH
#define OK PT_WALK_OK, 0
#define PF(ec) PT_WALK_FAULT, (ec)

/* Each row worked out by hand from the SDM's rules. */
static const struct rights_case rights_cases[] = {
    /* name                                       leaf    type cpl impl wp smep smap ac nxe */
    { "supervisor reads supervisor page",          W,      RD, 0, 0, 1, 1, 1, 0, 1, OK },
    { "supervisor reads user page, no SMAP",       U | W,  RD, 0, 0, 1, 0, 0, 0, 1, OK },
    { "SMAP refuses read of user page",            U,      RD, 0, 0, 1, 0, 1, 0, 1, PF(EP) },
    { "SMAP allows explicit read with AC",         U,      RD, 0, 0, 1, 0, 1, 1, 1, OK },
    { "SMAP refuses implicit read despite AC",     U,      RD, 0, 1, 1, 0, 1, 1, 1, PF(EP) },
    { "implicit access at CPL 3 is supervisor",    U,      RD, 3, 1, 1, 0, 1, 1, 1, PF(EP) },
    { "implicit access at CPL 3, supervisor page", 0,      RD, 3, 1, 1, 0, 1, 0, 1, OK },
    { "implicit access at CPL 3, no SMAP",         U,      RD, 3, 1, 1, 0, 0, 0, 1, OK },
    { "supervisor writes read-only page, WP=0",    0,      WR, 0, 0, 0, 0, 0, 0, 1, OK },
    { "supervisor writes read-only page, WP=1",    0,      WR, 0, 0, 1, 0, 0, 0, 1, PF(EP | EW) },
    { "supervisor writes read-only user page WP=0", U,     WR, 0, 0, 0, 0, 0, 0, 1, OK },
    { "supervisor writes read-only user page WP=1", U,     WR, 0, 0, 1, 0, 0, 0, 1, PF(EP | EW) },
    { "SMAP refuses write to user page",           U | W,  WR, 0, 0, 1, 0, 1, 0, 1, PF(EP | EW) },
    { "SMAP refuses write to user page, WP=0",     U | W,  WR, 0, 0, 0, 0, 1, 0, 1, PF(EP | EW) },
    { "SMAP+AC allows write to writable user page", U | W, WR, 0, 0, 1, 0, 1, 1, 1, OK },
    { "SMAP+AC, WP=0: read-only user page",        U,      WR, 0, 0, 0, 0, 1, 1, 1, OK },
    { "SMAP+AC, WP=1: read-only user page",        U,      WR, 0, 0, 1, 0, 1, 1, 1, PF(EP | EW) },
    { "SMAP+AC refuses implicit write",            U | W,  WR, 0, 1, 1, 0, 1, 1, 1, PF(EP | EW) },
    { "user reads supervisor page",                W,      RD, 3, 0, 1, 0, 0, 0, 1, PF(EP | EU) },
    { "user reads read-only user page",            U,      RD, 3, 0, 1, 0, 0, 0, 1, OK },
    { "user writes read-only user page, WP=0",     U,      WR, 3, 0, 0, 0, 0, 0, 1, PF(EP | EW | EU) },
    { "user writes writable user page",            U | W,  WR, 3, 0, 1, 0, 0, 0, 1, OK },
    { "user writes writable supervisor page",      W,      WR, 3, 0, 1, 0, 0, 0, 1, PF(EP | EW | EU) },
    { "SMAP does not apply to user accesses",      U,      RD, 3, 0, 1, 0, 1, 0, 1, OK },
    { "supervisor fetches from XD page",           NX,     FE, 0, 0, 1, 0, 0, 0, 1, PF(EP | EI) },
    { "supervisor fetches from supervisor page",   0,      FE, 0, 0, 1, 1, 1, 0, 1, OK },
    { "supervisor fetches from user page, no SMEP", U,     FE, 0, 0, 1, 0, 0, 0, 1, OK },
    { "SMEP refuses fetch from user page",         U,      FE, 0, 0, 1, 1, 0, 0, 1, PF(EP | EI) },
    { "SMEP without NXE still reports I/D",        U,      FE, 0, 0, 1, 1, 0, 0, 0, PF(EP | EI) },
    { "SMAP does not apply to fetches",            U,      FE, 0, 0, 1, 0, 1, 0, 1, OK },
    { "user fetches from XD user page",            U | NX, FE, 3, 0, 1, 0, 0, 0, 1, PF(EP | EU | EI) },
    { "user fetches from supervisor page",         0,      FE, 3, 0, 1, 0, 0, 0, 1, PF(EP | EU | EI) },
    { "user fetch, no NXE nor SMEP: no I/D",       0,      FE, 3, 0, 1, 0, 0, 0, 0, PF(EP | EU) },
    { "SMEP does not apply to user fetches",       U,      FE, 3, 0, 1, 1, 0, 0, 1, OK },
    { "XD without NXE is a reserved bit",          NX,     RD, 0, 0, 1, 0, 0, 0, 0, PF(EP | PF_ERR_RSVD) },
    { "CPL 1 and 2 are supervisor too",            W,      WR, 2, 0, 1, 0, 0, 0, 1, OK },
};

TEST(access_rights_matrix)
{
    for (size_t i = 0; i < sizeof rights_cases / sizeof rights_cases[0]; i++) {
        const struct rights_case *c = &rights_cases[i];
        struct fake_mem *m = mem_new();
        struct pt_access a = access_at(c->type, c->cpl);
        struct pt_walk_result r;
        int rc;

        map_4k(m, P | W | U);
        put64(m, PTE, PAGE | P | c->leaf);
        a.implicit_supervisor = c->implicit;
        a.cr0_wp = c->wp;
        a.cr4_smep = c->smep;
        a.cr4_smap = c->smap;
        a.rflags_ac = c->ac;
        a.efer_nxe = c->nxe;
        rc = walk(&pt_format_4level, PML4, VA, &a, m, &r);
        if (rc != c->rc || r.error_code != c->ec)
            UNIT_FAIL("%s: rc %d error code 0x%x, want %d 0x%x", c->name, rc,
                      (unsigned)r.error_code, c->rc, (unsigned)c->ec);
        mem_free(m);
    }
}

TEST(rights_combine_across_levels)
{
    struct fake_mem *m = mem_new();
    struct pt_access a;
    struct pt_walk_result r;

    /* U/S clear in the PML4E alone makes a supervisor-mode address. */
    map_4k(m, P | W | U);
    clear_bits(m, PML4E, U);
    a = user(PT_ACCESS_READ);
    CHECK_FAULT(walk(&pt_format_4level, PML4, VA, &a, m, &r), r, PF_ERR_PRESENT | PF_ERR_USER, 1);
    CHECK(!r.user && r.writable && r.executable);
    a = sup(PT_ACCESS_FETCH);
    a.cr4_smep = true;
    CHECK_EQ_I(walk(&pt_format_4level, PML4, VA, &a, m, &r), PT_WALK_OK);

    /* R/W clear in the PDPTE alone makes the page read-only. */
    map_4k(m, P | W | U);
    clear_bits(m, PDPTE, W);
    a = user(PT_ACCESS_WRITE);
    CHECK_FAULT(walk(&pt_format_4level, PML4, VA, &a, m, &r), r,
                PF_ERR_PRESENT | PF_ERR_WRITE | PF_ERR_USER, 1);
    CHECK(r.user && !r.writable);
    a = sup(PT_ACCESS_WRITE);
    a.cr0_wp = false;
    CHECK_EQ_I(walk(&pt_format_4level, PML4, VA, &a, m, &r), PT_WALK_OK);
    CHECK(!r.writable);

    /* XD in the PDE alone forbids fetches from the whole 2 MiB. */
    map_4k(m, P | W | U);
    set_bits(m, PDE, NX);
    a = sup(PT_ACCESS_FETCH);
    CHECK_FAULT(walk(&pt_format_4level, PML4, VA, &a, m, &r), r,
                PF_ERR_PRESENT | PF_ERR_FETCH, 1);
    CHECK(!r.executable && r.writable && r.user);
    a = sup(PT_ACCESS_READ);
    CHECK_EQ_I(walk(&pt_format_4level, PML4, VA, &a, m, &r), PT_WALK_OK);
    a.efer_nxe = false;
    CHECK_FAULT(walk(&pt_format_4level, PML4, VA, &a, m, &r), r,
                PF_ERR_PRESENT | PF_ERR_RSVD, 2);
    mem_free(m);
}

/* ---- 32-bit paging ---------------------------------------------------------- */

#define PD32    0x5000
#define PT32    0x6000
/* PD index 5, PT index 6, offset 0x789. */
#define VA32    UINT64_C(0x01406789)
#define PDE32   (PD32 + 5 * 4)
#define PTE32   (PT32 + 6 * 4)

static void map32_4k(struct fake_mem *m, uint32_t flags)
{
    put32(m, PDE32, PT32 | flags);
    put32(m, PTE32, 0x00abc000 | flags);
    /* Neighbours with every bit set: a walker reading 8 bytes would see them. */
    put32(m, PDE32 + 4, 0xffffffff);
    put32(m, PTE32 + 4, 0xffffffff);
}

TEST(bit32_4k_translation)
{
    struct fake_mem *m = mem_new();
    struct pt_access a = sup(PT_ACCESS_READ);
    struct pt_walk_result r;

    map32_4k(m, P | W | U);
    CHECK_EQ_I(walk(&pt_format_32bit, PD32, VA32, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, 0x00abc789);
    CHECK_EQ_U(r.page_size, 4096);
    CHECK_EQ_U(r.nr_entries, 2);
    CHECK_EQ_U(r.entry_addr[0], PDE32);
    CHECK_EQ_U(r.entry_addr[1], PTE32);
    CHECK_EQ_U(r.entry[0], PT32 | P | W | U);
    CHECK_EQ_U(r.entry[1], 0x00abc000 | P | W | U);
    /* The same tables with CR4.PSE = 1. */
    CHECK_EQ_I(walk(&pt_format_32bit_pse, PD32, VA32, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, 0x00abc789);

    /* PTE bit 7 is PAT; there are no reserved bits without PSE. */
    put32(m, PTE32, 0xfffff000 | BIT(7) | P);
    CHECK_EQ_I(walk(&pt_format_32bit, PD32, VA32, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, 0xfffff789);
    mem_free(m);
}

TEST(bit32_ps_needs_cr4_pse)
{
    struct fake_mem *m = mem_new();
    struct pt_access a = sup(PT_ACCESS_READ);
    struct pt_walk_result r;

    map32_4k(m, P | W);
    put32(m, PDE32, PT32 | P | W | PS);
    /* CR4.PSE = 0: PS is ignored, bits 31:12 locate the page table. */
    CHECK_EQ_I(walk(&pt_format_32bit, PD32, VA32, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, 0x00abc789);
    CHECK_EQ_U(r.level, 1);
    /* CR4.PSE = 1: a 4 MiB page; PT32 = 0x6000 puts 0b11 in bits 14:13,
     * which PSE-36 reads as physical-address bits 33:32. */
    a.maxphyaddr = 36;
    CHECK_EQ_I(walk(&pt_format_32bit_pse, PD32, VA32, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, UINT64_C(0x300006789));
    CHECK_EQ_U(r.page_size, 4u << 20);
    CHECK_EQ_U(r.level, 2);
    mem_free(m);
}

TEST(bit32_4m_pages_and_pse36)
{
    struct fake_mem *m = mem_new();
    struct pt_access a = sup(PT_ACCESS_READ);
    struct pt_walk_result r;
    const uint32_t pde = 0x12c00000 | P | W | PS;

    a.maxphyaddr = 40;
    put32(m, PDE32, pde);
    CHECK_EQ_I(walk(&pt_format_32bit_pse, PD32, VA32, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, 0x12c06789);
    CHECK_EQ_U(r.nr_entries, 1);

    /* Bits 20:13 = 0x5a: physical-address bits 39:32. */
    put32(m, PDE32, pde | 0x5a << 13);
    CHECK_EQ_I(walk(&pt_format_32bit_pse, PD32, VA32, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, UINT64_C(0x5a12c06789));
    /* MAXPHYADDR 36: address bits 39:36 (PDE bits 20:17) are reserved. */
    a.maxphyaddr = 36;
    CHECK_FAULT(walk(&pt_format_32bit_pse, PD32, VA32, &a, m, &r), r, PF_ERR_PRESENT | PF_ERR_RSVD, 2);
    put32(m, PDE32, pde | 0x0a << 13);
    CHECK_EQ_I(walk(&pt_format_32bit_pse, PD32, VA32, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, UINT64_C(0xa12c06789));
    /* No PSE-36 (MAXPHYADDR 32 for 32-bit paging): bits 20:13 all reserved. */
    a.maxphyaddr = 32;
    put32(m, PDE32, pde | 0x01 << 13);
    CHECK_FAULT(walk(&pt_format_32bit_pse, PD32, VA32, &a, m, &r), r, PF_ERR_PRESENT | PF_ERR_RSVD, 2);
    /* PSE-36 stops at 40 bits whatever MAXPHYADDR says. */
    a.maxphyaddr = 46;
    put32(m, PDE32, pde | 0xff << 13);
    CHECK_EQ_I(walk(&pt_format_32bit_pse, PD32, VA32, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, UINT64_C(0xff12c06789));
    /* Bit 21 is always reserved. */
    put32(m, PDE32, pde | BIT(21));
    CHECK_FAULT(walk(&pt_format_32bit_pse, PD32, VA32, &a, m, &r), r, PF_ERR_PRESENT | PF_ERR_RSVD, 2);
    /* Bit 12 is PAT. */
    put32(m, PDE32, pde | BIT(12));
    CHECK_EQ_I(walk(&pt_format_32bit_pse, PD32, VA32, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, 0x12c06789);
    mem_free(m);
}

TEST(bit32_rights_and_no_xd)
{
    struct fake_mem *m = mem_new();
    struct pt_access a;
    struct pt_walk_result r;

    map32_4k(m, P | U);
    a = user(PT_ACCESS_WRITE);
    CHECK_FAULT(walk(&pt_format_32bit, PD32, VA32, &a, m, &r), r,
                PF_ERR_PRESENT | PF_ERR_WRITE | PF_ERR_USER, 1);
    /* 32-bit paging has no XD: every page is executable, NXE or not. */
    a = user(PT_ACCESS_FETCH);
    CHECK_EQ_I(walk(&pt_format_32bit, PD32, VA32, &a, m, &r), PT_WALK_OK);
    CHECK(r.executable);

    /* And I/D is only reported with SMEP (CR4.PAE = 0, SDM 5.7). */
    map32_4k(m, P);
    CHECK_FAULT(walk(&pt_format_32bit, PD32, VA32, &a, m, &r), r, PF_ERR_PRESENT | PF_ERR_USER, 1);
    a.cr4_smep = true;
    CHECK_FAULT(walk(&pt_format_32bit, PD32, VA32, &a, m, &r), r,
                PF_ERR_PRESENT | PF_ERR_USER | PF_ERR_FETCH, 1);
    mem_free(m);
}

TEST(bit32_accessed_dirty)
{
    struct fake_mem *m = mem_new();
    struct pt_access a = sup(PT_ACCESS_WRITE);
    struct pt_walk_result r;

    a.set_ad = true;
    map32_4k(m, P | W);
    CHECK_EQ_I(walk(&pt_format_32bit, PD32, VA32, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(get32(m, PDE32), PT32 | P | W | A);
    CHECK_EQ_U(get32(m, PTE32), 0x00abc000 | P | W | A | D);
    CHECK_EQ_U(get32(m, PDE32 + 4), 0xffffffff);
    CHECK_EQ_U(get32(m, PTE32 + 4), 0xffffffff);
    CHECK_EQ_U(get32(m, PDE32 - 4), 0);
    CHECK_EQ_U(get32(m, PTE32 - 4), 0);
    CHECK_EQ_U(r.entry[1], 0x00abc000 | P | W | A | D);

    /* A 4 MiB page is the entry that maps: it takes D. */
    put32(m, PDE32, 0x12c00000 | P | W | PS);
    CHECK_EQ_I(walk(&pt_format_32bit_pse, PD32, VA32, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(get32(m, PDE32), 0x12c00000 | P | W | PS | A | D);
    mem_free(m);
}

/* ---- PAE ------------------------------------------------------------------------- */

#define PDPT_PAE    0x7020          /* 32-byte aligned, not page-aligned */
#define PD_PAE      0x8000
#define PT_PAE      0x9000
/* PDPTE 2, PD index 3, PT index 4, offset 0x321. */
#define VA_PAE      UINT64_C(0x80604321)
#define PDPTE_PAE   (PDPT_PAE + 2 * 8)
#define PDE_PAE     (PD_PAE + 3 * 8)
#define PTE_PAE     (PT_PAE + 4 * 8)

static void map_pae(struct fake_mem *m)
{
    put64(m, PDPTE_PAE, PD_PAE | P);
    put64(m, PDE_PAE, PT_PAE | P | W | U);
    put64(m, PTE_PAE, UINT64_C(0x123456000) | P | W | U);
}

TEST(pae_translation)
{
    struct fake_mem *m = mem_new();
    struct pt_access a = sup(PT_ACCESS_READ);
    struct pt_walk_result r;

    a.maxphyaddr = 36;
    map_pae(m);
    /* CR3 bits 4:3 are PCD/PWT-like ignored bits below the PDPT address. */
    CHECK_EQ_I(walk(&pt_format_pae, PDPT_PAE | 0x18, VA_PAE, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, UINT64_C(0x123456321));
    CHECK_EQ_U(r.nr_entries, 3);
    CHECK_EQ_U(r.entry_addr[0], PDPTE_PAE);
    CHECK_EQ_U(r.entry_addr[1], PDE_PAE);
    CHECK_EQ_U(r.entry_addr[2], PTE_PAE);
    /* PDPTEs grant no rights of their own. */
    CHECK(r.writable && r.user);

    put64(m, PDE_PAE, UINT64_C(0x400200000) | P | W | PS);
    CHECK_EQ_I(walk(&pt_format_pae, PDPT_PAE, VA_PAE, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, UINT64_C(0x400204321));
    CHECK_EQ_U(r.page_size, 2u << 20);
    put64(m, PDE_PAE, UINT64_C(0x400200000) | BIT(13) | P | W | PS);
    CHECK_FAULT(walk(&pt_format_pae, PDPT_PAE, VA_PAE, &a, m, &r), r, PF_ERR_PRESENT | PF_ERR_RSVD, 2);

    /* PAE reserves 62:MAXPHYADDR where 4-level paging ignores 62:52. */
    map_pae(m);
    set_bits(m, PTE_PAE, BIT(62));
    CHECK_FAULT(walk(&pt_format_pae, PDPT_PAE, VA_PAE, &a, m, &r), r, PF_ERR_PRESENT | PF_ERR_RSVD, 1);
    map_pae(m);
    set_bits(m, PDE_PAE, BIT(36));
    CHECK_FAULT(walk(&pt_format_pae, PDPT_PAE, VA_PAE, &a, m, &r), r, PF_ERR_PRESENT | PF_ERR_RSVD, 2);

    /* XD with NXE: refused fetches report I/D. */
    map_pae(m);
    set_bits(m, PTE_PAE, NX);
    a = sup(PT_ACCESS_FETCH);
    CHECK_FAULT(walk(&pt_format_pae, PDPT_PAE, VA_PAE, &a, m, &r), r, PF_ERR_PRESENT | PF_ERR_FETCH, 1);
    mem_free(m);
}

TEST(pae_pdptes)
{
    struct fake_mem *m = mem_new();
    struct pt_access a = sup(PT_ACCESS_READ);
    struct pt_walk_result r;
    static const uint64_t bad_bits[] = { BIT(1), BIT(2), BIT(5), BIT(6), BIT(7), BIT(8),
                                         BIT(36), BIT(52), BIT(63) };

    a.maxphyaddr = 36;
    map_pae(m);
    put64(m, PDPTE_PAE, 0);
    CHECK_FAULT(walk(&pt_format_pae, PDPT_PAE, VA_PAE, &a, m, &r), r, 0, 3);
    CHECK_EQ_U(r.nr_entries, 1);

    /* PWT, PCD and the ignored bits 11:9 are fine. */
    put64(m, PDPTE_PAE, PD_PAE | P | BIT(3) | BIT(4) | BIT(9) | BIT(11));
    CHECK_EQ_I(walk(&pt_format_pae, PDPT_PAE, VA_PAE, &a, m, &r), PT_WALK_OK);

    /* A CPU refuses these at MOV to CR3, so they are not a #PF. */
    for (size_t i = 0; i < sizeof bad_bits / sizeof bad_bits[0]; i++) {
        put64(m, PDPTE_PAE, PD_PAE | P | bad_bits[i]);
        CHECK_EQ_I(walk(&pt_format_pae, PDPT_PAE, VA_PAE, &a, m, &r), PT_WALK_BAD_PDPTE);
    }

    /* The PDPTE registers, not the memory at CR3, when given. */
    put64(m, PDPTE_PAE, 0);
    {
        const uint64_t regs[4] = { 0, 0, PD_PAE | P, 0 };
        a.pdptes = regs;
        CHECK_EQ_I(walk(&pt_format_pae, PDPT_PAE, VA_PAE, &a, m, &r), PT_WALK_OK);
        CHECK_EQ_U(r.phys, UINT64_C(0x123456321));
        CHECK_EQ_U(r.entry[0], PD_PAE | P);
        CHECK_EQ_U(r.entry_addr[0], PDPTE_PAE);
    }
    {
        const uint64_t regs[4] = { PD_PAE | P, PD_PAE | P, 0, PD_PAE | P };
        put64(m, PDPTE_PAE, PD_PAE | P);
        a.pdptes = regs;
        CHECK_FAULT(walk(&pt_format_pae, PDPT_PAE, VA_PAE, &a, m, &r), r, 0, 3);
    }
    mem_free(m);
}

TEST(pae_accessed_dirty_skips_pdpte)
{
    struct fake_mem *m = mem_new();
    struct pt_access a = sup(PT_ACCESS_WRITE);
    struct pt_walk_result r;

    a.maxphyaddr = 36;
    a.set_ad = true;
    map_pae(m);
    CHECK_EQ_I(walk(&pt_format_pae, PDPT_PAE, VA_PAE, &a, m, &r), PT_WALK_OK);
    /* Bit 5 of a PDPTE is reserved: setting "accessed" there would break it. */
    CHECK_EQ_U(get64(m, PDPTE_PAE), PD_PAE | P);
    CHECK_EQ_U(get64(m, PDE_PAE), PT_PAE | P | W | U | A);
    CHECK_EQ_U(get64(m, PTE_PAE), UINT64_C(0x123456000) | P | W | U | A | D);
    CHECK_EQ_I(walk(&pt_format_pae, PDPT_PAE, VA_PAE, &a, m, &r), PT_WALK_OK);
    mem_free(m);
}

/* ---- Accessed and dirty flags, 4-level (SDM 5.8) ------------------------------- */

TEST(accessed_dirty_read_and_write)
{
    struct fake_mem *m = mem_new();
    struct pt_access a = sup(PT_ACCESS_READ);
    struct pt_walk_result r;

    a.set_ad = true;
    map_4k(m, P | W);
    CHECK_EQ_I(walk(&pt_format_4level, PML4, VA, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(get64(m, PML4E), PDPT | P | W | A);
    CHECK_EQ_U(get64(m, PDPTE), PD | P | W | A);
    CHECK_EQ_U(get64(m, PDE), PT | P | W | A);
    CHECK_EQ_U(get64(m, PTE), PAGE | P | W | A);
    CHECK_EQ_U(r.entry[3], PAGE | P | W | A);
    CHECK_EQ_U(m->cmpxchgs, 4);

    /* Nothing left to set for another read. */
    CHECK_EQ_I(walk(&pt_format_4level, PML4, VA, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(m->cmpxchgs, 4);

    /* A write sets D in the PTE alone. */
    a.type = PT_ACCESS_WRITE;
    CHECK_EQ_I(walk(&pt_format_4level, PML4, VA, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(m->cmpxchgs, 5);
    CHECK_EQ_U(get64(m, PDE), PT | P | W | A);
    CHECK_EQ_U(get64(m, PTE), PAGE | P | W | A | D);

    /* Without set_ad the tables are only read. */
    map_4k(m, P | W);
    a.set_ad = false;
    CHECK_EQ_I(walk(&pt_format_4level, PML4, VA, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(get64(m, PTE), PAGE | P | W);
    CHECK_EQ_U(m->cmpxchgs, 5);
    mem_free(m);
}

TEST(accessed_dirty_large_page)
{
    struct fake_mem *m = mem_new();
    struct pt_access a = sup(PT_ACCESS_WRITE);
    struct pt_walk_result r;

    a.set_ad = true;
    map_4k(m, P | W);
    put64(m, PDE, 0x40000000 | P | W | PS);
    CHECK_EQ_I(walk(&pt_format_4level, PML4, VA, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(get64(m, PDPTE), PD | P | W | A);
    CHECK_EQ_U(get64(m, PDE), 0x40000000 | P | W | PS | A | D);
    /* The PT below is not part of this translation. */
    CHECK_EQ_U(get64(m, PTE), PAGE | P | W);
    mem_free(m);
}

TEST(accessed_dirty_untouched_on_fault)
{
    struct fake_mem *m = mem_new();
    struct pt_access a = user(PT_ACCESS_WRITE);
    struct pt_walk_result r;

    a.set_ad = true;
    map_4k(m, P | U);           /* read-only */
    CHECK_FAULT(walk(&pt_format_4level, PML4, VA, &a, m, &r), r,
                PF_ERR_PRESENT | PF_ERR_WRITE | PF_ERR_USER, 1);
    CHECK_EQ_U(m->cmpxchgs, 0);
    CHECK_EQ_U(get64(m, PML4E), PDPT | P | U);
    CHECK_EQ_U(get64(m, PTE), PAGE | P | U);

    clear_bits(m, PTE, P);
    a.type = PT_ACCESS_READ;
    CHECK_FAULT(walk(&pt_format_4level, PML4, VA, &a, m, &r), r, PF_ERR_USER, 1);
    CHECK_EQ_U(m->cmpxchgs, 0);
    CHECK_EQ_U(get64(m, PML4E), PDPT | P | U);
    mem_free(m);
}

TEST(accessed_dirty_race_restarts_walk)
{
    struct fake_mem *m = mem_new();
    struct pt_access a = sup(PT_ACCESS_WRITE);
    struct pt_walk_result r;

    a.set_ad = true;
    map_4k(m, P | W);
    /* While the walker sets A/D, another CPU makes the page read-only: the
     * walk starts over, sees it, and a write with WP=1 faults. */
    m->race_armed = true;
    m->race_addr = PTE;
    m->race_value = PAGE | P;
    CHECK_FAULT(walk(&pt_format_4level, PML4, VA, &a, m, &r), r, PF_ERR_PRESENT | PF_ERR_WRITE, 1);
    CHECK_EQ_U(get64(m, PTE), PAGE | P);
    CHECK_EQ_U(get64(m, PDE), PT | P | W | A);

    /* The other CPU only set A meanwhile: the retry succeeds with D added. */
    map_4k(m, P | W);
    m->race_armed = true;
    m->race_value = PAGE | P | W | A;
    CHECK_EQ_I(walk(&pt_format_4level, PML4, VA, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(get64(m, PTE), PAGE | P | W | A | D);

    /* An entry that never holds still: give up. */
    map_4k(m, P | W);
    m->race_armed = true;
    m->race_forever = true;
    m->race_value = PAGE | P | W | BIT(11);
    m->cmpxchgs = 0;
    CHECK_EQ_I(walk(&pt_format_4level, PML4, VA, &a, m, &r), PT_WALK_RETRY);
    CHECK_EQ_U(m->cmpxchgs, MAX_WALK_ATTEMPTS + 3);   /* the upper three once */
    mem_free(m);
}

/* ---- Tables outside memory, bad arguments ---------------------------------------- */

TEST(table_outside_memory)
{
    struct fake_mem *m = mem_new();
    struct pt_access a = sup(PT_ACCESS_READ);
    struct pt_walk_result r;

    map_4k(m, P | W);
    put64(m, PDE, 0x70000000 | P | W);
    CHECK_EQ_I(walk(&pt_format_4level, PML4, VA, &a, m, &r), PT_WALK_BAD_TABLE);
    CHECK_EQ_U(r.level, 1);
    CHECK_EQ_U(r.bad_entry_addr, 0x70000000 + 4 * 8);
    CHECK_EQ_U(r.nr_entries, 3);

    CHECK_EQ_I(walk(&pt_format_4level, 0x70000000, VA, &a, m, &r), PT_WALK_BAD_TABLE);
    CHECK_EQ_U(r.level, 4);
    CHECK_EQ_U(r.bad_entry_addr, 0x70000000 + 1 * 8);
    CHECK_EQ_U(r.nr_entries, 0);

    /* The A/D store failing is reported the same way. */
    map_4k(m, P | W);
    a.set_ad = true;
    m->cmpxchg_fails = true;
    CHECK_EQ_I(walk(&pt_format_4level, PML4, VA, &a, m, &r), PT_WALK_BAD_TABLE);
    CHECK_EQ_U(r.level, 4);
    CHECK_EQ_U(r.bad_entry_addr, PML4E);
    mem_free(m);
}

TEST(bad_arguments)
{
    struct fake_mem *m = mem_new();
    struct pt_access a = sup(PT_ACCESS_READ);
    struct pt_walk_result r;

    map_4k(m, P | W);
    a.maxphyaddr = 31;
    CHECK_EQ_I(walk(&pt_format_4level, PML4, VA, &a, m, &r), PT_WALK_BAD_ARGS);
    a.maxphyaddr = 53;
    CHECK_EQ_I(walk(&pt_format_4level, PML4, VA, &a, m, &r), PT_WALK_BAD_ARGS);
    a.maxphyaddr = 52;
    CHECK_EQ_I(walk(&pt_format_4level, PML4, VA, &a, m, &r), PT_WALK_OK);
    a.set_ad = true;
    CHECK_EQ_I(pt_walk(&pt_format_4level, PML4, VA, &a, &read_only_ops, m, &r),
               PT_WALK_BAD_ARGS);
    a.set_ad = false;
    CHECK_EQ_I(pt_walk(&pt_format_4level, PML4, VA, &a, &read_only_ops, m, &r), PT_WALK_OK);
    mem_free(m);
}

TEST(format_for_paging_mode)
{
    CHECK(pt_format_for_paging_mode(false, false, false) == &pt_format_32bit);
    CHECK(pt_format_for_paging_mode(false, true, false) == &pt_format_32bit_pse);
    CHECK(pt_format_for_paging_mode(true, false, false) == &pt_format_pae);
    CHECK(pt_format_for_paging_mode(true, true, false) == &pt_format_pae);
    CHECK(pt_format_for_paging_mode(true, false, true) == &pt_format_4level);
    CHECK_EQ_U(pt_format_32bit.entry_size, 4);
    CHECK_EQ_U(pt_format_ept.levels, 4);
}

/* ---- EPT (SDM vol. 3C 29.3) ---------------------------------------------------- */

#define EPML4   0xA000
#define EPDPT   0xB000
#define EPD     0xC000
#define EPT     0xD000
/* PML4 index 0, PDPT index 1, PD index 2, PT index 3, offset 0x456. */
#define GPA     UINT64_C(0x40403456)
#define EPML4E  (EPML4 + 0 * 8)
#define EPDPTE  (EPDPT + 1 * 8)
#define EPDE    (EPD + 2 * 8)
#define EPTE    (EPT + 3 * 8)
#define HPA     UINT64_C(0x76543000)
#define WB      ((uint64_t)MEMORY_TYPE_WB << EPT_MEMORY_TYPE_SHIFT)
#define MT(t)   ((uint64_t)(t) << EPT_MEMORY_TYPE_SHIFT)

static void map_ept(struct fake_mem *m, uint64_t leaf_perms)
{
    put64(m, EPML4E, EPDPT | EPT_RWX);
    put64(m, EPDPTE, EPD | EPT_RWX);
    put64(m, EPDE, EPT | EPT_RWX);
    put64(m, EPTE, HPA | leaf_perms | WB);
}

#define MISCONFIG (PF_ERR_PRESENT | PF_ERR_RSVD)

TEST(ept_translation)
{
    struct fake_mem *m = mem_new();
    struct pt_access a = sup(PT_ACCESS_READ);
    struct pt_walk_result r;

    map_ept(m, EPT_RWX);
    /* The EPTP's low bits (WB, walk length 4, A/D) are not the address. */
    CHECK_EQ_I(walk(&pt_format_ept, EPML4 | 0x5e, GPA, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, HPA | 0x456);
    CHECK_EQ_U(r.page_size, 4096);
    CHECK(r.readable && r.writable && r.executable && !r.user);
    CHECK_EQ_U(r.nr_entries, 4);
    CHECK_EQ_U(r.entry_addr[2], EPDE);
    CHECK_EQ_U((r.entry[3] & EPT_MEMORY_TYPE_MASK) >> EPT_MEMORY_TYPE_SHIFT, MEMORY_TYPE_WB);

    /* PTE bit 7 is ignored; IPAT is fine. */
    set_bits(m, EPTE, EPT_LARGE | EPT_IGNORE_PAT);
    CHECK_EQ_I(walk(&pt_format_ept, EPML4, GPA, &a, m, &r), PT_WALK_OK);

    put64(m, EPDE, 0x80000000 | EPT_RWX | WB | EPT_LARGE);
    CHECK_EQ_I(walk(&pt_format_ept, EPML4, GPA, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, 0x80003456);
    CHECK_EQ_U(r.page_size, 2u << 20);

    put64(m, EPDPTE, 0xC0000000 | EPT_RWX | WB | EPT_LARGE);
    CHECK_EQ_I(walk(&pt_format_ept, EPML4, GPA, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, 0xC0403456);
    CHECK_EQ_U(r.page_size, 1u << 30);
    a.page_1g = false;
    CHECK_FAULT(walk(&pt_format_ept, EPML4, GPA, &a, m, &r), r, MISCONFIG, 3);
    mem_free(m);
}

TEST(ept_violations)
{
    struct fake_mem *m = mem_new();
    struct pt_access a;
    struct pt_walk_result r;

    map_ept(m, EPT_READ);
    a = sup(PT_ACCESS_READ);
    CHECK_EQ_I(walk(&pt_format_ept, EPML4, GPA, &a, m, &r), PT_WALK_OK);
    a = sup(PT_ACCESS_WRITE);
    CHECK_FAULT(walk(&pt_format_ept, EPML4, GPA, &a, m, &r), r, PF_ERR_PRESENT | PF_ERR_WRITE, 1);
    CHECK(r.readable && !r.writable && !r.executable);
    /* EPT knows no user mode, and always says a fetch was one. */
    a = user(PT_ACCESS_FETCH);
    a.efer_nxe = false;
    CHECK_FAULT(walk(&pt_format_ept, EPML4, GPA, &a, m, &r), r, PF_ERR_PRESENT | PF_ERR_FETCH, 1);

    /* Rights are the AND of all levels: no W in the PDPTE. */
    map_ept(m, EPT_RWX);
    clear_bits(m, EPDPTE, EPT_WRITE);
    a = sup(PT_ACCESS_WRITE);
    CHECK_FAULT(walk(&pt_format_ept, EPML4, GPA, &a, m, &r), r, PF_ERR_PRESENT | PF_ERR_WRITE, 1);
    CHECK(r.readable && !r.writable && r.executable);

    /* Not present: no rights at all. */
    put64(m, EPDPTE, 0);
    a = sup(PT_ACCESS_READ);
    CHECK_FAULT(walk(&pt_format_ept, EPML4, GPA, &a, m, &r), r, 0, 3);
    CHECK(!r.readable && !r.writable && !r.executable);
    mem_free(m);
}

TEST(ept_misconfigurations)
{
    struct fake_mem *m = mem_new();
    struct pt_access a = sup(PT_ACCESS_FETCH);
    struct pt_walk_result r;

    /* Write-only and write/execute are never valid, at any level. */
    map_ept(m, EPT_WRITE);
    CHECK_FAULT(walk(&pt_format_ept, EPML4, GPA, &a, m, &r), r, MISCONFIG | PF_ERR_FETCH, 1);
    map_ept(m, EPT_WRITE | EPT_EXECUTE);
    CHECK_FAULT(walk(&pt_format_ept, EPML4, GPA, &a, m, &r), r, MISCONFIG | PF_ERR_FETCH, 1);
    map_ept(m, EPT_RWX);
    put64(m, EPDE, EPT | EPT_WRITE);
    CHECK_FAULT(walk(&pt_format_ept, EPML4, GPA, &a, m, &r), r, MISCONFIG | PF_ERR_FETCH, 2);

    /* Execute-only needs IA32_VMX_EPT_VPID_CAP[0]. */
    map_ept(m, EPT_EXECUTE);
    CHECK_FAULT(walk(&pt_format_ept, EPML4, GPA, &a, m, &r), r, MISCONFIG | PF_ERR_FETCH, 1);
    a.ept_execute_only = true;
    CHECK_EQ_I(walk(&pt_format_ept, EPML4, GPA, &a, m, &r), PT_WALK_OK);
    a.type = PT_ACCESS_READ;
    CHECK_FAULT(walk(&pt_format_ept, EPML4, GPA, &a, m, &r), r, PF_ERR_PRESENT, 1);

    /* Leaf memory types 2, 3 and 7 do not exist. */
    a = sup(PT_ACCESS_READ);
    for (unsigned t = 0; t < 8; t++) {
        bool valid = t != 2 && t != 3 && t != 7;
        map_ept(m, EPT_RWX);
        put64(m, EPTE, HPA | EPT_RWX | MT(t));
        if (valid)
            CHECK_EQ_I(walk(&pt_format_ept, EPML4, GPA, &a, m, &r), PT_WALK_OK);
        else
            CHECK_FAULT(walk(&pt_format_ept, EPML4, GPA, &a, m, &r), r, MISCONFIG, 1);
        put64(m, EPTE, 0);
        put64(m, EPDE, 0x80000000 | EPT_RWX | MT(t) | EPT_LARGE);
        if (valid)
            CHECK_EQ_I(walk(&pt_format_ept, EPML4, GPA, &a, m, &r), PT_WALK_OK);
        else
            CHECK_FAULT(walk(&pt_format_ept, EPML4, GPA, &a, m, &r), r, MISCONFIG, 2);
    }

    /* Bits 7:3 of an entry referencing a table are reserved. */
    map_ept(m, EPT_RWX);
    set_bits(m, EPDE, MT(MEMORY_TYPE_WB));
    CHECK_FAULT(walk(&pt_format_ept, EPML4, GPA, &a, m, &r), r, MISCONFIG, 2);
    map_ept(m, EPT_RWX);
    set_bits(m, EPML4E, EPT_LARGE);
    CHECK_FAULT(walk(&pt_format_ept, EPML4, GPA, &a, m, &r), r, MISCONFIG, 4);

    /* Large pages reserve the bits below their address, bit 12 included. */
    map_ept(m, EPT_RWX);
    put64(m, EPDE, 0x80000000 | BIT(12) | EPT_RWX | WB | EPT_LARGE);
    CHECK_FAULT(walk(&pt_format_ept, EPML4, GPA, &a, m, &r), r, MISCONFIG, 2);
    put64(m, EPDPTE, 0xC0000000 | BIT(29) | EPT_RWX | WB | EPT_LARGE);
    CHECK_FAULT(walk(&pt_format_ept, EPML4, GPA, &a, m, &r), r, MISCONFIG, 3);

    /* Address bits from MAXPHYADDR up. */
    map_ept(m, EPT_RWX);
    a.maxphyaddr = 39;
    set_bits(m, EPTE, BIT(40));
    CHECK_FAULT(walk(&pt_format_ept, EPML4, GPA, &a, m, &r), r, MISCONFIG, 1);
    mem_free(m);
}

TEST(ept_accessed_dirty)
{
    struct fake_mem *m = mem_new();
    struct pt_access a = sup(PT_ACCESS_WRITE);
    struct pt_walk_result r;

    a.set_ad = true;
    map_ept(m, EPT_RWX);
    CHECK_EQ_I(walk(&pt_format_ept, EPML4, GPA, &a, m, &r), PT_WALK_OK);
    CHECK_EQ_U(get64(m, EPML4E), EPDPT | EPT_RWX | EPT_ACCESSED);
    CHECK_EQ_U(get64(m, EPDPTE), EPD | EPT_RWX | EPT_ACCESSED);
    CHECK_EQ_U(get64(m, EPDE), EPT | EPT_RWX | EPT_ACCESSED);
    CHECK_EQ_U(get64(m, EPTE), HPA | EPT_RWX | WB | EPT_ACCESSED | EPT_DIRTY);
    mem_free(m);
}
