/*
 * paging_bench: page-table-heavy workloads, timed with RDTSC, for comparing
 * keel's EPT and shadow paging (and watching what each costs in exits).
 *
 * In each paging mode (32-bit, PAE, 4-level; the last one enters IA-32e
 * mode, so it runs last) the guest builds SPACES address spaces.  Each maps
 * PAGES 4 KiB pages at 0x40000000 onto a pool of 256 frames, a different
 * frame per space for the same page, and every (space, page) pair owns one
 * word of its frame.  Phases:
 *   cold    the first round: MOV CR3 to each space in turn, touch (read and
 *           write) its word in every page; every translation is new;
 *   switch  ROUNDS - 1 more such rounds;
 *   invlpg  in space 0, INVLPG_ROUNDS times: INVLPG a page, then touch it.
 * Each phase prints one machine-readable line:
 *   BENCH paging_<mode>_<phase> ticks=N touches=N cr3_loads=N invlpgs=N
 * followed, under keel, by the exits the phase caused (hypercall 2):
 *   exits_cr_access=N exits_invlpg=N exits_exception_nmi=N exits_ept_violation=N
 * Then one check per mode: every word holds the number of touches its
 * (space, page) pair made, so a stale translation after a switch or an
 * INVLPG shows up as a FAIL.
 *
 * Guest arguments: rounds=N (default 4), pages=N (1..4096, default 4096),
 * mode=32bit|pae|4level (default: all three).  RDTSC ticks: on Bochs one
 * tick per instruction, so Bochs numbers are path lengths, not time.
 */
#include <stdbool.h>
#include <stdint.h>

#include "lib/cmdline.h"
#include "lib/guest.h"
#include "lib/keel.h"
#include "lib/page_alloc.h"
#include "lib/pagetable.h"
#include "lib/paging.h"
#include "lib/paging_cpu.h"
#include "lib/report.h"
#include "lib/runner.h"
#include "lib/string.h"
#include "lib/x86.h"

#ifndef EXIT_REASON_EXCEPTION_NMI
#define EXIT_REASON_EXCEPTION_NMI 0u
#endif
#ifndef EXIT_REASON_INVLPG
#define EXIT_REASON_INVLPG 14u
#endif
#ifndef EXIT_REASON_EPT_VIOLATION
#define EXIT_REASON_EPT_VIOLATION 48u
#endif

#define BENCH_VA        0x40000000u
#define SPACES          8u
#define MAX_PAGES       4096u
#define POOL_FRAMES     256u
#define DEFAULT_ROUNDS  4u
#define INVLPG_ROUNDS   4u
#define FRAME_STRIDE    31u     /* space s starts its frames 31*s into the pool */
#define WORDS_PER_PAGE  (PAGE_SIZE / sizeof(uint32_t))

struct bench_config {
    uint32_t rounds;
    uint32_t pages;
};

/* The exit reasons the report lines show, in their order. */
static const struct {
    const char *name;
    uint32_t reason;
} counted_exits[] = {
    { "cr_access", EXIT_REASON_CR_ACCESS },
    { "invlpg", EXIT_REASON_INVLPG },
    { "exception_nmi", EXIT_REASON_EXCEPTION_NMI },
    { "ept_violation", EXIT_REASON_EPT_VIOLATION },
};

#define NR_COUNTED_EXITS (sizeof(counted_exits) / sizeof(counted_exits[0]))

struct phase_counters {
    uint64_t tsc;
    uint32_t exits[NR_COUNTED_EXITS];
};

struct phase_work {
    uint32_t touches;
    uint32_t cr3_loads;
    uint32_t invlpgs;
};

static uint32_t pool[POOL_FRAMES];

/* ---- the mapping: which word each (space, page) pair owns ------------------- */

static uint32_t frame_of(uint32_t space, uint32_t page)
{
    return pool[(page + FRAME_STRIDE * space) % POOL_FRAMES];
}

/* Pages that share a frame in one space are POOL_FRAMES apart; spaces that
 * share it differ in 'space': (page / POOL_FRAMES, space) is unique per
 * frame, and below WORDS_PER_PAGE for MAX_PAGES pages. */
static uint32_t word_of(uint32_t space, uint32_t page)
{
    return (page / POOL_FRAMES) * SPACES + space;
}

_Static_assert((MAX_PAGES / POOL_FRAMES) * SPACES <= WORDS_PER_PAGE,
               "every (space, page) pair needs a word of its own");

static volatile uint32_t *word_address(uint32_t space, uint32_t page)
{
    return (volatile uint32_t *)(uintptr_t)(BENCH_VA + page * PAGE_SIZE +
                                            word_of(space, page) * sizeof(uint32_t));
}

static volatile uint32_t *word_in_frame(uint32_t space, uint32_t page)
{
    return (volatile uint32_t *)(uintptr_t)(frame_of(space, page) +
                                            word_of(space, page) * sizeof(uint32_t));
}

/* ---- address spaces ---------------------------------------------------------------- */

static enum pt_level identity_level(enum pt_mode mode)
{
    return mode != PT_MODE_32BIT || cpu_has_pse() ? PT_PDE : PT_PTE;
}

/* The identity map of RAM, then the benchmark's pages, in one hierarchy. */
static struct pt_space build_space(enum pt_mode mode, const struct pt_space *identity,
                                   uint32_t identity_bytes, uint32_t space, uint32_t pages)
{
    struct pt_space s;
    pt_init(&s, mode);
    if (mode == PT_MODE_32BIT) {
        uint32_t span = (uint32_t)pt_level_span(mode, PT_PDE);
        for (uint32_t va = 0; va < identity_bytes; va += span)
            pt_share(&s, identity, va, PT_PDE);
    } else {
        pt_share(&s, identity, 0, PT_PDPTE);
    }
    for (uint32_t p = 0; p < pages; p++)
        pt_map(&s, BENCH_VA + p * PAGE_SIZE, frame_of(space, p), PT_PTE, PTE_P | PTE_RW);
    return s;
}

/* ---- measuring ------------------------------------------------------------------- */

static void read_counters(struct phase_counters *c)
{
    for (size_t i = 0; i < NR_COUNTED_EXITS; i++)
        c->exits[i] = is_keel() ? keel_exit_count(counted_exits[i].reason) : 0;
    c->tsc = rdtsc();
}

static void print_phase(const char *mode, const char *phase, const struct phase_counters *start,
                        const struct phase_counters *end, const struct phase_work *work)
{
    printf("BENCH paging_%s_%s ticks=%llu touches=%u cr3_loads=%u invlpgs=%u", mode, phase,
           (unsigned long long)(end->tsc - start->tsc), work->touches, work->cr3_loads,
           work->invlpgs);
    if (is_keel()) {
        for (size_t i = 0; i < NR_COUNTED_EXITS; i++)
            printf(" exits_%s=%u", counted_exits[i].name, end->exits[i] - start->exits[i]);
    }
    printf("\n");
}

/* ---- the workloads ------------------------------------------------------------- */

static void touch(uint32_t space, uint32_t page)
{
    volatile uint32_t *w = word_address(space, page);
    *w = *w + 1;
}

static void switching_rounds(const struct pt_space *spaces, uint32_t rounds, uint32_t pages,
                             struct phase_work *work)
{
    for (uint32_t r = 0; r < rounds; r++) {
        for (uint32_t s = 0; s < SPACES; s++) {
            pt_activate(&spaces[s]);
            work->cr3_loads++;
            for (uint32_t p = 0; p < pages; p++)
                touch(s, p);
            work->touches += pages;
        }
    }
}

static void invlpg_rounds(const struct pt_space *space0, uint32_t pages, struct phase_work *work)
{
    pt_activate(space0);
    work->cr3_loads++;
    for (uint32_t r = 0; r < INVLPG_ROUNDS; r++) {
        for (uint32_t p = 0; p < pages; p++) {
            invlpg(BENCH_VA + p * PAGE_SIZE);
            touch(0, p);
        }
        work->invlpgs += pages;
        work->touches += pages;
    }
}

/* Every word holds the touches of its pair: all rounds, plus the INVLPG
 * phase's for space 0. */
static bool every_touch_reached_its_word(const struct bench_config *cfg)
{
    uint32_t wrong = 0;
    for (uint32_t s = 0; s < SPACES; s++) {
        for (uint32_t p = 0; p < cfg->pages; p++) {
            uint32_t expected = cfg->rounds + (s == 0 ? INVLPG_ROUNDS : 0);
            uint32_t got = *word_in_frame(s, p);
            if (got != expected && wrong++ < 4)
                printf("paging_bench: space %u page %u: word holds %u, expected %u\n", s, p,
                       got, expected);
        }
    }
    return wrong == 0;
}

static void run_mode(enum pt_mode mode, const char *label, const struct bench_config *cfg)
{
    for (uint32_t i = 0; i < POOL_FRAMES; i++)
        memset((void *)(uintptr_t)pool[i], 0, PAGE_SIZE);

    enum pt_level leaf = identity_level(mode);
    uint32_t span = (uint32_t)pt_level_span(mode, leaf);
    uint32_t identity_bytes = (ram_end() + span - 1) & ~(span - 1);
    struct pt_space identity;
    pt_init(&identity, mode);
    pt_map_range(&identity, 0, 0, identity_bytes, leaf, PTE_P | PTE_RW);
    struct pt_space spaces[SPACES];
    for (uint32_t s = 0; s < SPACES; s++)
        spaces[s] = build_space(mode, &identity, identity_bytes, s, cfg->pages);

    if (read_cr0() & CR0_PG)
        write_cr0(read_cr0() & ~CR0_PG);
    pt_enable(&spaces[0]);

    struct phase_counters start, end;
    struct phase_work cold = { 0 }, warm = { 0 }, inv = { 0 };
    read_counters(&start);
    switching_rounds(spaces, 1, cfg->pages, &cold);
    read_counters(&end);
    print_phase(label, "cold", &start, &end, &cold);

    read_counters(&start);
    switching_rounds(spaces, cfg->rounds - 1, cfg->pages, &warm);
    read_counters(&end);
    print_phase(label, "switch", &start, &end, &warm);

    read_counters(&start);
    invlpg_rounds(&spaces[0], cfg->pages, &inv);
    read_counters(&end);
    print_phase(label, "invlpg", &start, &end, &inv);

    report(every_touch_reached_its_word(cfg),
           "paging_bench: %s: %u spaces x %u pages x %u rounds + %u INVLPG rounds: every "
           "touch reached its own word", label, SPACES, cfg->pages, cfg->rounds, INVLPG_ROUNDS);
}

/* ---- configuration -------------------------------------------------------------- */

static uint32_t decimal_argument(const char *key, uint32_t fallback, uint32_t min, uint32_t max)
{
    uint64_t v;
    if (!cmdline_decimal(guest_cmdline(), key, &v))
        return fallback;
    if (v < min || v > max)
        report_abort("paging_bench: %s=%llu outside %u..%u", key, (unsigned long long)v, min,
                     max);
    return (uint32_t)v;
}

static bool mode_selected(const char *label)
{
    size_t len;
    const char *mode = cmdline_value(guest_cmdline(), "mode", &len);
    return !mode || (len == strlen(label) && !strncmp(mode, label, len));
}

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    struct bench_config cfg = {
        .rounds = decimal_argument("rounds", DEFAULT_ROUNDS, 1, 1000),
        .pages = decimal_argument("pages", MAX_PAGES, 1, MAX_PAGES),
    };
    for (uint32_t i = 0; i < POOL_FRAMES; i++)
        pool[i] = page_alloc();
    printf("paging_bench: %u spaces, %u pages each at 0x%08x, %u rounds, %u INVLPG rounds; "
           "%s\n", SPACES, cfg.pages, BENCH_VA, cfg.rounds, INVLPG_ROUNDS,
           is_keel() ? "under keel: exit counts follow each line" : "bare: no exit counts");

    static const struct {
        enum pt_mode mode;
        const char *label;
        bool (*available)(void);
        const char *missing;
    } modes[] = {
        { PT_MODE_32BIT, "32bit", NULL, NULL },
        { PT_MODE_PAE, "pae", cpu_has_pae, "no PAE" },
        { PT_MODE_4LEVEL, "4level", cpu_has_long_mode, "no long mode" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
        if (!mode_selected(modes[i].label))
            continue;
        if (modes[i].available && !modes[i].available())
            report_skip("paging_bench: %s (%s)", modes[i].label, modes[i].missing);
        else
            run_mode(modes[i].mode, modes[i].label, &cfg);
    }
}
