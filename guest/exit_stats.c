/*
 * VM-exit statistics: bookkeeping and the report table (contract in
 * guest/exit_stats.h; the per-exit update is inline there).
 *
 * The table is laid out in two passes over the same rows: the first measures
 * every column, the second prints, so columns line up whatever the values.
 */
#include "guest/exit_stats.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/format.h"
#include "lib/string.h"
#include "vmx/exit_reasons.h"

#define COLUMN_GAP          "  "
#define HIST_INDENT         "    "
#define INFINITY_TEXT       "inf"
#define TOTAL_ROW_NAME      "total"
#define NAME_COLUMN_TITLE   "reason"
/* A uint64_t in decimal: 20 digits and the NUL. */
#define U64_TEXT_MAX        21

/* ---- Bookkeeping -------------------------------------------------------- */

static void reason_stats_reset(struct exit_reason_stats *r)
{
    memset(r, 0, sizeof(*r));
    r->min = UINT64_MAX;
}

static void reason_stats_merge(struct exit_reason_stats *dst, const struct exit_reason_stats *src)
{
    dst->count += src->count;
    dst->total += src->total;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
    for (unsigned b = 0; b < EXIT_STATS_BUCKETS; b++)
        dst->hist[b] += src->hist[b];
}

void exit_stats_reset(struct exit_stats *s)
{
    for (unsigned reason = 0; reason < NR_EXIT_REASONS; reason++)
        reason_stats_reset(&s->reason[reason]);
    s->out_of_range = 0;
}

void exit_stats_merge(struct exit_stats *dst, const struct exit_stats *src)
{
    for (unsigned reason = 0; reason < NR_EXIT_REASONS; reason++)
        reason_stats_merge(&dst->reason[reason], &src->reason[reason]);
    dst->out_of_range += src->out_of_range;
}

uint64_t exit_stats_mean(const struct exit_reason_stats *r)
{
    return r->count ? r->total / r->count : 0;
}

void exit_stats_all_reasons(const struct exit_stats *s, struct exit_reason_stats *out)
{
    reason_stats_reset(out);
    for (unsigned reason = 0; reason < NR_EXIT_REASONS; reason++)
        reason_stats_merge(out, &s->reason[reason]);
}

uint64_t exit_stats_bucket_low(unsigned bucket)
{
    if (bucket == 0)
        return 0;
    if (bucket > EXIT_STATS_LAST_BUCKET)
        bucket = EXIT_STATS_LAST_BUCKET;
    return (uint64_t)1 << bucket;
}

uint64_t exit_stats_bucket_high(unsigned bucket)
{
    if (bucket >= EXIT_STATS_LAST_BUCKET)
        return UINT64_MAX;
    return (uint64_t)1 << (bucket + 1);
}

/* ---- Building lines ----------------------------------------------------- */

/* One output line; text that does not fit is cut, never overrun. */
struct line_buf {
    char text[EXIT_STATS_LINE_MAX];
    size_t len;
};

static void line_init(struct line_buf *b)
{
    b->text[0] = '\0';
    b->len = 0;
}

__attribute__((format(printf, 2, 3)))
static void line_append(struct line_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(b->text + b->len, sizeof(b->text) - b->len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    b->len += (size_t)n;
    if (b->len >= sizeof(b->text))
        b->len = sizeof(b->text) - 1;
}

static int stats_decimal_width(uint64_t v)
{
    int width = 1;
    while (v >= 10) {
        v /= 10;
        width++;
    }
    return width;
}

static int stats_max_int(int a, int b)
{
    return a > b ? a : b;
}

/* ---- The table ---------------------------------------------------------- */

enum stats_column { COL_COUNT, COL_MIN, COL_MEAN, COL_MAX, NR_STATS_COLUMNS };

static const char *const column_titles[NR_STATS_COLUMNS] = {
    [COL_COUNT] = "count",
    [COL_MIN] = "min",
    [COL_MEAN] = "mean",
    [COL_MAX] = "max",
};

struct table_layout {
    int name_width;
    int column_width[NR_STATS_COLUMNS];
};

static void row_values(const struct exit_reason_stats *r, uint64_t v[NR_STATS_COLUMNS])
{
    v[COL_COUNT] = r->count;
    v[COL_MIN] = r->min;
    v[COL_MEAN] = exit_stats_mean(r);
    v[COL_MAX] = r->max;
}

static void layout_init(struct table_layout *t)
{
    t->name_width = stats_max_int((int)strlen(NAME_COLUMN_TITLE), (int)strlen(TOTAL_ROW_NAME));
    for (unsigned c = 0; c < NR_STATS_COLUMNS; c++)
        t->column_width[c] = (int)strlen(column_titles[c]);
}

static void layout_fit_row(struct table_layout *t, const char *name,
                           const struct exit_reason_stats *r)
{
    uint64_t v[NR_STATS_COLUMNS];
    row_values(r, v);
    t->name_width = stats_max_int(t->name_width, (int)strlen(name));
    for (unsigned c = 0; c < NR_STATS_COLUMNS; c++)
        t->column_width[c] = stats_max_int(t->column_width[c], stats_decimal_width(v[c]));
}

static void render_header(const struct table_layout *t, const char *unit,
                          void (*line)(const char *text, void *ctx), void *ctx)
{
    struct line_buf b;
    line_init(&b);
    line_append(&b, "%-*s", t->name_width, NAME_COLUMN_TITLE);
    for (unsigned c = 0; c < NR_STATS_COLUMNS; c++)
        line_append(&b, COLUMN_GAP "%*s", t->column_width[c], column_titles[c]);
    if (unit && unit[0])
        line_append(&b, COLUMN_GAP "(%s)", unit);
    line(b.text, ctx);
}

static void render_row(const struct table_layout *t, const char *name,
                       const struct exit_reason_stats *r,
                       void (*line)(const char *text, void *ctx), void *ctx)
{
    uint64_t v[NR_STATS_COLUMNS];
    struct line_buf b;
    row_values(r, v);
    line_init(&b);
    line_append(&b, "%-*s", t->name_width, name);
    for (unsigned c = 0; c < NR_STATS_COLUMNS; c++)
        line_append(&b, COLUMN_GAP "%*llu", t->column_width[c], (unsigned long long)v[c]);
    line(b.text, ctx);
}

/* ---- Histograms --------------------------------------------------------- */

/* ceil(count * width / fullest), at least 1 for a non-empty bucket.  When
 * count * width could overflow, both counts lose low bits first: the bar
 * length is only width-precise anyway. */
static unsigned bar_length(uint64_t count, uint64_t fullest, unsigned width)
{
    if (count == 0 || fullest == 0)
        return 0;
    while (fullest > UINT64_MAX / width) {
        fullest >>= 1;
        count >>= 1;
    }
    uint64_t scaled = count * width;
    uint64_t len = scaled / fullest;
    if (len * fullest < scaled)
        len++;
    return len ? (unsigned)len : 1;
}

static void bound_text(char *buf, size_t size, unsigned bucket, bool high)
{
    if (high && bucket >= EXIT_STATS_LAST_BUCKET)
        ksnprintf(buf, size, "%s", INFINITY_TEXT);
    else
        ksnprintf(buf, size, "%llu",
                  (unsigned long long)(high ? exit_stats_bucket_high(bucket)
                                            : exit_stats_bucket_low(bucket)));
}

static void render_histogram(const struct exit_reason_stats *r, unsigned bar_width,
                             void (*line)(const char *text, void *ctx), void *ctx)
{
    unsigned first = EXIT_STATS_BUCKETS, last = 0;
    uint64_t fullest = 0;
    for (unsigned b = 0; b < EXIT_STATS_BUCKETS; b++) {
        if (!r->hist[b])
            continue;
        if (first == EXIT_STATS_BUCKETS)
            first = b;
        last = b;
        if (r->hist[b] > fullest)
            fullest = r->hist[b];
    }
    if (first == EXIT_STATS_BUCKETS)
        return;

    char low[U64_TEXT_MAX], high[U64_TEXT_MAX];
    int bound_width = 0;
    for (unsigned b = first; b <= last; b++) {
        bound_text(low, sizeof(low), b, false);
        bound_text(high, sizeof(high), b, true);
        bound_width = stats_max_int(bound_width, stats_max_int((int)strlen(low), (int)strlen(high)));
    }
    int count_width = stats_decimal_width(fullest);

    for (unsigned b = first; b <= last; b++) {
        char bar[EXIT_STATS_BAR_MAX + 1];
        unsigned len = bar_length(r->hist[b], fullest, bar_width);
        memset(bar, '#', len);
        bar[len] = '\0';
        bound_text(low, sizeof(low), b, false);
        bound_text(high, sizeof(high), b, true);

        struct line_buf lb;
        line_init(&lb);
        line_append(&lb, HIST_INDENT "[%*s, %*s) %-*s %*llu", bound_width, low, bound_width,
                    high, (int)bar_width, bar, count_width, (unsigned long long)r->hist[b]);
        line(lb.text, ctx);
    }
}

/* ---- The report --------------------------------------------------------- */

void exit_stats_render(const struct exit_stats *s, const char *unit, unsigned bar_width,
                       void (*line)(const char *text, void *ctx), void *ctx)
{
    struct exit_reason_stats all;
    exit_stats_all_reasons(s, &all);
    if (all.count == 0 && s->out_of_range == 0) {
        line("no exits recorded", ctx);
        return;
    }
    if (bar_width > EXIT_STATS_BAR_MAX)
        bar_width = EXIT_STATS_BAR_MAX;

    struct table_layout t;
    layout_init(&t);
    for (unsigned reason = 0; reason < NR_EXIT_REASONS; reason++)
        if (s->reason[reason].count)
            layout_fit_row(&t, exit_reason_name(reason), &s->reason[reason]);
    if (all.count)
        layout_fit_row(&t, TOTAL_ROW_NAME, &all);

    if (all.count) {
        render_header(&t, unit, line, ctx);
        for (unsigned reason = 0; reason < NR_EXIT_REASONS; reason++) {
            const struct exit_reason_stats *r = &s->reason[reason];
            if (!r->count)
                continue;
            render_row(&t, exit_reason_name(reason), r, line, ctx);
            if (bar_width)
                render_histogram(r, bar_width, line, ctx);
        }
        render_row(&t, TOTAL_ROW_NAME, &all, line, ctx);
    }
    if (s->out_of_range) {
        struct line_buf b;
        line_init(&b);
        line_append(&b, "%llu exit(s) with a reason number of %u or more: counted, not timed",
                    (unsigned long long)s->out_of_range, (unsigned)NR_EXIT_REASONS);
        line(b.text, ctx);
    }
}
