/*
 * Per-vCPU VM-exit statistics (guest/exit_stats.c): pure logic, host-tested.
 *
 * For each basic exit reason (SDM vol. 3D appendix C) keel keeps how many
 * exits there were and how long each one kept the guest out: the ticks from
 * the VM exit to the next VM entry of the same vCPU, as the backend measures
 * them (TSC cycles on hardware; under Bochs the TSC advances with emulated
 * instructions, so the caller names the unit when rendering).  Kept per
 * reason: count, total, min, max and a log2 histogram; the mean is worked out
 * only when a report is rendered.
 *
 * exit_stats_record() runs on every exit, so it is inline and short: no
 * division, no loop; a well-predicted branch for the reason's range check
 * and one each for a new minimum and maximum, which are rare once a reason
 * has a few exits (a branch not taken is cheaper than CMOV's load-compare-
 * move-store, and under Bochs every instruction counts).  Inlined in keel's
 * exit path by gcc 12.2 with -O2 and keel's kernel flags it is 20 x86-64
 * instructions when neither extreme moves: the range check (3), the
 * reason's address (3), the log2 bucket (OR, BSR, and a CMP + CMOVA clamp
 * with its constant: 5), 3 read-modify-write ADDs (count, total, bucket),
 * 2 CMP + 2 JAE (min, max) and 2 moves.  It touches 32 bytes (count,
 * total, min, max) and one histogram word of the reason.
 *
 * A struct exit_stats belongs to one vCPU and is updated only by the CPU
 * running that vCPU; a VM's figures are the exit_stats_merge() of its vCPUs.
 * At about 22 KiB it is too big for a kernel stack: keep the struct a merge
 * goes into in static storage.
 */
#ifndef KEEL_GUEST_EXIT_STATS_H
#define KEEL_GUEST_EXIT_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "vmx/exit_reasons.h"

/*
 * Histogram bucket i counts latencies in [2^i, 2^(i+1)); bucket 0 also
 * counts 0, so it is [0, 2).  32 buckets because that spans every latency
 * worth telling apart: a VM exit keel handles in place costs about 2^10 to
 * 2^12 cycles on current CPUs, one that ends in emulated device output about
 * 2^17 to 2^21, and 2^31 cycles is already half a second or more at 2 to
 * 4 GHz, time spent waiting (HLT) or running other VMs rather than handling
 * the exit.  So the last bucket is open-ended, [2^31, infinity): those exits
 * are counted there and max still holds the exact worst case.  32 buckets of
 * 8 bytes are 256 bytes per reason, about 22 KiB per vCPU in all.
 */
#define EXIT_STATS_BUCKETS          32
#define EXIT_STATS_LAST_BUCKET      (EXIT_STATS_BUCKETS - 1)

/* Bit index of the most significant bit of a uint64_t: floor(log2(x)) is
 * this minus the count of leading zeros of x. */
#define EXIT_STATS_TICKS_TOP_BIT    63u

/* The histogram bars exit_stats_render() draws are at most this wide. */
#define EXIT_STATS_BAR_MAX          64u

/* The longest line exit_stats_render() produces, with its NUL; a longer unit
 * label is cut. */
#define EXIT_STATS_LINE_MAX         256

/* One exit reason's figures.  total wraps only after 2^64 ticks (about 190
 * years of TSC cycles at 3 GHz), so no overflow check is made. */
struct exit_reason_stats {
    uint64_t count;
    uint64_t total;             /* sum of the latencies, for the mean */
    uint64_t min;               /* UINT64_MAX while count is 0 */
    uint64_t max;               /* 0 while count is 0 */
    uint64_t hist[EXIT_STATS_BUCKETS];
};

struct exit_stats {
    struct exit_reason_stats reason[NR_EXIT_REASONS];   /* by basic exit reason */
    /* Calls with a reason >= NR_EXIT_REASONS (one a newer CPU may define):
     * counted here so nothing is lost silently, but not timed. */
    uint64_t out_of_range;
};

/* The histogram bucket of a latency: floor(log2(ticks)), 0 for 0 and 1,
 * EXIT_STATS_LAST_BUCKET for everything from 2^31 up.  OR-ing in bit 0
 * leaves floor(log2) of every ticks >= 2 unchanged, maps 0 onto 1, and keeps
 * the argument of __builtin_clzll non-zero (its result is undefined for 0). */
static inline size_t exit_stats_bucket(uint64_t ticks)
{
    size_t msb = EXIT_STATS_TICKS_TOP_BIT - (size_t)__builtin_clzll(ticks | 1u);
    return msb < EXIT_STATS_LAST_BUCKET ? msb : EXIT_STATS_LAST_BUCKET;
}

/*
 * Counts one exit: reason is the basic exit reason (bits 15:0 of the
 * exit-reason field, SDM vol. 3C 28.2.1), ticks its exit-to-entry latency.
 * s must have been through exit_stats_reset() once.
 */
static inline void exit_stats_record(struct exit_stats *s, unsigned reason, uint64_t ticks)
{
    if (__builtin_expect(reason >= NR_EXIT_REASONS, 0)) {
        s->out_of_range++;
        return;
    }
    struct exit_reason_stats *r = &s->reason[reason];
    /* One register for the address: gcc 12 would otherwise work it out
     * again after each conditional store. */
    __asm__("" : "+r"(r));
    size_t bucket = exit_stats_bucket(ticks);
    r->count++;
    r->total += ticks;
    if (ticks < r->min)
        r->min = ticks;
    if (ticks > r->max)
        r->max = ticks;
    r->hist[bucket]++;
}

/* Empties s: every count 0, every min UINT64_MAX. */
void exit_stats_reset(struct exit_stats *s);

/* Adds src into dst (counts, totals and histograms summed; min and max of
 * both).  A VM's statistics: reset a struct, then merge each vCPU's. */
void exit_stats_merge(struct exit_stats *dst, const struct exit_stats *src);

/* Mean latency, rounded down; 0 when r->count is 0. */
uint64_t exit_stats_mean(const struct exit_reason_stats *r);

/* The figures of every reason together (out_of_range exits are not in it:
 * they have no latency). */
void exit_stats_all_reasons(const struct exit_stats *s, struct exit_reason_stats *out);

/* Lower and upper bound of histogram bucket i, as in the comment at
 * EXIT_STATS_BUCKETS; the last bucket's upper bound is UINT64_MAX and is
 * inclusive, the others' exclusive. */
uint64_t exit_stats_bucket_low(unsigned bucket);
uint64_t exit_stats_bucket_high(unsigned bucket);

/*
 * Renders s as a table, one line() call per line, no trailing newline:
 *
 *   reason          count  min    mean     max  (TSC cycles)
 *   CPUID               3  900    1133    1500
 *       [ 512, 1024) ################ 2
 *       [1024, 2048) ########         1
 *   IO_INSTRUCTION      2    3  125001  250000
 *       ...
 *   total               5    3   50680  250000
 *
 * Only reasons with exits get a row, in reason-number order, then a "total"
 * row.  Columns are as wide as their widest entry: names left-aligned,
 * numbers right-aligned.  unit is printed after the header, in parentheses
 * ("TSC cycles", "Bochs ticks"); NULL or "" prints nothing.  bar_width 0
 * leaves out the histograms; otherwise each reason row is followed by its
 * buckets from the first to the last non-empty one (the empty ones between
 * included, so gaps show), each drawn as a bar of '#' scaled so the fullest
 * bucket is bar_width long (at most EXIT_STATS_BAR_MAX; a non-empty bucket
 * gets at least one '#'), then its count.  Exits counted in out_of_range add
 * a last line saying so.  With no exits at all there is one line, "no exits
 * recorded".
 */
void exit_stats_render(const struct exit_stats *s, const char *unit, unsigned bar_width,
                       void (*line)(const char *text, void *ctx), void *ctx);

#endif
