/*
 * EPT table construction (contract in vmx/ept.h).  Pure logic: tables are
 * allocated and reached through the caller's ept_alloc_ops.
 *
 * Level numbers and index positions come from pt_format_ept, the description
 * mm/pt_walk.c walks these same tables with.  Entries that reference a table
 * grant R/W/X: EPT rights are the AND over all levels (SDM vol. 3C 29.3.3.2),
 * so the leaf alone decides.
 */
#include "vmx/ept.h"

#include "lib/string.h"
#include "vmx/vmx_controls.h"

#define EPT_PAGE_SIZE   UINT64_C(4096)
#define EPT_LARGE_SIZE  (UINT64_C(2) << 20)

struct ept_builder {
    uint64_t pml4_phys;
    const struct mtrr_state *mtrr;
    const struct ept_alloc_ops *alloc;
    void *ctx;
};

/* ---- Entries and tables ----------------------------------------------- */

static uint64_t block_size(unsigned level)
{
    return UINT64_C(1) << pt_format_ept.level[level].shift;
}

static unsigned index_at(uint64_t gpa, unsigned level)
{
    return (unsigned)(gpa >> pt_format_ept.level[level].shift) & (EPT_TABLE_ENTRIES - 1);
}

static bool aligned(uint64_t x, uint64_t size)
{
    return (x & (size - 1)) == 0;
}

static bool present(uint64_t e)
{
    return (e & EPT_RWX) != 0;
}

/* Only levels 2 and 3 have a large bit; level 1 entries always map a page. */
static bool entry_maps_page(uint64_t e, unsigned level)
{
    return level == PT_LEVEL_PTE || (e & EPT_LARGE);
}

static uint64_t entry_addr(uint64_t e)
{
    return e & EPT_ADDR_MASK;
}

static uint64_t table_entry(uint64_t table_phys)
{
    return table_phys | EPT_RWX;
}

static uint64_t page_entry(uint64_t hpa, uint64_t perms, uint8_t type, unsigned level)
{
    uint64_t e = hpa | perms | ((uint64_t)type << EPT_MEMORY_TYPE_SHIFT);
    return level == PT_LEVEL_PTE ? e : e | EPT_LARGE;
}

static uint64_t *table_at(const struct ept_builder *b, uint64_t phys)
{
    return b->alloc->table_virt(b->ctx, phys);
}

static int new_table(const struct ept_builder *b, uint64_t **table, uint64_t *phys)
{
    void *virt;

    if (!b->alloc->alloc_table(b->ctx, &virt, phys))
        return EPT_NO_MEMORY;
    *table = virt;
    return EPT_OK;
}

static void free_table_tree(const struct ept_builder *b, uint64_t table_phys, unsigned level);

/* Frees the tables below an entry of the given level, if it references one. */
static void free_below(const struct ept_builder *b, uint64_t e, unsigned level)
{
    if (present(e) && !entry_maps_page(e, level))
        free_table_tree(b, entry_addr(e), level - 1);
}

/* Frees a table whose entries are of the given level, and all below it. */
static void free_table_tree(const struct ept_builder *b, uint64_t table_phys, unsigned level)
{
    uint64_t *table = table_at(b, table_phys);

    for (unsigned i = 0; i < EPT_TABLE_ENTRIES; i++)
        free_below(b, table[i], level);
    b->alloc->free_table(b->ctx, table, table_phys);
}

/* Replaces a large page at level (2 or 3) by a table of 512 pages of the
 * next size down with the same rights, memory type and A/D flags. */
static int split_large_page(const struct ept_builder *b, uint64_t *entry, unsigned level)
{
    uint64_t attrs = *entry & ~EPT_ADDR_MASK & ~EPT_LARGE;
    uint64_t base = entry_addr(*entry) & ~(block_size(level) - 1);
    uint64_t step = block_size(level - 1);
    uint64_t *table, phys;
    int rc = new_table(b, &table, &phys);

    if (rc != EPT_OK)
        return rc;
    for (unsigned i = 0; i < EPT_TABLE_ENTRIES; i++) {
        uint64_t e = (base + i * step) | attrs;
        table[i] = level - 1 == PT_LEVEL_PTE ? e : e | EPT_LARGE;
    }
    *entry = table_entry(phys);
    return EPT_OK;
}

/* The table *entry (at level) references: created when the entry is not
 * present, split out of it when it maps a large page. */
static int descend(const struct ept_builder *b, uint64_t *entry, unsigned level,
                   uint64_t **next)
{
    if (!present(*entry)) {
        uint64_t *table, phys;
        int rc = new_table(b, &table, &phys);
        if (rc != EPT_OK)
            return rc;
        *entry = table_entry(phys);
    } else if (entry_maps_page(*entry, level)) {
        int rc = split_large_page(b, entry, level);
        if (rc != EPT_OK)
            return rc;
    }
    *next = table_at(b, entry_addr(*entry));
    return EPT_OK;
}

/* Stores a page entry for gpa at level (1 or 2), dropping the page table a
 * new 2 MiB page replaces. */
static int set_page(const struct ept_builder *b, uint64_t gpa, unsigned level, uint64_t page)
{
    uint64_t *table = table_at(b, b->pml4_phys);
    uint64_t *slot;

    for (unsigned l = EPT_LEVELS; l > level; l--) {
        int rc = descend(b, &table[index_at(gpa, l)], l, &table);
        if (rc != EPT_OK)
            return rc;
    }
    slot = &table[index_at(gpa, level)];
    free_below(b, *slot, level);
    *slot = page;
    return EPT_OK;
}

/* ---- Mapping ---------------------------------------------------------- */

/* The host MTRR type over [hpa, hpa + len), when it is one type. */
static bool uniform_type(const struct ept_builder *b, uint64_t hpa, uint64_t len, uint8_t *type)
{
    int rc = mtrr_type_of_range(b->mtrr, hpa, len, type);
    return rc == MTRR_RANGE_UNIFORM || rc == MTRR_RANGE_UC_UNDEFINED;
}

static bool can_map_large(const struct ept_builder *b, uint64_t gpa, uint64_t hpa,
                          uint64_t left, uint8_t *type)
{
    return aligned(gpa, EPT_LARGE_SIZE) && aligned(hpa, EPT_LARGE_SIZE) &&
           left >= EPT_LARGE_SIZE && uniform_type(b, hpa, EPT_LARGE_SIZE, type);
}

/* MTRRs type whole 4 KiB pages, so one is always uniform; UC would be the
 * safe answer if it were not. */
static uint8_t small_page_type(const struct ept_builder *b, uint64_t hpa)
{
    uint8_t type;
    return uniform_type(b, hpa, EPT_PAGE_SIZE, &type) ? type : MEMORY_TYPE_UC;
}

static bool perms_valid(uint64_t perms)
{
    if (perms == 0 || (perms & ~EPT_RWX))
        return false;
    return !(perms & EPT_WRITE) || (perms & EPT_READ);
}

static bool gpa_range_valid(uint64_t gpa, uint64_t size)
{
    return size != 0 && aligned(gpa, EPT_PAGE_SIZE) && aligned(size, EPT_PAGE_SIZE) &&
           gpa < EPT_GPA_LIMIT && size <= EPT_GPA_LIMIT - gpa;
}

static int map_range(const struct ept_builder *b, uint64_t gpa, uint64_t hpa, uint64_t size,
                     uint64_t perms)
{
    uint8_t type;

    if (!perms_valid(perms))
        return EPT_BAD_PERMISSIONS;
    /* The host range must lie below MAXPHYADDR for the MTRRs to type it. */
    if (!gpa_range_valid(gpa, size) || !aligned(hpa, EPT_PAGE_SIZE) ||
        mtrr_type_of_range(b->mtrr, hpa, size, &type) == MTRR_RANGE_INVALID)
        return EPT_BAD_RANGE;

    while (size != 0) {
        uint64_t step;
        int rc;

        if (can_map_large(b, gpa, hpa, size, &type)) {
            step = EPT_LARGE_SIZE;
            rc = set_page(b, gpa, PT_LEVEL_PDE, page_entry(hpa, perms, type, PT_LEVEL_PDE));
        } else {
            step = EPT_PAGE_SIZE;
            type = small_page_type(b, hpa);
            rc = set_page(b, gpa, PT_LEVEL_PTE, page_entry(hpa, perms, type, PT_LEVEL_PTE));
        }
        if (rc != EPT_OK)
            return rc;
        gpa += step;
        hpa += step;
        size -= step;
    }
    return EPT_OK;
}

int ept_map_range(uint64_t pml4_phys, uint64_t gpa, uint64_t hpa, uint64_t size,
                  uint64_t perms, const struct mtrr_state *mtrr,
                  const struct ept_alloc_ops *alloc, void *ctx)
{
    const struct ept_builder b = { pml4_phys, mtrr, alloc, ctx };
    return map_range(&b, gpa, hpa, size, perms);
}

int ept_build(const struct gpa_map *map, const struct mtrr_state *mtrr,
              const struct ept_alloc_ops *alloc, void *ctx, uint64_t *pml4_phys)
{
    struct ept_builder b = { 0, mtrr, alloc, ctx };
    uint64_t *pml4;
    int rc = new_table(&b, &pml4, &b.pml4_phys);

    *pml4_phys = 0;
    if (rc != EPT_OK)
        return rc;
    for (size_t i = 0; i < gpa_map_count(map); i++) {
        const struct gpa_region *r = gpa_map_region(map, i);

        /* MMIO and holes stay not present: their accesses must exit. */
        if (r->kind != GPA_RAM)
            continue;
        rc = map_range(&b, r->start, r->host_phys, r->size, EPT_RWX);
        if (rc != EPT_OK) {
            free_table_tree(&b, b.pml4_phys, EPT_LEVELS);
            return rc;
        }
    }
    *pml4_phys = b.pml4_phys;
    return EPT_OK;
}

/* ---- Unmapping -------------------------------------------------------- */

static uint64_t min_bytes(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* Unmaps from gpa as much as one entry can take care of, at most left bytes:
 * a whole entry the range covers is cleared (with the tables below it), an
 * absent one skipped; otherwise the walk goes down a level.  *done says how
 * much was handled. */
static int unmap_step(const struct ept_builder *b, uint64_t gpa, uint64_t left, uint64_t *done)
{
    uint64_t *table = table_at(b, b->pml4_phys);

    /* At level 1 the block is one page, which a page-aligned range always
     * covers, so the loop ends there at the latest. */
    for (unsigned level = EPT_LEVELS;; level--) {
        uint64_t *entry = &table[index_at(gpa, level)];
        uint64_t block = block_size(level);
        uint64_t to_block_end = block - (gpa & (block - 1));
        int rc;

        if (!present(*entry)) {
            *done = min_bytes(to_block_end, left);
            return EPT_OK;
        }
        if (aligned(gpa, block) && left >= block) {
            free_below(b, *entry, level);
            *entry = 0;
            *done = block;
            return EPT_OK;
        }
        rc = descend(b, entry, level, &table);
        if (rc != EPT_OK)
            return rc;
    }
}

int ept_unmap(uint64_t pml4_phys, uint64_t gpa, uint64_t size,
              const struct ept_alloc_ops *alloc, void *ctx)
{
    const struct ept_builder b = { pml4_phys, NULL, alloc, ctx };

    if (!gpa_range_valid(gpa, size))
        return EPT_BAD_RANGE;
    while (size != 0) {
        uint64_t done;
        int rc = unmap_step(&b, gpa, size, &done);
        if (rc != EPT_OK)
            return rc;
        gpa += done;
        size -= done;
    }
    return EPT_OK;
}

void ept_destroy(uint64_t pml4_phys, const struct ept_alloc_ops *alloc, void *ctx)
{
    const struct ept_builder b = { pml4_phys, NULL, alloc, ctx };
    free_table_tree(&b, pml4_phys, EPT_LEVELS);
}

uint64_t ept_pointer(uint64_t pml4_phys, bool ad)
{
    uint64_t eptp = (pml4_phys & EPTP_ROOT_MASK) | VMX_MEMORY_TYPE_WB |
                    ((uint64_t)(EPT_LEVELS - 1) << EPTP_PAGE_WALK_LENGTH_SHIFT);
    return ad ? eptp | EPTP_ENABLE_ACCESSED_DIRTY : eptp;
}
