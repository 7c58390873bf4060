/*
 * Host tests for guest/exit_stats.c and the inline exit_stats_record().
 *
 * Bucket edges are checked at every power of two (2^k - 1 and 2^k), not only
 * at a few samples; the rendered table is compared line for line with the
 * expected text, and alignment is also checked on its own: every value of a
 * numeric column ends where the column's title ends.
 */
#include "tests/unit/unit.h"

#include "guest/exit_stats.c"
#include "lib/format.c"
#include "vmx/vmx_names.c"

/* ---- Collecting rendered lines ----------------------------------------- */

#define MAX_LINES 128

struct collected {
    int n;
    char lines[MAX_LINES][EXIT_STATS_LINE_MAX];
};

static void collect_line(const char *text, void *ctx)
{
    struct collected *c = ctx;
    if (c->n < MAX_LINES)
        snprintf(c->lines[c->n], sizeof(c->lines[0]), "%s", text);
    c->n++;
}

/* Index of the line that starts with prefix, or -1. */
static int find_line(const struct collected *c, const char *prefix)
{
    for (int i = 0; i < c->n && i < MAX_LINES; i++)
        if (strncmp(c->lines[i], prefix, strlen(prefix)) == 0)
            return i;
    return -1;
}

static size_t count_char(const char *s, char ch)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == ch;
    return n;
}

/* Column k's right edge: the index just past the end of the k-th
 * blank-separated word of s (k from 0), or -1. */
static int word_end(const char *s, int k)
{
    int i = 0, word = -1;
    while (s[i]) {
        while (s[i] == ' ')
            i++;
        if (!s[i])
            break;
        word++;
        while (s[i] && s[i] != ' ')
            i++;
        if (word == k)
            return i;
    }
    return -1;
}

static struct exit_stats stats, other, merged;

static void fresh(struct exit_stats *s)
{
    memset(s, 0xa5, sizeof(*s));        /* reset must not rely on zeroed memory */
    exit_stats_reset(s);
}

/* ---- Buckets ----------------------------------------------------------- */

TEST(bucket_of_small_values)
{
    CHECK_EQ_U(exit_stats_bucket(0), 0);
    CHECK_EQ_U(exit_stats_bucket(1), 0);
    CHECK_EQ_U(exit_stats_bucket(2), 1);
    CHECK_EQ_U(exit_stats_bucket(3), 1);
    CHECK_EQ_U(exit_stats_bucket(4), 2);
    CHECK_EQ_U(exit_stats_bucket(7), 2);
    CHECK_EQ_U(exit_stats_bucket(8), 3);
}

TEST(bucket_edges_at_every_power_of_two)
{
    for (unsigned k = 1; k < 64; k++) {
        uint64_t p = (uint64_t)1 << k;
        unsigned below = k - 1 < EXIT_STATS_LAST_BUCKET ? k - 1 : EXIT_STATS_LAST_BUCKET;
        unsigned at = k < EXIT_STATS_LAST_BUCKET ? k : EXIT_STATS_LAST_BUCKET;
        if (exit_stats_bucket(p - 1) != below || exit_stats_bucket(p) != at ||
            exit_stats_bucket(p + 1) != at)
            UNIT_FAIL("2^%u: buckets %zu %zu %zu, expected %u %u %u", k,
                      exit_stats_bucket(p - 1), exit_stats_bucket(p), exit_stats_bucket(p + 1),
                      below, at, at);
    }
}

TEST(bucket_of_large_values_is_the_last)
{
    CHECK_EQ_U(exit_stats_bucket(((uint64_t)1 << 31) - 1), 30);
    CHECK_EQ_U(exit_stats_bucket((uint64_t)1 << 31), EXIT_STATS_LAST_BUCKET);
    CHECK_EQ_U(exit_stats_bucket((uint64_t)1 << 32), EXIT_STATS_LAST_BUCKET);
    CHECK_EQ_U(exit_stats_bucket(UINT64_MAX), EXIT_STATS_LAST_BUCKET);
    CHECK_EQ_U(EXIT_STATS_LAST_BUCKET, 31);
}

TEST(bucket_bounds_match_the_bucket_function)
{
    CHECK_EQ_U(exit_stats_bucket_low(0), 0);
    CHECK_EQ_U(exit_stats_bucket_high(0), 2);
    CHECK_EQ_U(exit_stats_bucket_low(6), 64);
    CHECK_EQ_U(exit_stats_bucket_high(6), 128);
    CHECK_EQ_U(exit_stats_bucket_low(EXIT_STATS_LAST_BUCKET), (uint64_t)1 << 31);
    CHECK_EQ_U(exit_stats_bucket_high(EXIT_STATS_LAST_BUCKET), UINT64_MAX);
    for (unsigned b = 0; b < EXIT_STATS_BUCKETS; b++) {
        CHECK_EQ_U(exit_stats_bucket(exit_stats_bucket_low(b)), b);
        CHECK_EQ_U(exit_stats_bucket(exit_stats_bucket_high(b) - 1), b);
        if (b < EXIT_STATS_LAST_BUCKET)
            CHECK_EQ_U(exit_stats_bucket_high(b), exit_stats_bucket_low(b + 1));
    }
}

/* ---- Recording --------------------------------------------------------- */

TEST(reset_empties_everything)
{
    fresh(&stats);
    for (unsigned r = 0; r < NR_EXIT_REASONS; r++) {
        const struct exit_reason_stats *rs = &stats.reason[r];
        CHECK_EQ_U(rs->count, 0);
        CHECK_EQ_U(rs->total, 0);
        CHECK_EQ_U(rs->min, UINT64_MAX);
        CHECK_EQ_U(rs->max, 0);
        for (unsigned b = 0; b < EXIT_STATS_BUCKETS; b++)
            CHECK_EQ_U(rs->hist[b], 0);
    }
    CHECK_EQ_U(stats.out_of_range, 0);
}

TEST(record_keeps_count_total_min_max_and_buckets)
{
    fresh(&stats);
    exit_stats_record(&stats, EXIT_REASON_CPUID, 300);
    exit_stats_record(&stats, EXIT_REASON_CPUID, 100);
    exit_stats_record(&stats, EXIT_REASON_CPUID, 200);
    const struct exit_reason_stats *r = &stats.reason[EXIT_REASON_CPUID];
    CHECK_EQ_U(r->count, 3);
    CHECK_EQ_U(r->total, 600);
    CHECK_EQ_U(r->min, 100);
    CHECK_EQ_U(r->max, 300);
    CHECK_EQ_U(exit_stats_mean(r), 200);
    CHECK_EQ_U(r->hist[6], 1);          /* 100 in [64, 128) */
    CHECK_EQ_U(r->hist[7], 1);          /* 200 in [128, 256) */
    CHECK_EQ_U(r->hist[8], 1);          /* 300 in [256, 512) */
    uint64_t in_buckets = 0;
    for (unsigned b = 0; b < EXIT_STATS_BUCKETS; b++)
        in_buckets += r->hist[b];
    CHECK_EQ_U(in_buckets, 3);
}

TEST(record_extremes_zero_and_uint64_max)
{
    fresh(&stats);
    exit_stats_record(&stats, EXIT_REASON_HLT, UINT64_MAX);
    exit_stats_record(&stats, EXIT_REASON_HLT, 0);
    const struct exit_reason_stats *r = &stats.reason[EXIT_REASON_HLT];
    CHECK_EQ_U(r->min, 0);
    CHECK_EQ_U(r->max, UINT64_MAX);
    CHECK_EQ_U(r->hist[0], 1);
    CHECK_EQ_U(r->hist[EXIT_STATS_LAST_BUCKET], 1);
    CHECK_EQ_U(r->total, UINT64_MAX);
}

TEST(one_exit_is_its_own_min_mean_and_max)
{
    fresh(&stats);
    exit_stats_record(&stats, EXIT_REASON_RDTSC, 4242);
    const struct exit_reason_stats *r = &stats.reason[EXIT_REASON_RDTSC];
    CHECK_EQ_U(r->min, 4242);
    CHECK_EQ_U(r->max, 4242);
    CHECK_EQ_U(exit_stats_mean(r), 4242);
}

TEST(mean_rounds_down_and_is_zero_without_exits)
{
    fresh(&stats);
    CHECK_EQ_U(exit_stats_mean(&stats.reason[EXIT_REASON_CPUID]), 0);
    exit_stats_record(&stats, EXIT_REASON_CPUID, 1);
    exit_stats_record(&stats, EXIT_REASON_CPUID, 2);
    CHECK_EQ_U(exit_stats_mean(&stats.reason[EXIT_REASON_CPUID]), 1);
    exit_stats_record(&stats, EXIT_REASON_CPUID, 3);
    CHECK_EQ_U(exit_stats_mean(&stats.reason[EXIT_REASON_CPUID]), 2);
}

TEST(reasons_are_kept_apart)
{
    fresh(&stats);
    exit_stats_record(&stats, EXIT_REASON_CPUID, 10);
    exit_stats_record(&stats, EXIT_REASON_TDCALL, 20);      /* the last defined reason */
    exit_stats_record(&stats, EXIT_REASON_EXCEPTION_NMI, 30);
    for (unsigned r = 0; r < NR_EXIT_REASONS; r++) {
        bool used = r == EXIT_REASON_CPUID || r == EXIT_REASON_TDCALL ||
                    r == EXIT_REASON_EXCEPTION_NMI;
        CHECK_EQ_U(stats.reason[r].count, used ? 1 : 0);
    }
    CHECK_EQ_U(stats.reason[EXIT_REASON_TDCALL].max, 20);
    CHECK_EQ_U(stats.reason[EXIT_REASON_EXCEPTION_NMI].min, 30);
}

TEST(out_of_range_reasons_touch_nothing_else)
{
    fresh(&stats);
    fresh(&other);
    exit_stats_record(&stats, NR_EXIT_REASONS, 5);
    exit_stats_record(&stats, 0xffff, 5);
    exit_stats_record(&stats, 0xffffffffu, 5);
    CHECK_EQ_U(stats.out_of_range, 3);
    CHECK(memcmp(stats.reason, other.reason, sizeof(stats.reason)) == 0);
}

/* ---- Merging ----------------------------------------------------------- */

TEST(merge_sums_counts_and_keeps_extremes)
{
    fresh(&stats);
    fresh(&other);
    fresh(&merged);
    exit_stats_record(&stats, EXIT_REASON_CPUID, 100);
    exit_stats_record(&stats, EXIT_REASON_CPUID, 5000);
    exit_stats_record(&stats, NR_EXIT_REASONS + 1, 1);
    exit_stats_record(&other, EXIT_REASON_CPUID, 50);
    exit_stats_record(&other, EXIT_REASON_CPUID, 700);
    exit_stats_record(&other, EXIT_REASON_HLT, 9);

    exit_stats_merge(&merged, &stats);
    exit_stats_merge(&merged, &other);
    const struct exit_reason_stats *c = &merged.reason[EXIT_REASON_CPUID];
    CHECK_EQ_U(c->count, 4);
    CHECK_EQ_U(c->total, 5850);
    CHECK_EQ_U(c->min, 50);
    CHECK_EQ_U(c->max, 5000);
    CHECK_EQ_U(exit_stats_mean(c), 1462);
    CHECK_EQ_U(c->hist[5], 1);          /* 50 */
    CHECK_EQ_U(c->hist[6], 1);          /* 100 */
    CHECK_EQ_U(c->hist[9], 1);          /* 700 */
    CHECK_EQ_U(c->hist[12], 1);         /* 5000 */
    CHECK_EQ_U(merged.reason[EXIT_REASON_HLT].count, 1);
    CHECK_EQ_U(merged.reason[EXIT_REASON_HLT].min, 9);
    CHECK_EQ_U(merged.out_of_range, 1);
    /* The sources are left alone. */
    CHECK_EQ_U(stats.reason[EXIT_REASON_CPUID].count, 2);
    CHECK_EQ_U(other.reason[EXIT_REASON_CPUID].min, 50);
}

TEST(merging_an_empty_vcpu_changes_nothing)
{
    fresh(&stats);
    fresh(&other);
    exit_stats_record(&stats, EXIT_REASON_CPUID, 100);
    memcpy(&merged, &stats, sizeof(stats));
    exit_stats_merge(&merged, &other);
    CHECK(memcmp(&merged, &stats, sizeof(stats)) == 0);
    /* And an empty destination takes the source as it is. */
    fresh(&merged);
    exit_stats_merge(&merged, &stats);
    CHECK(memcmp(&merged, &stats, sizeof(stats)) == 0);
}

TEST(all_reasons_adds_every_reason)
{
    fresh(&stats);
    exit_stats_record(&stats, EXIT_REASON_CPUID, 10);
    exit_stats_record(&stats, EXIT_REASON_HLT, 1000);
    exit_stats_record(&stats, EXIT_REASON_IO_INSTRUCTION, 4);
    exit_stats_record(&stats, NR_EXIT_REASONS, 77777);     /* not timed */
    struct exit_reason_stats all;
    exit_stats_all_reasons(&stats, &all);
    CHECK_EQ_U(all.count, 3);
    CHECK_EQ_U(all.total, 1014);
    CHECK_EQ_U(all.min, 4);
    CHECK_EQ_U(all.max, 1000);
    CHECK_EQ_U(all.hist[2], 1);
    CHECK_EQ_U(all.hist[3], 1);
    CHECK_EQ_U(all.hist[9], 1);
}

/* ---- Rendering --------------------------------------------------------- */

TEST(render_without_exits_is_one_line)
{
    struct collected c = { 0 };
    fresh(&stats);
    exit_stats_render(&stats, "TSC cycles", 20, collect_line, &c);
    CHECK_EQ_I(c.n, 1);
    CHECK_STR(c.lines[0], "no exits recorded");
}

static void record_sample(struct exit_stats *s)
{
    fresh(s);
    exit_stats_record(s, EXIT_REASON_CPUID, 900);
    exit_stats_record(s, EXIT_REASON_CPUID, 1500);
    exit_stats_record(s, EXIT_REASON_CPUID, 1000);
    exit_stats_record(s, EXIT_REASON_IO_INSTRUCTION, 250000);
    exit_stats_record(s, EXIT_REASON_IO_INSTRUCTION, 3);
}

TEST(render_table_text)
{
    struct collected c = { 0 };
    record_sample(&stats);
    exit_stats_render(&stats, "TSC cycles", 0, collect_line, &c);
    CHECK_EQ_I(c.n, 4);
    CHECK_STR(c.lines[0], "reason          count  min    mean     max  (TSC cycles)");
    CHECK_STR(c.lines[1], "CPUID               3  900    1133    1500");
    CHECK_STR(c.lines[2], "IO_INSTRUCTION      2    3  125001  250000");
    CHECK_STR(c.lines[3], "total               5    3   50680  250000");
}

TEST(render_rows_follow_reason_numbers)
{
    struct collected c = { 0 };
    fresh(&stats);
    exit_stats_record(&stats, EXIT_REASON_EPT_VIOLATION, 1);        /* 48 */
    exit_stats_record(&stats, EXIT_REASON_CPUID, 1);                /* 10 */
    exit_stats_record(&stats, EXIT_REASON_EXCEPTION_NMI, 1);        /* 0 */
    exit_stats_render(&stats, "ticks", 0, collect_line, &c);
    CHECK_EQ_I(c.n, 5);
    CHECK(strncmp(c.lines[1], "EXCEPTION_NMI ", 14) == 0);
    CHECK(strncmp(c.lines[2], "CPUID ", 6) == 0);
    CHECK(strncmp(c.lines[3], "EPT_VIOLATION ", 14) == 0);
    CHECK(strncmp(c.lines[4], "total ", 6) == 0);
}

TEST(render_columns_stay_aligned_with_huge_values)
{
    struct collected c = { 0 };
    fresh(&stats);
    exit_stats_record(&stats, EXIT_REASON_TPR_BELOW_THRESHOLD, UINT64_MAX);
    exit_stats_record(&stats, EXIT_REASON_HLT, 0);
    exit_stats_record(&stats, EXIT_REASON_CPUID, 123456789);
    exit_stats_render(&stats, "Bochs ticks", 0, collect_line, &c);
    CHECK_EQ_I(c.n, 5);
    /* Every numeric column (words 1..4) ends where its title ends. */
    for (int line = 1; line < c.n; line++)
        for (int col = 1; col <= 4; col++)
            if (word_end(c.lines[line], col) != word_end(c.lines[0], col))
                UNIT_FAIL("line %d column %d ends at %d, its title at %d: \"%s\"", line, col,
                          word_end(c.lines[line], col), word_end(c.lines[0], col),
                          c.lines[line]);
    /* Names are left-aligned: the widest name sets the first column. */
    CHECK(strstr(c.lines[0], "reason               count") == c.lines[0]);
    CHECK(strstr(c.lines[0], "(Bochs ticks)") != NULL);
    CHECK(strstr(c.lines[3], "18446744073709551615") != NULL);
}

TEST(render_without_unit_has_no_parentheses)
{
    struct collected c = { 0 };
    record_sample(&stats);
    exit_stats_render(&stats, NULL, 0, collect_line, &c);
    CHECK_STR(c.lines[0], "reason          count  min    mean     max");
    c.n = 0;
    exit_stats_render(&stats, "", 0, collect_line, &c);
    CHECK_STR(c.lines[0], "reason          count  min    mean     max");
}

TEST(render_histogram_bars)
{
    struct collected c = { 0 };
    record_sample(&stats);
    exit_stats_record(&stats, EXIT_REASON_CPUID, 600);
    exit_stats_record(&stats, EXIT_REASON_CPUID, 700);
    exit_stats_record(&stats, EXIT_REASON_CPUID, 800);
    /* CPUID: [512, 1024) holds 600 700 800 900 1000, [1024, 2048) 1500;
     * 1 of 5 is 3.2 marks of 16, rounded up. */
    exit_stats_render(&stats, "TSC cycles", 16, collect_line, &c);
    int cpuid = find_line(&c, "CPUID");
    CHECK(cpuid == 1);
    if (cpuid != 1)
        return;
    CHECK_STR(c.lines[2], "    [ 512, 1024) ################ 5");
    CHECK_STR(c.lines[3], "    [1024, 2048) ####             1");
    CHECK(strncmp(c.lines[4], "IO_INSTRUCTION", 14) == 0);
    /* IO_INSTRUCTION: 3 in [2, 4), 250000 in [131072, 262144), the 15
     * empty buckets between shown with no bar. */
    CHECK_STR(c.lines[5], "    [     2,      4) ################ 1");
    CHECK_STR(c.lines[6], "    [     4,      8)                  0");
    CHECK_STR(c.lines[20], "    [ 65536, 131072)                  0");
    CHECK_STR(c.lines[21], "    [131072, 262144) ################ 1");
    CHECK(strncmp(c.lines[22], "total", 5) == 0);
    CHECK_EQ_I(c.n, 23);
}

TEST(render_histogram_small_bucket_gets_one_mark)
{
    struct collected c = { 0 };
    fresh(&stats);
    for (int i = 0; i < 1000; i++)
        exit_stats_record(&stats, EXIT_REASON_HLT, 10);
    exit_stats_record(&stats, EXIT_REASON_HLT, 0);
    exit_stats_render(&stats, NULL, 10, collect_line, &c);
    CHECK_STR(c.lines[2], "    [ 0,  2) #             1");
    CHECK_STR(c.lines[3], "    [ 2,  4)               0");
    CHECK_STR(c.lines[5], "    [ 8, 16) ########## 1000");
}

TEST(render_histogram_last_bucket_is_open)
{
    struct collected c = { 0 };
    fresh(&stats);
    exit_stats_record(&stats, EXIT_REASON_HLT, UINT64_MAX);
    exit_stats_record(&stats, EXIT_REASON_HLT, (uint64_t)1 << 40);
    exit_stats_render(&stats, NULL, 4, collect_line, &c);
    CHECK_STR(c.lines[2], "    [2147483648,        inf) #### 2");
}

TEST(render_histogram_width_is_capped)
{
    struct collected c = { 0 };
    fresh(&stats);
    exit_stats_record(&stats, EXIT_REASON_CPUID, 5);
    exit_stats_render(&stats, NULL, 1000, collect_line, &c);
    CHECK_EQ_U(count_char(c.lines[2], '#'), EXIT_STATS_BAR_MAX);
}

TEST(bar_length_scales_without_overflow)
{
    CHECK_EQ_U(bar_length(0, 10, 20), 0);
    CHECK_EQ_U(bar_length(10, 10, 20), 20);
    CHECK_EQ_U(bar_length(5, 10, 20), 10);
    CHECK_EQ_U(bar_length(1, 3, 20), 7);                    /* 6.67 rounds up */
    CHECK_EQ_U(bar_length(1, 1000000, 20), 1);              /* never invisible */
    CHECK_EQ_U(bar_length(UINT64_MAX, UINT64_MAX, 64), 64);
    CHECK_EQ_U(bar_length(UINT64_MAX / 2, UINT64_MAX, 64), 32);
    CHECK_EQ_U(bar_length(1, UINT64_MAX, 64), 1);
}

TEST(render_mentions_out_of_range_exits)
{
    struct collected c = { 0 };
    fresh(&stats);
    exit_stats_record(&stats, NR_EXIT_REASONS, 1);
    exit_stats_record(&stats, NR_EXIT_REASONS + 5, 1);
    exit_stats_render(&stats, "TSC cycles", 0, collect_line, &c);
    CHECK_EQ_I(c.n, 1);
    CHECK_STR(c.lines[0], "2 exit(s) with a reason number of 78 or more: counted, not timed");

    c.n = 0;
    exit_stats_record(&stats, EXIT_REASON_CPUID, 1);
    exit_stats_render(&stats, "TSC cycles", 0, collect_line, &c);
    CHECK_EQ_I(c.n, 4);
    CHECK(strncmp(c.lines[2], "total", 5) == 0);
    CHECK(strncmp(c.lines[3], "2 exit(s)", 9) == 0);
}

TEST(render_cuts_a_long_unit_label)
{
    struct collected c = { 0 };
    char unit[600];
    memset(unit, 'u', sizeof(unit) - 1);
    unit[sizeof(unit) - 1] = '\0';
    record_sample(&stats);
    exit_stats_render(&stats, unit, 0, collect_line, &c);
    CHECK_EQ_U(strlen(c.lines[0]), EXIT_STATS_LINE_MAX - 1);
    CHECK(strncmp(c.lines[0], "reason          count", 21) == 0);
}
