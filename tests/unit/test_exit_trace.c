/*
 * Host tests for guest/exit_trace.c and the inline push/complete.
 *
 * The ring is filled past its size, several times over, and read back both
 * through exit_trace_at() and through the dump's text: both must give the
 * newest EXIT_TRACE_ENTRIES exits, oldest first, with no gap or repeat.
 */
#include "tests/unit/unit.h"

#include "guest/exit_trace.c"
#include "lib/format.c"
#include "vmx/vmx_names.c"

#define MAX_LINES ((int)EXIT_TRACE_ENTRIES + 8)

struct collected {
    int n;
    char lines[MAX_LINES][EXIT_TRACE_LINE_MAX];
};

static void collect_line(const char *text, void *ctx)
{
    struct collected *c = ctx;
    if (c->n < MAX_LINES)
        snprintf(c->lines[c->n], sizeof(c->lines[0]), "%s", text);
    c->n++;
}

static struct exit_trace trace;
static struct collected out;

static void fresh(void)
{
    memset(&trace, 0x5a, sizeof(trace));
    exit_trace_reset(&trace);
    memset(&out, 0, sizeof(out));
}

/* Pushes exit number i of a recognisable pattern: RIP 0x1000 + i, the
 * qualification i * 3, a GPA on odd numbers, latency 100 + i. */
static void push_numbered(uint64_t i)
{
    exit_trace_push(&trace, EXIT_REASON_IO_INSTRUCTION, i * 3, 0x1000 + i, 0xfee00000 + i,
                    i & 1);
    exit_trace_complete(&trace, 100 + i);
}

/* Checks that the ring holds exits first..last of push_numbered(). */
static void check_holds(uint64_t first, uint64_t last)
{
    size_t n = exit_trace_count(&trace);
    CHECK_EQ_U(n, last - first + 1);
    for (size_t i = 0; i < n; i++) {
        const struct exit_trace_entry *e = exit_trace_at(&trace, i);
        uint64_t want = first + i;
        if (!e || e->seq != want || e->guest_rip != 0x1000 + want ||
            e->qualification != want * 3 || e->ticks != 100 + want || !exit_trace_ticks_known(e) ||
            e->gpa_valid != (bool)(want & 1) || e->gpa != ((want & 1) ? 0xfee00000 + want : 0)) {
            UNIT_FAIL("entry %zu is not exit %llu", i, (unsigned long long)want);
            return;
        }
    }
    CHECK(exit_trace_at(&trace, n) == NULL);
}

/* ---- The ring ---------------------------------------------------------- */

TEST(ring_size_is_a_power_of_two)
{
    CHECK_EQ_U(EXIT_TRACE_ENTRIES, 64);
    CHECK_EQ_U(EXIT_TRACE_ENTRIES & (EXIT_TRACE_ENTRIES - 1), 0);
    CHECK_EQ_U(EXIT_TRACE_SLOT_MASK, 63);
}

TEST(empty_ring)
{
    fresh();
    CHECK_EQ_U(exit_trace_count(&trace), 0);
    CHECK(exit_trace_at(&trace, 0) == NULL);
    exit_trace_complete(&trace, 5);             /* nothing to complete */
    CHECK_EQ_U(trace.pushed, 0);
    CHECK_EQ_U(exit_trace_count(&trace), 0);
}

TEST(push_stores_every_field)
{
    fresh();
    exit_trace_push(&trace, EXIT_REASON_EPT_VIOLATION, 0x182, 0xffffffff81000000ull,
                    0xfee00030, true);
    CHECK_EQ_U(exit_trace_count(&trace), 1);
    const struct exit_trace_entry *e = exit_trace_at(&trace, 0);
    CHECK(e != NULL);
    if (!e)
        return;
    CHECK_EQ_U(e->seq, 0);
    CHECK_EQ_U(e->exit_reason, EXIT_REASON_EPT_VIOLATION);
    CHECK_EQ_U(e->qualification, 0x182);
    CHECK_EQ_U(e->guest_rip, 0xffffffff81000000ull);
    CHECK_EQ_U(e->gpa, 0xfee00030);
    CHECK(e->gpa_valid);
    CHECK(!exit_trace_ticks_known(e));
    exit_trace_complete(&trace, 777);
    CHECK(exit_trace_ticks_known(e));
    CHECK_EQ_U(e->ticks, 777);
}

TEST(gpa_is_dropped_when_not_valid)
{
    fresh();
    exit_trace_push(&trace, EXIT_REASON_CPUID, 0, 0x10, 0xdeadbeef, false);
    const struct exit_trace_entry *e = exit_trace_at(&trace, 0);
    CHECK(e && !e->gpa_valid && e->gpa == 0);
}

TEST(complete_sets_only_the_newest)
{
    fresh();
    exit_trace_push(&trace, EXIT_REASON_CPUID, 0, 1, 0, false);
    exit_trace_complete(&trace, 10);
    exit_trace_push(&trace, EXIT_REASON_HLT, 0, 2, 0, false);
    exit_trace_complete(&trace, 20);
    exit_trace_complete(&trace, 25);            /* again: overwrites */
    /* The exit that stopped the VM: never followed by an entry. */
    exit_trace_push(&trace, EXIT_REASON_TRIPLE_FAULT, 0, 3, 0, false);
    CHECK_EQ_U(exit_trace_at(&trace, 0)->ticks, 10);
    CHECK_EQ_U(exit_trace_at(&trace, 1)->ticks, 25);
    CHECK(exit_trace_ticks_known(exit_trace_at(&trace, 1)));
    CHECK(!exit_trace_ticks_known(exit_trace_at(&trace, 2)));
    CHECK_EQ_U(exit_trace_at(&trace, 2)->exit_reason, EXIT_REASON_TRIPLE_FAULT);
}

TEST(ring_before_it_is_full)
{
    fresh();
    for (uint64_t i = 0; i < 10; i++)
        push_numbered(i);
    check_holds(0, 9);
}

TEST(ring_exactly_full)
{
    fresh();
    for (uint64_t i = 0; i < EXIT_TRACE_ENTRIES; i++)
        push_numbered(i);
    check_holds(0, EXIT_TRACE_ENTRIES - 1);
}

TEST(ring_wraps_keeping_the_newest)
{
    fresh();
    for (uint64_t i = 0; i < EXIT_TRACE_ENTRIES + 1; i++)
        push_numbered(i);
    check_holds(1, EXIT_TRACE_ENTRIES);
    for (uint64_t i = EXIT_TRACE_ENTRIES + 1; i < 3 * EXIT_TRACE_ENTRIES + 17; i++)
        push_numbered(i);
    check_holds(2 * EXIT_TRACE_ENTRIES + 17, 3 * EXIT_TRACE_ENTRIES + 16);
    CHECK_EQ_U(trace.pushed, 3 * EXIT_TRACE_ENTRIES + 17);
}

TEST(reset_restarts_the_sequence)
{
    fresh();
    for (uint64_t i = 0; i < 100; i++)
        push_numbered(i);
    exit_trace_reset(&trace);
    CHECK_EQ_U(exit_trace_count(&trace), 0);
    push_numbered(0);
    check_holds(0, 0);
}

/* ---- Decoding and the dump --------------------------------------------- */

TEST(reason_text_names_the_reason_and_its_flags)
{
    char buf[REASON_TEXT_MAX];
    describe_exit_reason(EXIT_REASON_CPUID, buf, sizeof(buf));
    CHECK_STR(buf, "CPUID");
    describe_exit_reason(EXIT_REASON_INVALID_GUEST_STATE | EXIT_REASON_FAILED_VMENTRY, buf,
                         sizeof(buf));
    CHECK_STR(buf, "INVALID_GUEST_STATE [entry-failure]");
    describe_exit_reason(EXIT_REASON_HLT | EXIT_REASON_PENDING_MTF | EXIT_REASON_ENCLAVE_MODE,
                         buf, sizeof(buf));
    CHECK_STR(buf, "HLT [enclave-mode pending-MTF]");
    describe_exit_reason(35, buf, sizeof(buf));
    CHECK_STR(buf, "unknown(35)");
    describe_exit_reason(0xffff | (1u << 30), buf, sizeof(buf));
    CHECK_STR(buf, "unknown(65535) [other=0x40000000]");
    describe_exit_reason(0xffffffffu, buf, sizeof(buf));
    CHECK_STR(buf, "unknown(65535) [enclave-mode pending-MTF from-VMX-root entry-failure "
                   "other=0x47ff0000]");
}

TEST(dump_of_an_empty_ring)
{
    fresh();
    exit_trace_dump(&trace, "TSC cycles", collect_line, &out);
    CHECK_EQ_I(out.n, 1);
    CHECK_STR(out.lines[0], "no exits recorded");
}

TEST(dump_text)
{
    fresh();
    exit_trace_push(&trace, EXIT_REASON_CPUID, 0, 0x100023, 0, false);
    exit_trace_complete(&trace, 1130);
    exit_trace_push(&trace, EXIT_REASON_EPT_VIOLATION, 0x182, 0x100031, 0xfee00030, true);
    exit_trace_complete(&trace, 98765);
    exit_trace_push(&trace, EXIT_REASON_INVALID_GUEST_STATE | EXIT_REASON_FAILED_VMENTRY, 0,
                    0xfff0, 0, false);
    exit_trace_dump(&trace, "TSC cycles", collect_line, &out);
    CHECK_EQ_I(out.n, 5);
    CHECK_STR(out.lines[0], "3 exits, oldest first (ticks: TSC cycles)");
    CHECK_STR(out.lines[1], "seq  reason                               qualification       "
                            "guest RIP           guest-physical      ticks");
    CHECK_STR(out.lines[2], "  0  CPUID                                0x0000000000000000  "
                            "0x0000000000100023  -                    1130");
    CHECK_STR(out.lines[3], "  1  EPT_VIOLATION                        0x0000000000000182  "
                            "0x0000000000100031  0x00000000fee00030  98765");
    CHECK_STR(out.lines[4], "  2  INVALID_GUEST_STATE [entry-failure]  0x0000000000000000  "
                            "0x000000000000fff0  -                       -");
}

TEST(dump_of_one_exit_without_unit)
{
    fresh();
    exit_trace_push(&trace, EXIT_REASON_HLT, 0, 0x7c00, 0, false);
    exit_trace_dump(&trace, NULL, collect_line, &out);
    CHECK_EQ_I(out.n, 3);
    CHECK_STR(out.lines[0], "1 exit, oldest first");
    CHECK_STR(out.lines[2], "  0  HLT     0x0000000000000000  0x0000000000007c00  -                   "
                            "    -");
}

TEST(dump_after_wrapping_is_oldest_first)
{
    fresh();
    const uint64_t pushed = 5 * EXIT_TRACE_ENTRIES + 6;
    for (uint64_t i = 0; i < pushed; i++)
        push_numbered(i);
    exit_trace_dump(&trace, "Bochs ticks", collect_line, &out);
    CHECK_EQ_I(out.n, EXIT_TRACE_ENTRIES + 2);
    char title[EXIT_TRACE_LINE_MAX];
    snprintf(title, sizeof(title), "last %u exits of %llu, oldest first (ticks: Bochs ticks)",
             EXIT_TRACE_ENTRIES, (unsigned long long)pushed);
    CHECK_STR(out.lines[0], title);
    for (unsigned i = 0; i < EXIT_TRACE_ENTRIES; i++) {
        unsigned long long seq, rip, ticks;
        const char *line = out.lines[2 + i];
        uint64_t want = pushed - EXIT_TRACE_ENTRIES + i;
        /* "seq  IO_INSTRUCTION  qual  rip  gpa-or-dash  ticks" */
        if (sscanf(line, "%llu IO_INSTRUCTION %*s %llx %*s %llu", &seq, &rip, &ticks) != 3 ||
            seq != want || rip != 0x1000 + want || ticks != 100 + want) {
            UNIT_FAIL("dump line %u is not exit %llu: \"%s\"", i, (unsigned long long)want,
                      line);
            return;
        }
    }
    /* Every line is as long as the header: the columns line up. */
    for (int i = 2; i < out.n; i++)
        CHECK_EQ_U(strlen(out.lines[i]), strlen(out.lines[1]));
}

TEST(dump_cuts_a_long_unit_label)
{
    char unit[400];
    memset(unit, 'u', sizeof(unit) - 1);
    unit[sizeof(unit) - 1] = '\0';
    fresh();
    push_numbered(0);
    exit_trace_dump(&trace, unit, collect_line, &out);
    CHECK_EQ_U(strlen(out.lines[0]), EXIT_TRACE_LINE_MAX - 1);
    CHECK(strncmp(out.lines[0], "1 exit, oldest first (ticks: uuu", 32) == 0);
}
