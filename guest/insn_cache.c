/*
 * The decoded-instruction cache (contract and correctness argument in
 * guest/insn_cache.h).  A lookup runs on every MMIO exit, so it is a hash, a
 * key comparison and a few fixed-size loads: no loops over bytes.
 */
#include "guest/insn_cache.h"

#include "lib/string.h"

/* Fibonacci hashing (Knuth, TAOCP vol. 3, 6.4): multiply by 2^64 / phi and
 * keep the top bits, which depend on every bit of the input. */
#define FIBONACCI_MULTIPLIER    UINT64_C(0x9e3779b97f4a7c15)
#define HASH_BITS               64u

static unsigned set_index(const struct insn_cache_key *key)
{
    uint64_t mixed = (key->rip_linear ^ key->cr3) * FIBONACCI_MULTIPLIER;
    return (unsigned)(mixed >> (HASH_BITS - INSN_CACHE_SET_BITS));
}

static bool same_key(const struct insn_cache_key *a, const struct insn_cache_key *b)
{
    return a->rip_linear == b->rip_linear && a->cr3 == b->cr3 && a->paging == b->paging &&
           a->mode == b->mode;
}

/* Unaligned little-endian loads of a fixed size: the compiler turns each
 * into one move (memcpy would be a call to a byte loop in the kernel). */
static uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    __builtin_memcpy(&v, p, sizeof(v));
    return v;
}

static uint32_t load32(const uint8_t *p)
{
    uint32_t v;
    __builtin_memcpy(&v, p, sizeof(v));
    return v;
}

static uint16_t load16(const uint8_t *p)
{
    uint16_t v;
    __builtin_memcpy(&v, p, sizeof(v));
    return v;
}

/*
 * a[0..len) == b[0..len) for len <= 16, with two overlapping windows of the
 * widest size that fits: [0, w) and [len - w, len) cover every byte and read
 * none beyond len.
 */
static bool same_bytes(const uint8_t *a, const uint8_t *b, unsigned len)
{
    if (len >= sizeof(uint64_t))
        return load64(a) == load64(b) &&
               load64(a + len - sizeof(uint64_t)) == load64(b + len - sizeof(uint64_t));
    if (len >= sizeof(uint32_t))
        return load32(a) == load32(b) &&
               load32(a + len - sizeof(uint32_t)) == load32(b + len - sizeof(uint32_t));
    if (len >= sizeof(uint16_t))
        return load16(a) == load16(b) &&
               load16(a + len - sizeof(uint16_t)) == load16(b + len - sizeof(uint16_t));
    return len == 0 || a[0] == b[0];
}

_Static_assert(INSN_MAX_LENGTH <= 2 * sizeof(uint64_t), "same_bytes covers an instruction");

/* The len bytes at gpa, or NULL when they are not all in RAM. */
static const uint8_t *ram_at(const struct insn_cache_ram *ram, uint64_t gpa, size_t len)
{
    if (gpa >= ram->size || len > ram->size - gpa)
        return NULL;
    return ram->base + gpa;
}

/*
 * Each paging-structure entry the walk read still holds what it held.  One
 * loop per entry size, each entry checked against the last address where
 * one fits in RAM: the loop runs on every MMIO exit with paging on, for up
 * to four entries.
 */
static bool walk_still_holds(const struct insn_cache_walk *w, const struct insn_cache_ram *ram)
{
    if (w->nr_entries == 0)
        return true;
    if (ram->size < w->entry_size)
        return false;
    uint64_t last = ram->size - w->entry_size;
    if (w->entry_size == sizeof(uint64_t)) {
        for (unsigned i = 0; i < w->nr_entries; i++)
            if (w->entry_addr[i] > last || load64(ram->base + w->entry_addr[i]) != w->entry[i])
                return false;
    } else {
        for (unsigned i = 0; i < w->nr_entries; i++)
            if (w->entry_addr[i] > last || load32(ram->base + w->entry_addr[i]) != w->entry[i])
                return false;
    }
    return true;
}

static bool bytes_still_hold(const struct insn_cache_entry *e, const struct insn_cache_ram *ram)
{
    const uint8_t *p = ram_at(ram, e->gpa, e->insn.length);
    return p && same_bytes(p, e->bytes, e->insn.length);
}

void insn_cache_clear(struct insn_cache *c)
{
    for (unsigned s = 0; s < INSN_CACHE_SETS; s++)
        for (unsigned w = 0; w < INSN_CACHE_WAYS; w++)
            c->set[s].way[w].valid = false;
}

/* The way of set that holds key, or -1: insn_cache_insert() keeps keys
 * unique within a set. */
static int way_with_key(const struct insn_cache_set *set, const struct insn_cache_key *key)
{
    for (unsigned w = 0; w < INSN_CACHE_WAYS; w++)
        if (set->way[w].valid && same_key(&set->way[w].key, key))
            return (int)w;
    return -1;
}

/* Runs on every MMIO exit: the ways are walked by pointer, and the first
 * with the key decides (insn_cache_insert() keeps keys unique in a set). */
const struct insn_cache_entry *insn_cache_lookup(const struct insn_cache *c,
                                                 const struct insn_cache_key *key,
                                                 const struct insn_cache_ram *ram)
{
    const struct insn_cache_set *set = &c->set[set_index(key)];
    for (const struct insn_cache_entry *e = set->way; e < set->way + INSN_CACHE_WAYS; e++) {
        if (!e->valid || !same_key(&e->key, key))
            continue;
        /* The translation first: the bytes are only worth reading where
         * RIP still leads. */
        if (!walk_still_holds(&e->walk, ram) || !bytes_still_hold(e, ram))
            return NULL;
        return e;
    }
    return NULL;
}

static bool crosses_page(uint64_t linear, unsigned length)
{
    return (linear & (INSN_CACHE_PAGE_SIZE - 1)) + length > INSN_CACHE_PAGE_SIZE;
}

static bool walk_storable(const struct insn_cache_key *key, const struct insn_cache_walk *walk)
{
    if (!walk || walk->nr_entries == 0)
        return key->paging == 0 && key->cr3 == 0;
    return walk->nr_entries <= PT_MAX_LEVELS &&
           (walk->entry_size == sizeof(uint32_t) || walk->entry_size == sizeof(uint64_t));
}

bool insn_cache_insert(struct insn_cache *c, const struct insn_cache_key *key, uint64_t gpa,
                       const uint8_t *bytes, const struct insn *in, uint32_t traits,
                       const struct insn_cache_walk *walk)
{
    if (in->length == 0 || in->length > INSN_MAX_LENGTH ||
        crosses_page(key->rip_linear, in->length) || !walk_storable(key, walk))
        return false;

    struct insn_cache_set *set = &c->set[set_index(key)];
    int w = way_with_key(set, key);
    if (w < 0) {
        /* The newer entry becomes the older; the older one goes. */
        for (unsigned older = INSN_CACHE_WAYS - 1; older > 0; older--)
            set->way[older] = set->way[older - 1];
        w = 0;
    }
    struct insn_cache_entry *e = &set->way[w];
    e->key = *key;
    e->gpa = gpa;
    memcpy(e->bytes, bytes, in->length);
    e->insn = *in;
    e->traits = traits;
    if (walk) {
        e->walk = *walk;
    } else {
        e->walk.nr_entries = 0;
        e->walk.entry_size = 0;
    }
    e->valid = true;
    return true;
}
