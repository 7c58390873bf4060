/*
 * page_aliases: one frame behind thousands of linear pages, a frame that is
 * data and page table at once, and a large sieve through 4 KiB mappings
 * that are torn down and built again: what kvm-unit-tests' rmap_chain and
 * sieve ask of the MMU, in 4-level paging.
 *
 *   - ALIASES linear pages at ALIAS_BASE all map one frame, writable: a
 *     write through each is seen through the first at once (under shadow
 *     paging every alias is a shadow entry of its own for that frame);
 *   - then that frame, still mapped ALIASES times, becomes a page table:
 *     a PDE points at it, entries written into it through an alias map
 *     pages, and a changed entry is used after INVLPG;
 *   - a sieve of Eratosthenes over SIEVE_BYTES counts the primes below
 *     them (82025 below 2^20): through the identity map, then through a
 *     window of 4 KiB pages at SIEVE_WINDOW mapped onto the same frames in
 *     two other orders, the window rebuilt (and INVLPG'd) between runs as
 *     a kernel's vmalloc/vfree would; each run must count right and leave
 *     each frame holding the part of the array its page maps.
 *
 * Expected under keel: pass on EPT and with shadow paging.  Bare: pass.
 */
#include <stdbool.h>
#include <stdint.h>

#include "lib/guest.h"
#include "lib/idt.h"
#include "lib/page_alloc.h"
#include "lib/pagetable.h"
#include "lib/paging.h"
#include "lib/paging_cpu.h"
#include "lib/report.h"
#include "lib/runner.h"
#include "lib/string.h"
#include "lib/x86.h"

#define LARGE_SIZE          (2u << 20)
#define ALIASES             8192u
#define ALIAS_BASE          0x40000000u
#define TABLE_WINDOW        0x7FE00000u     /* the PDE the aliased frame serves as a table for */
#define SIEVE_BYTES         (1u << 20)
#define SIEVE_PAGES         (SIEVE_BYTES / PAGE_SIZE)
#define SIEVE_PRIMES        82025u          /* primes below 2^20 */
#define SIEVE_WINDOW        0x80000000u
#define SIEVE_ORDERS        2u

static struct pt_space space;
static uint32_t aliased_frame;

/* ---- many mappings of one frame -------------------------------------------- */

static volatile uint32_t *alias(uint32_t i)
{
    return (volatile uint32_t *)(uintptr_t)(ALIAS_BASE + i * PAGE_SIZE);
}

static bool writes_through_every_alias_seen_at_once(void)
{
    aliased_frame = page_alloc();
    for (uint32_t i = 0; i < ALIASES; i++)
        pt_map(&space, ALIAS_BASE + i * PAGE_SIZE, aliased_frame, PT_PTE, PTE_P | PTE_RW);
    write_cr3(read_cr3());
    unsigned wrong = 0;
    for (uint32_t i = 0; i < ALIASES; i++) {
        *alias(i) = i ^ 0x5A5A0000u;
        uint32_t seen = *alias(0), direct = *(volatile uint32_t *)(uintptr_t)aliased_frame;
        if (seen != (i ^ 0x5A5A0000u) || direct != seen) {
            if (wrong++ < 4)
                printf("page_aliases: wrote 0x%x through alias %u, alias 0 reads 0x%x, the frame "
                       "0x%x\n", i ^ 0x5A5A0000u, i, seen, direct);
        }
    }
    printf("page_aliases: %u linear pages on frame 0x%x, %u wrong\n", ALIASES, aliased_frame,
           wrong);
    return wrong == 0;
}

/* The aliased frame becomes the page table for TABLE_WINDOW: its entries
 * are written through the aliases (8 bytes each, at index i), and the pages
 * they map are read through the window. */
static bool aliased_frame_serves_as_page_table(void)
{
    uint32_t frame_a = page_alloc(), frame_b = page_alloc();
    *(volatile uint32_t *)(uintptr_t)frame_a = 0xAAAA0001u;
    *(volatile uint32_t *)(uintptr_t)frame_b = 0xBBBB0002u;
    /* Every entry 0 first (the writes above left values in entry 0). */
    for (uint32_t i = 0; i < PAGE_SIZE / sizeof(uint64_t); i++) {
        volatile uint32_t *entry = (volatile uint32_t *)((uintptr_t)alias(i % ALIASES) + i * 8);
        entry[0] = 0;
        entry[1] = 0;
    }
    const uint32_t index = 37;
    volatile uint32_t *entry = (volatile uint32_t *)((uintptr_t)alias(1234) + index * 8);
    entry[0] = frame_a | (uint32_t)(PTE_P | PTE_RW);
    pt_set(&space, TABLE_WINDOW, PT_PDE, aliased_frame | PTE_P | PTE_RW);
    invlpg(TABLE_WINDOW + index * PAGE_SIZE);
    uint32_t first = *(volatile uint32_t *)(uintptr_t)(TABLE_WINDOW + index * PAGE_SIZE);
    /* Changed through another alias, then INVLPG. */
    entry = (volatile uint32_t *)((uintptr_t)alias(ALIASES - 1) + index * 8);
    entry[0] = frame_b | (uint32_t)(PTE_P | PTE_RW);
    invlpg(TABLE_WINDOW + index * PAGE_SIZE);
    uint32_t second = *(volatile uint32_t *)(uintptr_t)(TABLE_WINDOW + index * PAGE_SIZE);
    /* Written through the window: the frame the entry maps changes. */
    *(volatile uint32_t *)(uintptr_t)(TABLE_WINDOW + index * PAGE_SIZE) = 0xCCCC0003u;
    uint32_t in_b = *(volatile uint32_t *)(uintptr_t)frame_b;
    uint64_t entry_now = *(volatile uint64_t *)((uintptr_t)alias(0) + index * 8);
    pt_set(&space, TABLE_WINDOW, PT_PDE, 0);
    write_cr3(read_cr3());
    printf("page_aliases: through the table: 0x%x, after the change 0x%x; frame B 0x%x; entry "
           "0x%llx\n", first, second, in_b, entry_now);
    /* The CPU set A and D in the entry, in the aliased frame itself. */
    return first == 0xAAAA0001u && second == 0xBBBB0002u && in_b == 0xCCCC0003u &&
           (entry_now & (PTE_A | PTE_D)) == (PTE_A | PTE_D);
}

/* ---- the sieve ---------------------------------------------------------------- */

static uint32_t sieve_frames;           /* SIEVE_BYTES, contiguous, identity-mapped */

static uint32_t sieve(volatile uint8_t *data, uint32_t size)
{
    uint32_t primes = 0;
    for (uint32_t i = 0; i < size; i++)
        data[i] = 1;
    data[0] = data[1] = 0;
    for (uint32_t i = 2; i < size; i++) {
        if (!data[i])
            continue;
        primes++;
        for (uint32_t j = 2 * i; j < size; j += i)
            data[j] = 0;
    }
    return primes;
}

/* Window page p maps frame order(p) of the sieve's frames: a permutation
 * that differs with 'order' (multiplying by an odd number mod a power of
 * two is one). */
static uint32_t frame_of(uint32_t page, uint32_t order)
{
    static const uint32_t multipliers[SIEVE_ORDERS] = { 255, 3 };
    return (page * multipliers[order] + order * 77) % SIEVE_PAGES;
}

static bool sieve_identity(void)
{
    uint32_t primes = sieve((volatile uint8_t *)(uintptr_t)sieve_frames, SIEVE_BYTES);
    printf("page_aliases: sieve through the identity map: %u primes below %u\n", primes,
           SIEVE_BYTES);
    return primes == SIEVE_PRIMES;
}

/* The value data[i] must hold after the sieve: 1 for a prime. */
static bool is_prime(uint32_t n)
{
    if (n < 2)
        return false;
    for (uint32_t d = 2; d * d <= n; d++)
        if (n % d == 0)
            return false;
    return true;
}

static bool sieve_through_remapped_window(void)
{
    bool ok = true;
    for (uint32_t order = 0; order < SIEVE_ORDERS; order++) {
        for (uint32_t p = 0; p < SIEVE_PAGES; p++) {
            uint32_t linear = SIEVE_WINDOW + p * PAGE_SIZE;
            pt_map(&space, linear, sieve_frames + frame_of(p, order) * PAGE_SIZE, PT_PTE,
                   PTE_P | PTE_RW);
            invlpg(linear);
        }
        uint32_t primes = sieve((volatile uint8_t *)(uintptr_t)SIEVE_WINDOW, SIEVE_BYTES);
        /* Each frame holds its page's part: spot-check a few bytes of every
         * page through the identity map. */
        unsigned misplaced = 0;
        for (uint32_t p = 0; p < SIEVE_PAGES; p++) {
            const volatile uint8_t *frame =
                (const volatile uint8_t *)(uintptr_t)(sieve_frames + frame_of(p, order) *
                                                                         PAGE_SIZE);
            for (uint32_t k = 1; k < PAGE_SIZE; k += 1021) {
                uint32_t n = p * PAGE_SIZE + k;
                if (frame[k] != is_prime(n))
                    misplaced++;
            }
        }
        /* Torn down, as vfree() would. */
        for (uint32_t p = 0; p < SIEVE_PAGES; p++) {
            pt_set(&space, SIEVE_WINDOW + p * PAGE_SIZE, PT_PTE, 0);
            invlpg(SIEVE_WINDOW + p * PAGE_SIZE);
        }
        printf("page_aliases: sieve through the window, order %u: %u primes, %u bytes misplaced\n",
               order, primes, misplaced);
        ok = ok && primes == SIEVE_PRIMES && misplaced == 0;
    }
    return ok;
}

static const struct named_test tests[] = {
    { "page_aliases: a write through any of 8192 aliases is seen through the others",
      NEEDS_NOTHING, writes_through_every_alias_seen_at_once },
    { "page_aliases: the aliased frame as a page table: used, changed, A and D set",
      NEEDS_NOTHING, aliased_frame_serves_as_page_table },
    { "page_aliases: a 1 MiB sieve through the identity map counts 82025 primes",
      NEEDS_NOTHING, sieve_identity },
    { "page_aliases: the sieve through 4 KiB pages mapped in 2 orders, rebuilt between runs",
      NEEDS_NOTHING, sieve_through_remapped_window },
};

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    if (!cpu_has_long_mode())
        report_abort("page_aliases: the CPU has no IA-32e mode");
    uint32_t identity = (ram_end() + LARGE_SIZE - 1) & ~(LARGE_SIZE - 1);
    pt_init(&space, PT_MODE_4LEVEL);
    pt_map_range(&space, 0, 0, identity, PT_PDE, PTE_P | PTE_RW);
    sieve_frames = phys_alloc_aligned(SIEVE_BYTES, PAGE_SIZE);
    pt_enable(&space);
    run_tests(tests, ARRAY_SIZE(tests));
}
