/*
 * Host tests for guest/insn_cache.c: hits only while the key, every
 * remembered paging-structure entry and every byte of the instruction still
 * hold; what cannot be cached is refused; entries replace each other per
 * slot.  Guest memory is a small array; bytes next to its end stand for
 * what lies beyond guest RAM and must never be read.
 */
#include "tests/unit/unit.h"

#include "guest/insn_cache.c"
#include "guest/insn_decode.c"

#define RAM_SIZE        (16u * INSN_CACHE_PAGE_SIZE)
#define CODE_GPA        0x3010u         /* where the tests' instruction lies */
#define CODE_LINEAR     0x40003010u     /* its linear address with paging on */
#define PDE_GPA         0x1000u         /* 32-bit paging: CR3 = 0x1000 */
#define PTE_GPA         0x2400u
#define PDE_VALUE       0x2023u         /* page table at 0x2000, P RW A */
#define PTE_VALUE       0x3023u         /* frame 0x3000, P RW A */
#define TEST_CR3        0x1000u
#define PAGING_ON       1u

/* Guest RAM, and a guard after it: RAM_SIZE bytes are the guest's, the
 * rest is outside (under ASan, a read there from the cache would be found
 * only if it ran past the array, so the tests also check results). */
#define GUARD_SIZE 64u
static uint8_t ram[RAM_SIZE + GUARD_SIZE];
static const struct insn_cache_ram guest_ram = { ram, RAM_SIZE };

static struct insn_cache cache;

/* A fresh cache and zeroed RAM. */
static void reset(void)
{
    memset(ram, 0, sizeof(ram));
    insn_cache_clear(&cache);
}

static struct insn_cache_key flat_key(uint64_t rip_linear)
{
    return (struct insn_cache_key){ .rip_linear = rip_linear, .mode = CPU_MODE_32 };
}

static struct insn_cache_key paged_key(uint64_t rip_linear)
{
    return (struct insn_cache_key){ .rip_linear = rip_linear, .cr3 = TEST_CR3,
                                    .paging = PAGING_ON, .mode = CPU_MODE_32 };
}

/* Writes bytes at gpa and decodes them in 32-bit mode. */
static struct insn place(uint64_t gpa, const uint8_t *bytes, size_t len)
{
    struct insn in;
    memcpy(ram + gpa, bytes, len);
    int err = insn_decode(bytes, len, CPU_MODE_32, &in);
    CHECK_EQ_I(err, 0);
    CHECK_EQ_U(in.length, len);
    return in;
}

/* The instruction of the entry a lookup finds, or NULL. */
static const struct insn *lookup(const struct insn_cache_key *key)
{
    const struct insn_cache_entry *e = insn_cache_lookup(&cache, key, &guest_ram);
    return e ? &e->insn : NULL;
}

/* mov dword ptr [eax], 0x11223344 */
static const uint8_t mov_imm[] = { 0xc7, 0x00, 0x44, 0x33, 0x22, 0x11 };
/* mov edx, dword ptr [eax] */
static const uint8_t mov_load[] = { 0x8b, 0x10 };

/* The two-level walk of 32-bit paging for CODE_LINEAR, entries in RAM. */
static struct insn_cache_walk two_level_walk(void)
{
    uint32_t pde = PDE_VALUE, pte = PTE_VALUE;
    memcpy(ram + PDE_GPA, &pde, sizeof(pde));
    memcpy(ram + PTE_GPA, &pte, sizeof(pte));
    return (struct insn_cache_walk){
        .nr_entries = 2,
        .entry_size = 4,
        .entry_addr = { PDE_GPA, PTE_GPA },
        .entry = { PDE_VALUE, PTE_VALUE },
    };
}

TEST(empty_cache_misses)
{
    reset();
    struct insn_cache_key key = flat_key(CODE_GPA);
    CHECK(lookup(&key) == NULL);
}

TEST(hit_returns_the_decoded_instruction)
{
    reset();
    struct insn in = place(CODE_GPA, mov_imm, sizeof(mov_imm));
    struct insn_cache_key key = flat_key(CODE_GPA);
    CHECK(insn_cache_insert(&cache, &key, CODE_GPA, mov_imm, &in, 0, NULL));
    const struct insn *got = lookup(&key);
    CHECK(got != NULL);
    if (got) {
        CHECK_EQ_U(got->length, sizeof(mov_imm));
        CHECK_EQ_U(got->op, INSN_MOV_TO_MEM);
        CHECK_EQ_I(got->imm, 0x11223344);
        CHECK_EQ_U(got->mem.seg, in.mem.seg);
        CHECK(got->mem.has_base && got->mem.base == GPR_RAX);
        CHECK_EQ_U(got->op_size, 4);
    }
}

/* The caller's traits come back with the instruction, and a refreshed entry
 * takes the new ones. */
TEST(hit_returns_the_traits)
{
    reset();
    struct insn in = place(CODE_GPA, mov_imm, sizeof(mov_imm));
    struct insn_cache_key key = flat_key(CODE_GPA);
    CHECK(insn_cache_insert(&cache, &key, CODE_GPA, mov_imm, &in, 0x5a, NULL));
    const struct insn_cache_entry *got = insn_cache_lookup(&cache, &key, &guest_ram);
    CHECK(got != NULL);
    if (got) {
        CHECK_EQ_U(got->traits, 0x5a);
        CHECK(got->insn.op == INSN_MOV_TO_MEM);
    }
    CHECK(insn_cache_insert(&cache, &key, CODE_GPA, mov_imm, &in, 3, NULL));
    got = insn_cache_lookup(&cache, &key, &guest_ram);
    CHECK(got != NULL && got->traits == 3);
}

/* Self-modifying code: a changed immediate must not reuse the old decode. */
TEST(patched_bytes_miss_and_restored_bytes_hit)
{
    reset();
    struct insn in = place(CODE_GPA, mov_imm, sizeof(mov_imm));
    struct insn_cache_key key = flat_key(CODE_GPA);
    CHECK(insn_cache_insert(&cache, &key, CODE_GPA, mov_imm, &in, 0, NULL));
    ram[CODE_GPA + 5] = 0x99;
    CHECK(lookup(&key) == NULL);
    ram[CODE_GPA + 5] = mov_imm[5];
    CHECK(lookup(&key) != NULL);
}

TEST(bytes_after_the_instruction_do_not_matter)
{
    reset();
    struct insn in = place(CODE_GPA, mov_load, sizeof(mov_load));
    struct insn_cache_key key = flat_key(CODE_GPA);
    CHECK(insn_cache_insert(&cache, &key, CODE_GPA, mov_load, &in, 0, NULL));
    ram[CODE_GPA + sizeof(mov_load)] = 0xcc;
    ram[CODE_GPA - 1] = 0xcc;
    CHECK(lookup(&key) != NULL);
}

/* Every length from 1 to 15 and every byte in it: a change anywhere is a
 * miss (the overlapping windows of same_bytes() leave no byte out). */
TEST(a_change_to_any_byte_of_any_length_misses)
{
    for (unsigned len = 1; len <= INSN_MAX_LENGTH; len++) {
        for (unsigned pos = 0; pos < len; pos++) {
            reset();
            uint8_t bytes[INSN_MAX_LENGTH];
            for (unsigned i = 0; i < len; i++)
                bytes[i] = (uint8_t)(0x10 + i);
            memcpy(ram + CODE_GPA, bytes, len);
            /* A hand-made decode result: only its length matters here. */
            struct insn in = { .length = (uint8_t)len, .op = INSN_MOV_TO_MEM };
            struct insn_cache_key key = flat_key(CODE_GPA);
            CHECK(insn_cache_insert(&cache, &key, CODE_GPA, bytes, &in, 0, NULL));
            CHECK(lookup(&key) != NULL);
            ram[CODE_GPA + pos] ^= 0x80;
            if (lookup(&key) != NULL)
                UNIT_FAIL("length %u: a change at byte %u was not seen", len, pos);
        }
    }
}

TEST(same_bytes_compares_exactly_len_bytes)
{
    uint8_t a[16], b[16];
    for (unsigned i = 0; i < 16; i++)
        a[i] = b[i] = (uint8_t)i;
    b[15] = 0xff;       /* beyond every len below but 16 */
    for (unsigned len = 0; len <= 15; len++)
        CHECK(same_bytes(a, b, len));
    CHECK(!same_bytes(a, b, 16));
}

TEST(every_key_field_matters)
{
    reset();
    struct insn in = place(CODE_GPA, mov_load, sizeof(mov_load));
    struct insn_cache_key key = flat_key(CODE_GPA);
    CHECK(insn_cache_insert(&cache, &key, CODE_GPA, mov_load, &in, 0, NULL));
    CHECK(lookup(&key) != NULL);

    struct insn_cache_key other = key;
    other.mode = CPU_MODE_16;
    CHECK(lookup(&other) == NULL);
    other = key;
    other.mode = CPU_MODE_64;
    CHECK(lookup(&other) == NULL);
    other = key;
    other.paging = PAGING_ON;
    CHECK(lookup(&other) == NULL);
    other = key;
    other.rip_linear = CODE_GPA + 1;
    CHECK(lookup(&other) == NULL);
    /* Only same_key() stands between a different CR3 and a hit when both
     * land in one set: find such a CR3. */
    other = key;
    for (other.cr3 = 0x1000; set_index(&other) != set_index(&key); other.cr3 += 0x1000)
        ;
    CHECK(lookup(&other) == NULL);
}

TEST(paged_hit_needs_every_walk_entry_unchanged)
{
    reset();
    struct insn_cache_walk walk = two_level_walk();
    struct insn in = place(CODE_GPA, mov_imm, sizeof(mov_imm));
    struct insn_cache_key key = paged_key(CODE_LINEAR);
    CHECK(insn_cache_insert(&cache, &key, CODE_GPA, mov_imm, &in, 0, &walk));
    CHECK(lookup(&key) != NULL);

    /* The PTE now maps another frame, and the old frame still holds the
     * old code: the bytes alone would not show it. */
    uint32_t moved = PTE_VALUE + INSN_CACHE_PAGE_SIZE;
    memcpy(ram + PTE_GPA, &moved, sizeof(moved));
    CHECK(lookup(&key) == NULL);
    uint32_t pte = PTE_VALUE;
    memcpy(ram + PTE_GPA, &pte, sizeof(pte));
    CHECK(lookup(&key) != NULL);

    /* The guest cleared the PDE's accessed flag: a walk would set it again,
     * so it is a miss. */
    uint32_t pde = PDE_VALUE & ~0x20u;
    memcpy(ram + PDE_GPA, &pde, sizeof(pde));
    CHECK(lookup(&key) == NULL);
    pde = PDE_VALUE;
    memcpy(ram + PDE_GPA, &pde, sizeof(pde));
    CHECK(lookup(&key) != NULL);
}

TEST(walk_entries_compare_at_their_own_size)
{
    reset();
    struct insn_cache_walk walk = two_level_walk();
    struct insn in = place(CODE_GPA, mov_load, sizeof(mov_load));
    struct insn_cache_key key = paged_key(CODE_LINEAR);
    CHECK(insn_cache_insert(&cache, &key, CODE_GPA, mov_load, &in, 0, &walk));
    /* The next 32-bit entry in the table is none of this walk's business. */
    ram[PTE_GPA + 4] = 0x67;
    CHECK(lookup(&key) != NULL);

    /* 8-byte entries: a change in the high half counts. */
    reset();
    uint64_t pde64 = PDE_VALUE, pte64 = PTE_VALUE;
    memcpy(ram + PDE_GPA, &pde64, sizeof(pde64));
    memcpy(ram + PTE_GPA, &pte64, sizeof(pte64));
    struct insn_cache_walk pae = { .nr_entries = 2, .entry_size = 8,
                                   .entry_addr = { PDE_GPA, PTE_GPA },
                                   .entry = { PDE_VALUE, PTE_VALUE } };
    in = place(CODE_GPA, mov_load, sizeof(mov_load));
    CHECK(insn_cache_insert(&cache, &key, CODE_GPA, mov_load, &in, 0, &pae));
    CHECK(lookup(&key) != NULL);
    ram[PTE_GPA + 7] = 0x80;    /* XD */
    CHECK(lookup(&key) == NULL);
}

TEST(entries_or_bytes_outside_ram_miss)
{
    reset();
    struct insn_cache_walk walk = two_level_walk();
    struct insn in = place(CODE_GPA, mov_load, sizeof(mov_load));
    struct insn_cache_key key = paged_key(CODE_LINEAR);
    walk.entry_addr[0] = RAM_SIZE;
    CHECK(insn_cache_insert(&cache, &key, CODE_GPA, mov_load, &in, 0, &walk));
    CHECK(lookup(&key) == NULL);

    reset();
    in = place(CODE_GPA, mov_load, sizeof(mov_load));
    key = flat_key(RAM_SIZE + CODE_GPA);
    CHECK(insn_cache_insert(&cache, &key, RAM_SIZE + CODE_GPA, mov_load, &in, 0, NULL));
    CHECK(lookup(&key) == NULL);
}

/* A walk entry that ends at the last byte of RAM is read; one that starts
 * a byte further ends outside RAM and is a miss, for either entry size
 * (RAM a few bytes short of a page, so the further one lies in the guard). */
TEST(walk_entries_at_the_end_of_ram)
{
    const struct insn_cache_ram short_ram = { ram, RAM_SIZE - 6 };
    for (unsigned size = 4; size <= 8; size += 4) {
        reset();
        uint64_t at = short_ram.size - size, value = 0x3023;
        memcpy(ram + at, &value, size);
        struct insn in = place(CODE_GPA, mov_load, sizeof(mov_load));
        struct insn_cache_key key = paged_key(CODE_LINEAR);
        struct insn_cache_walk walk = { .nr_entries = 1, .entry_size = size,
                                        .entry_addr = { at }, .entry = { value } };
        CHECK(insn_cache_insert(&cache, &key, CODE_GPA, mov_load, &in, 0, &walk));
        CHECK(insn_cache_lookup(&cache, &key, &short_ram) != NULL);
        memcpy(ram + at + 1, &value, size);
        walk.entry_addr[0] = at + 1;
        CHECK(insn_cache_insert(&cache, &key, CODE_GPA, mov_load, &in, 0, &walk));
        CHECK(insn_cache_lookup(&cache, &key, &short_ram) == NULL);
    }
}

/* The last bytes of RAM: the comparison needs nothing past them. */
TEST(instruction_at_the_end_of_ram_hits)
{
    reset();
    uint64_t gpa = RAM_SIZE - sizeof(mov_imm);
    struct insn in = place(gpa, mov_imm, sizeof(mov_imm));
    struct insn_cache_key key = flat_key(gpa);
    CHECK(insn_cache_insert(&cache, &key, gpa, mov_imm, &in, 0, NULL));
    memset(ram + RAM_SIZE, 0xcc, GUARD_SIZE);
    CHECK(lookup(&key) != NULL);

    /* RAM that ends inside a page: an instruction one byte further ends
     * outside it, whatever the bytes beyond hold. */
    reset();
    const struct insn_cache_ram short_ram = { ram, RAM_SIZE - 2 * sizeof(mov_imm) };
    gpa = short_ram.size - sizeof(mov_imm);
    for (unsigned shift = 0; shift <= 1; shift++) {
        uint64_t at = gpa + shift;
        in = place(at, mov_imm, sizeof(mov_imm));
        key = flat_key(at);
        CHECK(insn_cache_insert(&cache, &key, at, mov_imm, &in, 0, NULL));
        const struct insn_cache_entry *got = insn_cache_lookup(&cache, &key, &short_ram);
        CHECK(shift == 0 ? got != NULL : got == NULL);
    }
}

TEST(page_crossing_instructions_are_not_cached)
{
    reset();
    uint64_t last_fit = 2 * INSN_CACHE_PAGE_SIZE - sizeof(mov_imm);
    struct insn in = place(last_fit, mov_imm, sizeof(mov_imm));
    struct insn_cache_key key = flat_key(last_fit);
    CHECK(insn_cache_insert(&cache, &key, last_fit, mov_imm, &in, 0, NULL));
    CHECK(lookup(&key) != NULL);

    uint64_t crossing = last_fit + 1;
    in = place(crossing, mov_imm, sizeof(mov_imm));
    key = flat_key(crossing);
    CHECK(!insn_cache_insert(&cache, &key, crossing, mov_imm, &in, 0, NULL));
    CHECK(lookup(&key) == NULL);
}

TEST(insert_refuses_what_it_cannot_check)
{
    reset();
    struct insn in = place(CODE_GPA, mov_load, sizeof(mov_load));
    struct insn_cache_key key = paged_key(CODE_LINEAR);
    /* Paging on but no walk to check. */
    CHECK(!insn_cache_insert(&cache, &key, CODE_GPA, mov_load, &in, 0, NULL));
    struct insn_cache_walk none = { 0 };
    CHECK(!insn_cache_insert(&cache, &key, CODE_GPA, mov_load, &in, 0, &none));
    CHECK(lookup(&key) == NULL);

    struct insn_cache_walk walk = two_level_walk();
    struct insn_cache_walk too_deep = walk;
    too_deep.nr_entries = PT_MAX_LEVELS + 1;
    CHECK(!insn_cache_insert(&cache, &key, CODE_GPA, mov_load, &in, 0, &too_deep));
    struct insn_cache_walk odd_size = walk;
    odd_size.entry_size = 2;
    CHECK(!insn_cache_insert(&cache, &key, CODE_GPA, mov_load, &in, 0, &odd_size));

    struct insn empty = in;
    empty.length = 0;
    CHECK(!insn_cache_insert(&cache, &key, CODE_GPA, mov_load, &empty, 0, &walk));
    struct insn too_long = in;
    too_long.length = INSN_MAX_LENGTH + 1;
    CHECK(!insn_cache_insert(&cache, &key, CODE_GPA, mov_load, &too_long, 0, &walk));
    CHECK(lookup(&key) == NULL);

    CHECK(insn_cache_insert(&cache, &key, CODE_GPA, mov_load, &in, 0, &walk));
    CHECK(lookup(&key) != NULL);
}

/* Instructions at count addresses from CODE_GPA on that all hash to the
 * set of the first, each a whole mov_imm within one page. */
static void addresses_in_one_set(uint64_t *gpa, unsigned count)
{
    uint64_t at = CODE_GPA;
    struct insn_cache_key first = flat_key(at);
    for (unsigned i = 0; i < count; i++) {
        while (crosses_page(at, sizeof(mov_imm)) ||
               set_index(&(struct insn_cache_key){ .rip_linear = at, .mode = CPU_MODE_32 }) !=
                   set_index(&first))
            at++;
        CHECK(at + sizeof(mov_imm) <= RAM_SIZE);
        gpa[i] = at;
        at += sizeof(mov_imm);
    }
}

/* Inserts the mov_imm at gpa, with its immediate made unique by i. */
static void insert_mov_imm_at(uint64_t gpa, unsigned i)
{
    uint8_t bytes[sizeof(mov_imm)];
    memcpy(bytes, mov_imm, sizeof(bytes));
    bytes[2] = (uint8_t)i;
    struct insn in = place(gpa, bytes, sizeof(bytes));
    struct insn_cache_key key = flat_key(gpa);
    CHECK(insn_cache_insert(&cache, &key, gpa, bytes, &in, 0, NULL));
}

static const struct insn *lookup_at(uint64_t gpa)
{
    struct insn_cache_key key = flat_key(gpa);
    return lookup(&key);
}

/* Two instructions in one set stay together; a third replaces the one
 * inserted first; each hit returns its own instruction. */
TEST(a_set_keeps_the_two_newest)
{
    reset();
    uint64_t gpa[INSN_CACHE_WAYS + 1];
    addresses_in_one_set(gpa, INSN_CACHE_WAYS + 1);
    for (unsigned i = 0; i < INSN_CACHE_WAYS; i++)
        insert_mov_imm_at(gpa[i], i);
    for (unsigned i = 0; i < INSN_CACHE_WAYS; i++) {
        const struct insn *got = lookup_at(gpa[i]);
        CHECK(got != NULL && (uint8_t)got->imm == i);
    }
    insert_mov_imm_at(gpa[INSN_CACHE_WAYS], INSN_CACHE_WAYS);
    CHECK(lookup_at(gpa[0]) == NULL);
    for (unsigned i = 1; i <= INSN_CACHE_WAYS; i++) {
        const struct insn *got = lookup_at(gpa[i]);
        CHECK(got != NULL && (uint8_t)got->imm == i);
    }
}

/* A stale entry is refreshed where it is: the other instruction of its
 * set, older, stays. */
TEST(a_redecoded_instruction_replaces_its_own_entry)
{
    reset();
    uint64_t gpa[INSN_CACHE_WAYS];
    addresses_in_one_set(gpa, INSN_CACHE_WAYS);
    insert_mov_imm_at(gpa[0], 0);
    insert_mov_imm_at(gpa[1], 1);
    /* gpa[1]'s code is patched, misses, and is inserted again. */
    insert_mov_imm_at(gpa[1], 0x41);
    const struct insn *got = lookup_at(gpa[1]);
    CHECK(got != NULL && (uint8_t)got->imm == 0x41);
    got = lookup_at(gpa[0]);
    CHECK(got != NULL && (uint8_t)got->imm == 0);
}

/* A driver's register accesses sit a few bytes apart: eight instructions
 * in a row must all stay cached together. */
TEST(neighbouring_instructions_do_not_evict_each_other)
{
    reset();
    enum { NEIGHBOURS = 8 };
    struct insn in = place(CODE_GPA, mov_load, sizeof(mov_load));
    for (unsigned i = 0; i < NEIGHBOURS; i++) {
        uint64_t gpa = CODE_GPA + i * sizeof(mov_load);
        memcpy(ram + gpa, mov_load, sizeof(mov_load));
        struct insn_cache_key key = flat_key(gpa);
        CHECK(insn_cache_insert(&cache, &key, gpa, mov_load, &in, 0, NULL));
    }
    for (unsigned i = 0; i < NEIGHBOURS; i++) {
        struct insn_cache_key key = flat_key(CODE_GPA + i * sizeof(mov_load));
        if (lookup(&key) == NULL)
            UNIT_FAIL("instruction %u was evicted", i);
    }
}

TEST(clear_empties_the_cache)
{
    reset();
    struct insn in = place(CODE_GPA, mov_load, sizeof(mov_load));
    struct insn_cache_key key = flat_key(CODE_GPA);
    CHECK(insn_cache_insert(&cache, &key, CODE_GPA, mov_load, &in, 0, NULL));
    CHECK(lookup(&key) != NULL);
    insn_cache_clear(&cache);
    CHECK(lookup(&key) == NULL);
}
