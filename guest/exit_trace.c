/*
 * The exit trace ring: reading it back and the dump (contract in
 * guest/exit_trace.h; push and complete are inline there).
 */
#include "guest/exit_trace.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/format.h"
#include "lib/string.h"
#include "vmx/exit_reasons.h"

#define COLUMN_GAP      "  "
#define ABSENT_TEXT     "-"
/* "0x" and 16 hex digits: every 64-bit field is printed at full width so a
 * column of addresses lines up digit for digit. */
#define HEX64_WIDTH     18
/* The reason column: a name, "unknown(65535)", and its flag names. */
#define REASON_TEXT_MAX 96

/* ---- The ring ----------------------------------------------------------- */

void exit_trace_reset(struct exit_trace *t)
{
    memset(t, 0, sizeof(*t));
    t->newest = &t->ring[EXIT_TRACE_SLOT_MASK];
}

size_t exit_trace_count(const struct exit_trace *t)
{
    return t->pushed < EXIT_TRACE_ENTRIES ? (size_t)t->pushed : EXIT_TRACE_ENTRIES;
}

const struct exit_trace_entry *exit_trace_at(const struct exit_trace *t, size_t i)
{
    size_t count = exit_trace_count(t);
    if (i >= count)
        return NULL;
    uint64_t seq = t->pushed - count + i;
    return &t->ring[seq & EXIT_TRACE_SLOT_MASK];
}

/* ---- Decoding the exit-reason field ------------------------------------- */

/* Flag bits above the basic reason (SDM vol. 3C 28.2.1, "Exit Reason"). */
static const struct {
    uint32_t bit;
    const char *name;
} exit_reason_flags[] = {
    { EXIT_REASON_ENCLAVE_MODE, "enclave-mode" },
    { EXIT_REASON_PENDING_MTF, "pending-MTF" },
    { EXIT_REASON_FROM_VMX_ROOT, "from-VMX-root" },
    { EXIT_REASON_FAILED_VMENTRY, "entry-failure" },
};

#define NR_EXIT_REASON_FLAGS (sizeof(exit_reason_flags) / sizeof(exit_reason_flags[0]))

static void trace_append(char *buf, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void trace_append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(buf + *len, size - *len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    *len += (size_t)n;
    if (*len >= size)
        *len = size - 1;
}

/* "CPUID", "unknown(99)", "INVALID_GUEST_STATE [entry-failure]",
 * "CPUID [pending-MTF other=0x40000000]". */
static void describe_exit_reason(uint32_t exit_reason, char *buf, size_t size)
{
    unsigned basic = exit_reason & EXIT_REASON_BASIC_MASK;
    uint32_t flags = exit_reason & ~(uint32_t)EXIT_REASON_BASIC_MASK;
    const char *name = exit_reason_name(basic);
    size_t len = 0;

    buf[0] = '\0';
    if (strcmp(name, "unknown") == 0)
        trace_append(buf, size, &len, "unknown(%u)", basic);
    else
        trace_append(buf, size, &len, "%s", name);
    if (!flags)
        return;

    const char *sep = " [";
    for (size_t i = 0; i < NR_EXIT_REASON_FLAGS; i++) {
        if (flags & exit_reason_flags[i].bit) {
            trace_append(buf, size, &len, "%s%s", sep, exit_reason_flags[i].name);
            flags &= ~exit_reason_flags[i].bit;
            sep = " ";
        }
    }
    if (flags)
        trace_append(buf, size, &len, "%sother=0x%x", sep, (unsigned)flags);
    trace_append(buf, size, &len, "]");
}

/* ---- The dump ----------------------------------------------------------- */

static int trace_decimal_width(uint64_t v)
{
    int width = 1;
    while (v >= 10) {
        v /= 10;
        width++;
    }
    return width;
}

static int trace_max_int(int a, int b)
{
    return a > b ? a : b;
}

struct dump_layout {
    int seq_width, reason_width, ticks_width;
};

static void dump_layout_fit(const struct exit_trace *t, struct dump_layout *d)
{
    char reason[REASON_TEXT_MAX];
    d->seq_width = (int)strlen("seq");
    d->reason_width = (int)strlen("reason");
    d->ticks_width = (int)strlen("ticks");
    for (size_t i = 0; i < exit_trace_count(t); i++) {
        const struct exit_trace_entry *e = exit_trace_at(t, i);
        describe_exit_reason(e->exit_reason, reason, sizeof(reason));
        d->seq_width = trace_max_int(d->seq_width, trace_decimal_width(e->seq));
        d->reason_width = trace_max_int(d->reason_width, (int)strlen(reason));
        if (exit_trace_ticks_known(e))
            d->ticks_width = trace_max_int(d->ticks_width, trace_decimal_width(e->ticks));
    }
}

static void dump_title(const struct exit_trace *t, const char *unit,
                       void (*line)(const char *text, void *ctx), void *ctx)
{
    char text[EXIT_TRACE_LINE_MAX];
    size_t len = 0;
    size_t count = exit_trace_count(t);
    text[0] = '\0';
    if (t->pushed > count)
        trace_append(text, sizeof(text), &len, "last %zu exits of %llu, oldest first", count,
               (unsigned long long)t->pushed);
    else
        trace_append(text, sizeof(text), &len, "%zu exit%s, oldest first", count,
               count == 1 ? "" : "s");
    if (unit && unit[0])
        trace_append(text, sizeof(text), &len, " (ticks: %s)", unit);
    line(text, ctx);
}

static void dump_header(const struct dump_layout *d,
                        void (*line)(const char *text, void *ctx), void *ctx)
{
    char text[EXIT_TRACE_LINE_MAX];
    ksnprintf(text, sizeof(text),
              "%*s" COLUMN_GAP "%-*s" COLUMN_GAP "%-*s" COLUMN_GAP "%-*s" COLUMN_GAP
              "%-*s" COLUMN_GAP "%*s",
              d->seq_width, "seq", d->reason_width, "reason", HEX64_WIDTH, "qualification",
              HEX64_WIDTH, "guest RIP", HEX64_WIDTH, "guest-physical", d->ticks_width,
              "ticks");
    line(text, ctx);
}

static void dump_entry(const struct dump_layout *d, const struct exit_trace_entry *e,
                       void (*line)(const char *text, void *ctx), void *ctx)
{
    char reason[REASON_TEXT_MAX], gpa[HEX64_WIDTH + 1], ticks[HEX64_WIDTH + 1];
    char text[EXIT_TRACE_LINE_MAX];

    describe_exit_reason(e->exit_reason, reason, sizeof(reason));
    if (e->gpa_valid)
        ksnprintf(gpa, sizeof(gpa), "0x%016llx", (unsigned long long)e->gpa);
    else
        ksnprintf(gpa, sizeof(gpa), "%s", ABSENT_TEXT);
    if (exit_trace_ticks_known(e))
        ksnprintf(ticks, sizeof(ticks), "%llu", (unsigned long long)e->ticks);
    else
        ksnprintf(ticks, sizeof(ticks), "%s", ABSENT_TEXT);

    ksnprintf(text, sizeof(text),
              "%*llu" COLUMN_GAP "%-*s" COLUMN_GAP "0x%016llx" COLUMN_GAP "0x%016llx" COLUMN_GAP
              "%-*s" COLUMN_GAP "%*s",
              d->seq_width, (unsigned long long)e->seq, d->reason_width, reason,
              (unsigned long long)e->qualification, (unsigned long long)e->guest_rip,
              HEX64_WIDTH, gpa, d->ticks_width, ticks);
    line(text, ctx);
}

void exit_trace_dump(const struct exit_trace *t, const char *unit,
                     void (*line)(const char *text, void *ctx), void *ctx)
{
    if (exit_trace_count(t) == 0) {
        line("no exits recorded", ctx);
        return;
    }
    struct dump_layout d;
    dump_layout_fit(t, &d);
    dump_title(t, unit, line, ctx);
    dump_header(&d, line, ctx);
    for (size_t i = 0; i < exit_trace_count(t); i++)
        dump_entry(&d, exit_trace_at(t, i), line, ctx);
}
