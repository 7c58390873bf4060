/*
 * Host tests for vmx/ept.c.  Tables come from a fake pool of page frames;
 * every check of what the tables mean is a walk with mm/pt_walk.c's EPT
 * format, the way the CPU would read them.
 */
#include "tests/unit/unit.h"

#include <stdbool.h>

#include "guest/gpa_map.c"
#include "mm/mtrr.c"
#include "mm/pt_walk.c"
#include "vmx/ept.c"

#define KIB(x) ((uint64_t)(x) << 10)
#define MIB(x) ((uint64_t)(x) << 20)
#define GIB(x) ((uint64_t)(x) << 30)
#define PAGE_4K KIB(4)

/* ---- A pool of table pages ----------------------------------------------- */

#define POOL_PAGES  256
#define POOL_PHYS   UINT64_C(0x7f000000)    /* "host-physical" address of page 0 */

struct pool {
    uint8_t *pages;
    bool used[POOL_PAGES];
    unsigned allocs, frees, live;
    int allocs_left;            /* < 0: unlimited */
    unsigned misuses;           /* frees or lookups of pages not handed out */
};

static bool pool_index(const struct pool *p, uint64_t phys, unsigned *index)
{
    if (phys < POOL_PHYS || phys >= POOL_PHYS + POOL_PAGES * PAGE_4K || phys % PAGE_4K)
        return false;
    *index = (unsigned)((phys - POOL_PHYS) / PAGE_4K);
    return p->used[*index];
}

static bool pool_alloc(void *ctx, void **virt, uint64_t *phys)
{
    struct pool *p = ctx;

    if (p->allocs_left == 0)
        return false;
    for (unsigned i = 0; i < POOL_PAGES; i++) {
        if (p->used[i])
            continue;
        p->used[i] = true;
        memset(p->pages + i * PAGE_4K, 0, PAGE_4K);
        *virt = p->pages + i * PAGE_4K;
        *phys = POOL_PHYS + i * PAGE_4K;
        p->allocs++;
        p->live++;
        if (p->allocs_left > 0)
            p->allocs_left--;
        return true;
    }
    return false;
}

static void pool_free(void *ctx, void *virt, uint64_t phys)
{
    struct pool *p = ctx;
    unsigned i;

    if (!pool_index(p, phys, &i) || virt != p->pages + i * PAGE_4K) {
        p->misuses++;
        return;
    }
    /* Scribble over it so a use after free shows up as garbage entries. */
    memset(virt, 0xa5, PAGE_4K);
    p->used[i] = false;
    p->frees++;
    p->live--;
}

static void *pool_virt(void *ctx, uint64_t phys)
{
    struct pool *p = ctx;
    unsigned i;

    if (!pool_index(p, phys, &i)) {
        p->misuses++;
        return NULL;
    }
    return p->pages + i * PAGE_4K;
}

static const struct ept_alloc_ops pool_ops = { pool_alloc, pool_free, pool_virt };

static struct pool *pool_new(void)
{
    struct pool *p = calloc(1, sizeof *p);
    p->pages = aligned_alloc(PAGE_4K, POOL_PAGES * PAGE_4K);
    p->allocs_left = -1;
    return p;
}

static void pool_delete(struct pool *p)
{
    free(p->pages);
    free(p);
}

/* The walker reads the tables from the pool. */
static int pool_read_entry(void *ctx, uint64_t phys, unsigned size, uint64_t *value)
{
    struct pool *p = ctx;
    unsigned i;

    if (size != 8 || !pool_index(p, phys & ~(PAGE_4K - 1), &i))
        return -1;
    memcpy(value, p->pages + (phys - POOL_PHYS), 8);
    return 0;
}

static const struct pt_mem_ops pool_mem_ops = { pool_read_entry, NULL };

#define HOST_MAXPHYADDR 39

static int ept_walk(struct pool *p, uint64_t pml4, uint64_t gpa, struct pt_walk_result *r)
{
    struct pt_access a;

    memset(&a, 0, sizeof a);
    a.type = PT_ACCESS_READ;
    a.maxphyaddr = HOST_MAXPHYADDR;
    a.page_1g = true;
    return pt_walk(&pt_format_ept, ept_pointer(pml4, false), gpa, &a, &pool_mem_ops, p, r);
}

static uint8_t leaf_type(const struct pt_walk_result *r)
{
    return (uint8_t)((r->entry[r->nr_entries - 1] & EPT_MEMORY_TYPE_MASK) >> EPT_MEMORY_TYPE_SHIFT);
}

static uint64_t leaf_perms(const struct pt_walk_result *r)
{
    return r->entry[r->nr_entries - 1] & EPT_RWX;
}

/* ---- Host MTRRs ------------------------------------------------------------ */

#define HOST_UC_2M      UINT64_C(0x100400000)   /* one UC 2 MiB */
#define HOST_WC_64K     UINT64_C(0x100810000)   /* a WC 64 KiB (a framebuffer) */

static struct mtrr_variable var_range(uint64_t base, uint64_t size, uint8_t type)
{
    struct mtrr_variable v;
    v.base = base | type;
    v.mask = (((UINT64_C(1) << HOST_MAXPHYADDR) - 1) & ~(size - 1) & MTRR_PHYS_ADDR_MASK) |
             MTRR_PHYSMASK_VALID;
    return v;
}

static struct mtrr_state host_mtrrs(void)
{
    struct mtrr_state s;

    memset(&s, 0, sizeof s);
    s.cap = 8 | MTRRCAP_FIX | MTRRCAP_WC;
    s.def_type = MTRR_DEF_TYPE_E | MEMORY_TYPE_WB;
    s.maxphyaddr = HOST_MAXPHYADDR;
    s.variable[0] = var_range(HOST_UC_2M, MIB(2), MEMORY_TYPE_UC);
    s.variable[1] = var_range(HOST_WC_64K, KIB(64), MEMORY_TYPE_WC);
    return s;
}

/* ---- The VM -------------------------------------------------------------------- */

/*
 * guest-physical                 host-physical            pages
 * [0, 640K)          RAM         0x100000000              4K (too small for 2M)
 * [640K, 768K)       MMIO
 * [768K, 1M)         hole
 * [1M, 16M)          RAM         0x100100000 + (gpa-1M)   4K up to 2M, then 2M,
 *                                                         except [8M,10M): WC inside
 * [16M, 18M)         RAM         0x120001000              4K (host not 2M aligned)
 * [0xFEE00000, +4K)  MMIO
 * [4G, 4G+4M)        RAM         0x140000000              2M
 */
static void vm_map(struct gpa_map *m)
{
    gpa_map_init(m);
    CHECK_EQ_I(gpa_map_add(m, 0, KIB(640), GPA_RAM, GIB(4)), GPA_MAP_OK);
    CHECK_EQ_I(gpa_map_add(m, 0xA0000, 0x20000, GPA_MMIO, 0), GPA_MAP_OK);
    CHECK_EQ_I(gpa_map_add(m, 0xC0000, 0x40000, GPA_HOLE, 0), GPA_MAP_OK);
    CHECK_EQ_I(gpa_map_add(m, MIB(1), MIB(15), GPA_RAM, GIB(4) + MIB(1)), GPA_MAP_OK);
    CHECK_EQ_I(gpa_map_add(m, MIB(16), MIB(2), GPA_RAM, UINT64_C(0x120001000)), GPA_MAP_OK);
    CHECK_EQ_I(gpa_map_add(m, 0xFEE00000, PAGE_4K, GPA_MMIO, 0), GPA_MAP_OK);
    CHECK_EQ_I(gpa_map_add(m, GIB(4), MIB(4), GPA_RAM, UINT64_C(0x140000000)), GPA_MAP_OK);
}

static bool in(uint64_t x, uint64_t start, uint64_t len)
{
    return x >= start && x - start < len;
}

/* Written out from the layout above, not computed the way ept.c does it. */
static uint64_t expected_page_size(uint64_t gpa)
{
    if (in(gpa, MIB(2), MIB(6)) || in(gpa, MIB(10), MIB(6)) || in(gpa, GIB(4), MIB(4)))
        return MIB(2);
    return PAGE_4K;
}

static uint8_t expected_type(uint64_t hpa)
{
    if (in(hpa, HOST_UC_2M, MIB(2)))
        return MEMORY_TYPE_UC;
    if (in(hpa, HOST_WC_64K, KIB(64)))
        return MEMORY_TYPE_WC;
    return MEMORY_TYPE_WB;
}

/* Walks every 4 KiB page of [start, start + len) and compares with the map:
 * RAM translates to its host address with R/W/X, the host MTRR type and the
 * expected page size; everything else is not present. */
static void check_pages(struct pool *p, uint64_t pml4, const struct gpa_map *map,
                        uint64_t start, uint64_t len)
{
    unsigned bad = 0;

    for (uint64_t gpa = start; gpa < start + len; gpa += PAGE_4K) {
        struct pt_walk_result r;
        uint64_t hpa;
        int rc = ept_walk(p, pml4, gpa + 0x123, &r);

        if (!gpa_map_ram_to_host(map, gpa, &hpa)) {
            if (rc != PT_WALK_FAULT || r.error_code != 0) {
                if (bad++ < 5)
                    UNIT_FAIL("gpa 0x%" PRIx64 ": rc %d, want not present", gpa, rc);
            }
            continue;
        }
        if (rc != PT_WALK_OK || r.phys != hpa + 0x123 || leaf_perms(&r) != EPT_RWX ||
            leaf_type(&r) != expected_type(hpa) || r.page_size != expected_page_size(gpa)) {
            if (bad++ < 5)
                UNIT_FAIL("gpa 0x%" PRIx64 ": rc %d phys 0x%" PRIx64 " type %u size 0x%" PRIx64,
                          gpa, rc, r.phys, leaf_type(&r), r.page_size);
        }
    }
    CHECK_EQ_U(bad, 0);
}

static uint64_t build_vm(struct pool *p, struct gpa_map *map, const struct mtrr_state *mtrr)
{
    uint64_t pml4 = 0;

    vm_map(map);
    CHECK_EQ_I(ept_build(map, mtrr, &pool_ops, p, &pml4), EPT_OK);
    CHECK(pml4 != 0);
    return pml4;
}

/* ---- Tests ---------------------------------------------------------------------- */

TEST(eptp_format)
{
    /* WB (6) in 2:0, walk length 4 - 1 = 3 in 5:3, A/D in bit 6. */
    CHECK_EQ_U(ept_pointer(0x12345000, false), 0x1234501e);
    CHECK_EQ_U(ept_pointer(0x12345000, true), 0x1234505e);
    CHECK_EQ_U(ept_pointer(UINT64_C(0x000ffffffffff000), false), UINT64_C(0x000ffffffffff01e));
}

TEST(build_translates_every_page)
{
    struct pool *p = pool_new();
    struct gpa_map map;
    struct mtrr_state mtrr = host_mtrrs();
    uint64_t pml4 = build_vm(p, &map, &mtrr);

    check_pages(p, pml4, &map, 0, MIB(20));
    check_pages(p, pml4, &map, GIB(4) - MIB(2), MIB(8));
    check_pages(p, pml4, &map, 0xFEC00000, MIB(4));
    /* PML4, one PDPT, PDs for 0-1G and 4-5G, PTs for [0,2M) [8M,10M) [16M,18M). */
    CHECK_EQ_U(p->allocs, 7);
    CHECK_EQ_U(p->live, 7);
    CHECK_EQ_U(p->misuses, 0);

    ept_destroy(pml4, &pool_ops, p);
    CHECK_EQ_U(p->live, 0);
    CHECK_EQ_U(p->frees, 7);
    CHECK_EQ_U(p->misuses, 0);
    pool_delete(p);
}

TEST(memory_types_follow_host_mtrrs)
{
    struct pool *p = pool_new();
    struct gpa_map map;
    struct mtrr_state mtrr = host_mtrrs();
    uint64_t pml4 = build_vm(p, &map, &mtrr);
    struct pt_walk_result r;

    /* gpa 4M is host HOST_UC_2M: one UC 2 MiB page. */
    CHECK_EQ_I(ept_walk(p, pml4, MIB(4), &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, HOST_UC_2M);
    CHECK_EQ_U(r.page_size, MIB(2));
    CHECK_EQ_U(leaf_type(&r), MEMORY_TYPE_UC);
    /* gpa 8M + 64K is host HOST_WC_64K: its 2 MiB is split, WC page by page. */
    CHECK_EQ_I(ept_walk(p, pml4, MIB(8) + KIB(64), &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, HOST_WC_64K);
    CHECK_EQ_U(r.page_size, PAGE_4K);
    CHECK_EQ_U(leaf_type(&r), MEMORY_TYPE_WC);
    CHECK_EQ_I(ept_walk(p, pml4, MIB(8) + KIB(60), &r), PT_WALK_OK);
    CHECK_EQ_U(leaf_type(&r), MEMORY_TYPE_WB);
    CHECK_EQ_I(ept_walk(p, pml4, MIB(8) + KIB(128), &r), PT_WALK_OK);
    CHECK_EQ_U(leaf_type(&r), MEMORY_TYPE_WB);
    /* The guest's PAT still applies (IPAT clear). */
    CHECK_EQ_U(r.entry[r.nr_entries - 1] & EPT_IGNORE_PAT, 0);
    ept_destroy(pml4, &pool_ops, p);
    pool_delete(p);
}

TEST(disabled_or_undefined_mtrrs_give_uc)
{
    struct pool *p = pool_new();
    struct gpa_map map;
    struct mtrr_state mtrr = host_mtrrs();
    struct pt_walk_result r;
    uint64_t pml4;

    mtrr.def_type &= ~MTRR_DEF_TYPE_E;
    pml4 = build_vm(p, &map, &mtrr);
    CHECK_EQ_I(ept_walk(p, pml4, MIB(2), &r), PT_WALK_OK);
    CHECK_EQ_U(leaf_type(&r), MEMORY_TYPE_UC);
    CHECK_EQ_U(r.page_size, MIB(2));
    /* All of it is UC, so the WC corner needs no 4 KiB pages any more. */
    CHECK_EQ_I(ept_walk(p, pml4, MIB(8) + KIB(64), &r), PT_WALK_OK);
    CHECK_EQ_U(r.page_size, MIB(2));
    CHECK_EQ_U(leaf_type(&r), MEMORY_TYPE_UC);
    ept_destroy(pml4, &pool_ops, p);

    /* WC over WB is an undefined overlap: UC, still one 2 MiB page. */
    mtrr = host_mtrrs();
    mtrr.variable[2] = var_range(UINT64_C(0x140000000), MIB(2), MEMORY_TYPE_WB);
    mtrr.variable[3] = var_range(UINT64_C(0x140000000), MIB(2), MEMORY_TYPE_WC);
    pml4 = build_vm(p, &map, &mtrr);
    CHECK_EQ_I(ept_walk(p, pml4, GIB(4), &r), PT_WALK_OK);
    CHECK_EQ_U(r.page_size, MIB(2));
    CHECK_EQ_U(leaf_type(&r), MEMORY_TYPE_UC);
    CHECK_EQ_I(ept_walk(p, pml4, GIB(4) + MIB(2), &r), PT_WALK_OK);
    CHECK_EQ_U(leaf_type(&r), MEMORY_TYPE_WB);
    ept_destroy(pml4, &pool_ops, p);
    CHECK_EQ_U(p->live, 0);
    CHECK_EQ_U(p->misuses, 0);
    pool_delete(p);
}

TEST(map_range_splits_and_merges)
{
    struct pool *p = pool_new();
    struct gpa_map map;
    struct mtrr_state mtrr = host_mtrrs();
    uint64_t pml4 = build_vm(p, &map, &mtrr);
    struct pt_walk_result r;
    unsigned allocs = p->allocs;

    /* One read-only page inside the 2 MiB page at [2M, 4M). */
    CHECK_EQ_I(ept_map_range(pml4, MIB(3), UINT64_C(0x200000000), PAGE_4K, EPT_READ, &mtrr,
                             &pool_ops, p), EPT_OK);
    CHECK_EQ_U(p->allocs, allocs + 1);
    CHECK_EQ_I(ept_walk(p, pml4, MIB(3) + 8, &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, UINT64_C(0x200000008));
    CHECK_EQ_U(leaf_perms(&r), EPT_READ);
    CHECK_EQ_U(r.page_size, PAGE_4K);
    /* Its 511 neighbours keep their translation, type and rights. */
    for (uint64_t gpa = MIB(2); gpa < MIB(4); gpa += PAGE_4K) {
        if (gpa == MIB(3))
            continue;
        CHECK_EQ_I(ept_walk(p, pml4, gpa, &r), PT_WALK_OK);
        CHECK_EQ_U(r.phys, GIB(4) + gpa);
        CHECK_EQ_U(r.page_size, PAGE_4K);
        CHECK_EQ_U(leaf_perms(&r), EPT_RWX);
        CHECK_EQ_U(leaf_type(&r), MEMORY_TYPE_WB);
    }

    /* Splitting the UC 2 MiB page at [4M, 6M) keeps UC in the other pages. */
    CHECK_EQ_I(ept_map_range(pml4, MIB(5), UINT64_C(0x200001000), PAGE_4K, EPT_RWX, &mtrr,
                             &pool_ops, p), EPT_OK);
    CHECK_EQ_I(ept_walk(p, pml4, MIB(5), &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, UINT64_C(0x200001000));
    CHECK_EQ_U(leaf_type(&r), MEMORY_TYPE_WB);
    CHECK_EQ_I(ept_walk(p, pml4, MIB(5) + PAGE_4K, &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, HOST_UC_2M + MIB(1) + PAGE_4K);
    CHECK_EQ_U(r.page_size, PAGE_4K);
    CHECK_EQ_U(leaf_type(&r), MEMORY_TYPE_UC);

    /* A whole 2 MiB over the page table at [8M, 10M): the table goes. */
    CHECK_EQ_I(ept_map_range(pml4, MIB(8), UINT64_C(0x300000000), MIB(2), EPT_RWX, &mtrr,
                             &pool_ops, p), EPT_OK);
    CHECK_EQ_U(p->frees, 1);
    CHECK_EQ_I(ept_walk(p, pml4, MIB(8) + KIB(64), &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, UINT64_C(0x300010000));
    CHECK_EQ_U(r.page_size, MIB(2));
    CHECK_EQ_U(leaf_type(&r), MEMORY_TYPE_WB);

    /* Execute-only is the caller's call (the CPU must support it). */
    CHECK_EQ_I(ept_map_range(pml4, GIB(4), GIB(5), MIB(2), EPT_EXECUTE, &mtrr, &pool_ops, p),
               EPT_OK);
    CHECK_EQ_I(ept_walk(p, pml4, GIB(4), &r), PT_WALK_FAULT);   /* misconfig without cap */
    CHECK_EQ_U(r.error_code, PF_ERR_PRESENT | PF_ERR_RSVD);

    ept_destroy(pml4, &pool_ops, p);
    CHECK_EQ_U(p->live, 0);
    CHECK_EQ_U(p->misuses, 0);
    pool_delete(p);
}

TEST(map_range_splits_1g_page)
{
    struct pool *p = pool_new();
    struct gpa_map map;
    struct mtrr_state mtrr = host_mtrrs();
    struct pt_walk_result r;
    uint64_t pml4, *pdpt;

    gpa_map_init(&map);
    CHECK_EQ_I(ept_build(&map, &mtrr, &pool_ops, p, &pml4), EPT_OK);
    CHECK_EQ_U(p->allocs, 1);
    CHECK_EQ_I(ept_map_range(pml4, GIB(5), GIB(8), PAGE_4K, EPT_RWX, &mtrr, &pool_ops, p),
               EPT_OK);
    /* keel never makes 1 GiB pages, but tables it is handed may have them:
     * put one at gpa 6G -> 3G by hand. */
    CHECK_EQ_I(ept_walk(p, pml4, GIB(5), &r), PT_WALK_OK);
    pdpt = pool_virt(p, r.entry_addr[1] & ~(PAGE_4K - 1));
    pdpt[6] = GIB(3) | EPT_READ | EPT_EXECUTE | EPT_IGNORE_PAT |
              ((uint64_t)MEMORY_TYPE_WT << EPT_MEMORY_TYPE_SHIFT) | EPT_LARGE;
    CHECK_EQ_I(ept_walk(p, pml4, GIB(6) + 5, &r), PT_WALK_OK);
    CHECK_EQ_U(r.page_size, GIB(1));

    CHECK_EQ_I(ept_map_range(pml4, GIB(6) + MIB(2) + PAGE_4K, GIB(9), PAGE_4K, EPT_READ, &mtrr,
                             &pool_ops, p), EPT_OK);
    CHECK_EQ_U(p->allocs, 4 + 2);               /* the 1G became a PD, one 2M a PT */
    CHECK_EQ_I(ept_walk(p, pml4, GIB(6) + 5, &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, GIB(3) + 5);
    CHECK_EQ_U(r.page_size, MIB(2));
    CHECK_EQ_I(ept_walk(p, pml4, GIB(6) + MIB(2), &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, GIB(3) + MIB(2));
    CHECK_EQ_U(r.page_size, PAGE_4K);
    CHECK_EQ_I(ept_walk(p, pml4, GIB(6) + MIB(2) + PAGE_4K, &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, GIB(9));
    CHECK_EQ_U(leaf_perms(&r), EPT_READ);
    /* The pieces keep the 1 GiB page's rights, type and IPAT. */
    CHECK_EQ_I(ept_walk(p, pml4, GIB(7) - 1, &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, GIB(4) - 1);
    CHECK_EQ_U(leaf_type(&r), MEMORY_TYPE_WT);
    CHECK_EQ_U(leaf_perms(&r), EPT_READ | EPT_EXECUTE);
    CHECK(r.entry[r.nr_entries - 1] & EPT_IGNORE_PAT);
    CHECK_EQ_I(ept_walk(p, pml4, GIB(6) + MIB(2) + 2 * PAGE_4K, &r), PT_WALK_OK);
    CHECK_EQ_U(r.page_size, PAGE_4K);
    CHECK_EQ_U(leaf_type(&r), MEMORY_TYPE_WT);
    CHECK_EQ_U(leaf_perms(&r), EPT_READ | EPT_EXECUTE);

    ept_destroy(pml4, &pool_ops, p);
    CHECK_EQ_U(p->live, 0);
    CHECK_EQ_U(p->misuses, 0);
    pool_delete(p);
}

TEST(unmap)
{
    struct pool *p = pool_new();
    struct gpa_map map;
    struct mtrr_state mtrr = host_mtrrs();
    uint64_t pml4 = build_vm(p, &map, &mtrr);
    struct pt_walk_result r;
    unsigned allocs = p->allocs;

    /* One page out of the 2 MiB page at [12M, 14M): split, then cleared. */
    CHECK_EQ_I(ept_unmap(pml4, MIB(12) + PAGE_4K, PAGE_4K, &pool_ops, p), EPT_OK);
    CHECK_EQ_U(p->allocs, allocs + 1);
    CHECK_EQ_I(ept_walk(p, pml4, MIB(12) + PAGE_4K, &r), PT_WALK_FAULT);
    CHECK_EQ_U(r.error_code, 0);
    CHECK_EQ_U(r.level, 1);
    CHECK_EQ_I(ept_walk(p, pml4, MIB(12), &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, GIB(4) + MIB(12));
    CHECK_EQ_I(ept_walk(p, pml4, MIB(12) + 2 * PAGE_4K, &r), PT_WALK_OK);
    CHECK_EQ_U(r.phys, GIB(4) + MIB(12) + 2 * PAGE_4K);

    /* The whole of [12M, 14M) now: the PDE is cleared, its new PT freed. */
    CHECK_EQ_I(ept_unmap(pml4, MIB(12), MIB(2), &pool_ops, p), EPT_OK);
    CHECK_EQ_U(p->frees, 1);
    CHECK_EQ_I(ept_walk(p, pml4, MIB(13), &r), PT_WALK_FAULT);
    CHECK_EQ_U(r.level, 2);
    CHECK_EQ_I(ept_walk(p, pml4, MIB(14), &r), PT_WALK_OK);

    /* Nothing mapped there: nothing to do, nothing allocated. */
    allocs = p->allocs;
    CHECK_EQ_I(ept_unmap(pml4, MIB(20), GIB(1) - MIB(20), &pool_ops, p), EPT_OK);
    CHECK_EQ_I(ept_unmap(pml4, GIB(8), GIB(1000), &pool_ops, p), EPT_OK);
    CHECK_EQ_U(p->allocs, allocs);
    CHECK_EQ_I(ept_walk(p, pml4, MIB(16), &r), PT_WALK_OK);
    CHECK_EQ_I(ept_walk(p, pml4, GIB(4), &r), PT_WALK_OK);

    /* Everything below 8G: PDPT entries 0-7 go with their tables. */
    CHECK_EQ_I(ept_unmap(pml4, 0, GIB(8), &pool_ops, p), EPT_OK);
    CHECK_EQ_U(p->live, 2);                     /* PML4 and PDPT */
    check_pages(p, pml4, &(struct gpa_map){ 0 }, 0, MIB(20));
    CHECK_EQ_I(ept_walk(p, pml4, GIB(4), &r), PT_WALK_FAULT);
    CHECK_EQ_U(r.level, 3);

    ept_destroy(pml4, &pool_ops, p);
    CHECK_EQ_U(p->live, 0);
    CHECK_EQ_U(p->misuses, 0);
    pool_delete(p);
}

TEST(out_of_memory_frees_everything)
{
    struct gpa_map map;
    struct mtrr_state mtrr = host_mtrrs();

    vm_map(&map);
    for (int n = 0; n < 7; n++) {
        struct pool *p = pool_new();
        uint64_t pml4 = 0x1234;

        p->allocs_left = n;
        CHECK_EQ_I(ept_build(&map, &mtrr, &pool_ops, p, &pml4), EPT_NO_MEMORY);
        CHECK_EQ_U(pml4, 0);
        CHECK_EQ_U(p->allocs, n);
        CHECK_EQ_U(p->live, 0);
        CHECK_EQ_U(p->misuses, 0);
        pool_delete(p);
    }
    {
        struct pool *p = pool_new();
        uint64_t pml4 = 0;

        p->allocs_left = 7;
        CHECK_EQ_I(ept_build(&map, &mtrr, &pool_ops, p, &pml4), EPT_OK);
        check_pages(p, pml4, &map, 0, MIB(20));
        ept_destroy(pml4, &pool_ops, p);
        pool_delete(p);
    }
}

TEST(bad_requests_change_nothing)
{
    struct pool *p = pool_new();
    struct gpa_map map;
    struct mtrr_state mtrr = host_mtrrs();
    uint64_t pml4 = build_vm(p, &map, &mtrr);
    unsigned allocs = p->allocs;

#define MAP(gpa, hpa, size, perms) ept_map_range(pml4, gpa, hpa, size, perms, &mtrr, &pool_ops, p)
    CHECK_EQ_I(MAP(GIB(8) + 0x800, GIB(8), PAGE_4K, EPT_RWX), EPT_BAD_RANGE);
    CHECK_EQ_I(MAP(GIB(8), GIB(8) + 0x800, PAGE_4K, EPT_RWX), EPT_BAD_RANGE);
    CHECK_EQ_I(MAP(GIB(8), GIB(8), 0x800, EPT_RWX), EPT_BAD_RANGE);
    CHECK_EQ_I(MAP(GIB(8), GIB(8), 0, EPT_RWX), EPT_BAD_RANGE);
    CHECK_EQ_I(MAP(EPT_GPA_LIMIT, GIB(8), PAGE_4K, EPT_RWX), EPT_BAD_RANGE);
    CHECK_EQ_I(MAP(EPT_GPA_LIMIT - PAGE_4K, GIB(8), 2 * PAGE_4K, EPT_RWX), EPT_BAD_RANGE);
    /* Host memory past MAXPHYADDR (39 here). */
    CHECK_EQ_I(MAP(GIB(8), UINT64_C(1) << 39, PAGE_4K, EPT_RWX), EPT_BAD_RANGE);
    CHECK_EQ_I(MAP(GIB(8), (UINT64_C(1) << 39) - PAGE_4K, 2 * PAGE_4K, EPT_RWX), EPT_BAD_RANGE);
    CHECK_EQ_I(MAP(GIB(8), GIB(8), PAGE_4K, 0), EPT_BAD_PERMISSIONS);
    CHECK_EQ_I(MAP(GIB(8), GIB(8), PAGE_4K, EPT_WRITE), EPT_BAD_PERMISSIONS);
    CHECK_EQ_I(MAP(GIB(8), GIB(8), PAGE_4K, EPT_WRITE | EPT_EXECUTE), EPT_BAD_PERMISSIONS);
    CHECK_EQ_I(MAP(GIB(8), GIB(8), PAGE_4K, EPT_RWX | EPT_IGNORE_PAT), EPT_BAD_PERMISSIONS);
#undef MAP
    CHECK_EQ_I(ept_unmap(pml4, 0x800, PAGE_4K, &pool_ops, p), EPT_BAD_RANGE);
    CHECK_EQ_I(ept_unmap(pml4, 0, 0, &pool_ops, p), EPT_BAD_RANGE);
    CHECK_EQ_I(ept_unmap(pml4, EPT_GPA_LIMIT, PAGE_4K, &pool_ops, p), EPT_BAD_RANGE);
    CHECK_EQ_U(p->allocs, allocs);
    check_pages(p, pml4, &map, 0, MIB(20));
    ept_destroy(pml4, &pool_ops, p);

    /* RAM the map allows but 4-level EPT cannot reach: refused, nothing kept. */
    CHECK_EQ_I(gpa_map_add(&map, EPT_GPA_LIMIT, MIB(2), GPA_RAM, GIB(8)), GPA_MAP_OK);
    pml4 = 0x1234;
    CHECK_EQ_I(ept_build(&map, &mtrr, &pool_ops, p, &pml4), EPT_BAD_RANGE);
    CHECK_EQ_U(pml4, 0);
    CHECK_EQ_U(p->live, 0);
    CHECK_EQ_U(p->misuses, 0);
    pool_delete(p);
}
