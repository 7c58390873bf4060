/*
 * The last exits of one vCPU (guest/exit_trace.c): pure logic, host-tested.
 *
 * A fixed ring of the last EXIT_TRACE_ENTRIES VM exits, oldest overwritten
 * first, dumped when a VM stops abnormally and from the console.  An entry is
 * written in two steps because its latency is known only at the next entry:
 *
 *     at the exit:          exit_trace_push(t, exit_reason, qual, rip, gpa, gpa_valid);
 *                           (or exit_trace_claim(t), then the fields one by one)
 *     before the next entry: exit_trace_complete(t, ticks);
 *
 * so the exit that stopped a VM, which is never followed by an entry, is
 * still in the ring (its latency shown as "-").  Both are inline and O(1):
 * one AND for the slot, a handful of stores, no branch in push.
 *
 * A struct exit_trace belongs to one vCPU and is written only by the CPU
 * running that vCPU.
 */
#ifndef KEEL_GUEST_EXIT_TRACE_H
#define KEEL_GUEST_EXIT_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * 64 entries: a power of two, so the slot of exit number seq is
 * seq & (EXIT_TRACE_ENTRIES - 1), an AND instead of a division or a
 * compare-and-wrap, and the 64-bit exit counter can run free (it does not
 * wrap in the life of a machine), which also gives how many exits the ring
 * no longer holds.  64 exits reach back past the last few guest steps that
 * trap (a port I/O loop, a page-fault chain, the CR writes of a mode switch),
 * a dump of 64 lines stays readable in a serial log, and 64 entries of 64
 * bytes (45 used, aligned so that a slot's address is one shift away) are
 * 4 KiB per vCPU.
 */
#define EXIT_TRACE_ENTRIES      64u
#define EXIT_TRACE_SLOT_MASK    (EXIT_TRACE_ENTRIES - 1)

_Static_assert((EXIT_TRACE_ENTRIES & EXIT_TRACE_SLOT_MASK) == 0,
               "EXIT_TRACE_ENTRIES must be a power of two");

/* The longest line exit_trace_dump() produces, with its NUL; a longer unit
 * label is cut. */
#define EXIT_TRACE_LINE_MAX     256

/* An entry's latency before exit_trace_complete(): no exit is that long
 * (2^64 TSC ticks), and the one store that sets the latency also marks it
 * known. */
#define EXIT_TRACE_TICKS_UNKNOWN UINT64_MAX

struct exit_trace_entry {
    uint64_t seq;               /* exits of this vCPU before this one since the reset */
    uint64_t qualification;     /* EXIT_QUALIFICATION (SDM vol. 3C 28.2.1) */
    uint64_t guest_rip;
    uint64_t gpa;               /* GUEST_PHYSICAL_ADDRESS; only if gpa_valid */
    uint64_t ticks;             /* exit to next entry; EXIT_TRACE_TICKS_UNKNOWN until
                                 * exit_trace_complete() */
    uint32_t exit_reason;       /* the whole exit-reason field: basic reason and flags */
    bool gpa_valid;             /* the CPU reported a guest-physical address for this exit */
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct exit_trace_entry) == 64, "a slot is one shift away");

struct exit_trace {
    struct exit_trace_entry ring[EXIT_TRACE_ENTRIES];
    uint64_t pushed;            /* exits pushed since the reset: the next seq */
    /* The last pushed; while the ring is empty, the last slot (which no
     * reader looks at until a push fills it), so it is never NULL. */
    struct exit_trace_entry *newest;
};

/* Empties the ring and restarts the sequence numbers at 0. */
void exit_trace_reset(struct exit_trace *t);

/*
 * Takes the slot of the next exit, overwriting the oldest entry once the
 * ring is full, and returns it with its seq set, no guest-physical address
 * and its latency unknown; the caller fills in the rest as
 * exit_trace_push() describes (gpa only with gpa_valid).  For an exit path
 * that stores each field as soon as it has it.
 */
static inline struct exit_trace_entry *exit_trace_claim(struct exit_trace *t)
{
    uint64_t seq = t->pushed;
    struct exit_trace_entry *e = &t->ring[seq & EXIT_TRACE_SLOT_MASK];
    t->pushed = seq + 1;
    t->newest = e;
    e->seq = seq;
    e->gpa_valid = false;
    e->ticks = EXIT_TRACE_TICKS_UNKNOWN;
    return e;
}

/*
 * Records an exit, overwriting the oldest entry once the ring is full.
 * exit_reason is the VM_EXIT_REASON field as read (SDM vol. 3C 28.2.1: basic
 * reason in 15:0, flag bits above); gpa is kept only when gpa_valid (the CPU
 * fills GUEST_PHYSICAL_ADDRESS for EPT violations and misconfigurations, SDM
 * 28.2.1), else stored as 0.  The entry's latency stays unknown until
 * exit_trace_complete().
 */
static inline void exit_trace_push(struct exit_trace *t, uint32_t exit_reason,
                                   uint64_t qualification, uint64_t guest_rip, uint64_t gpa,
                                   bool gpa_valid)
{
    struct exit_trace_entry *e = exit_trace_claim(t);
    e->qualification = qualification;
    e->guest_rip = guest_rip;
    e->gpa = gpa_valid ? gpa : 0;
    e->exit_reason = exit_reason;
    e->gpa_valid = gpa_valid;
}

/* Whether an entry's latency is known (it was completed). */
static inline bool exit_trace_ticks_known(const struct exit_trace_entry *e)
{
    return e->ticks != EXIT_TRACE_TICKS_UNKNOWN;
}

/* Whether the newest entry still waits for its latency: the exit it
 * records is being handled.  False on an empty ring. */
static inline bool exit_trace_newest_open(const struct exit_trace *t)
{
    return !exit_trace_ticks_known(t->newest);
}

/* Sets the latency of the newest entry (the exit now being resumed from);
 * on an empty ring it changes nothing a reader sees.  Called again, it
 * overwrites. */
static inline void exit_trace_complete(struct exit_trace *t, uint64_t ticks)
{
    t->newest->ticks = ticks;
}

/* How many entries the ring holds: min(pushed, EXIT_TRACE_ENTRIES). */
size_t exit_trace_count(const struct exit_trace *t);

/* The i-th entry oldest first (0 = oldest kept); NULL when i >= count. */
const struct exit_trace_entry *exit_trace_at(const struct exit_trace *t, size_t i);

/*
 * Renders the ring oldest to newest, one line() call per line, no trailing
 * newline:
 *
 *   last 64 exits of 1234, oldest first (ticks: TSC cycles)
 *    seq  reason         qualification       guest RIP           guest-physical      ticks
 *   1170  CPUID          0x0000000000000000  0x0000000000100023  -                    1130
 *   ...
 *   1233  EPT_VIOLATION  0x0000000000000182  0x0000000000100031  0x00000000fee00030      -
 *
 * (or "3 exits, oldest first" while the ring has not wrapped).  Columns are
 * as wide as their widest entry.
 * The reason column names the basic reason (exit_reason_name(), "unknown(N)"
 * for numbers the SDM does not define) and, in brackets, any flag bits set
 * above it ("INVALID_GUEST_STATE [entry-failure]").  "-" marks a
 * guest-physical address the CPU did not report and a latency not known
 * (the VM was not entered again).  unit is named in the title; NULL or ""
 * leaves it out.  An empty ring is the one line "no exits recorded".
 */
void exit_trace_dump(const struct exit_trace *t, const char *unit,
                     void (*line)(const char *text, void *ctx), void *ctx);

#endif
