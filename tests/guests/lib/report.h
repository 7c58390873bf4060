/*
 * Test results in the kvm-unit-tests line format that keel's boot tests and
 * its log readers match:
 *   PASS: <name>            a check that held
 *   FAIL: <name>            a check that did not (an unexpected failure)
 *   SKIP: <name> (<why>)    a check that could not run here
 *   SUMMARY: N tests, M unexpected failures[, K skipped]
 * N counts every PASS, FAIL and SKIP line.
 */
#ifndef GUEST_LIB_REPORT_H
#define GUEST_LIB_REPORT_H

#include <stdbool.h>

#include "lib/printf.h"

/* Prints PASS: or FAIL: and the formatted name; returns ok. */
bool report(bool ok, const char *fmt, ...) GUEST_PRINTF(2, 3);
/* Prints SKIP: and the formatted name (callers add the reason in
 * parentheses, e.g. "cpuid: keel signature (not under keel)"). */
void report_skip(const char *fmt, ...) GUEST_PRINTF(1, 2);
/* The number of FAIL lines so far. */
unsigned report_failures(void);
/* Prints the SUMMARY line, then exit(1) if anything failed, else exit(0). */
_Noreturn void report_summary_and_exit(void);
/* Prints "ABORT: <message>", counts it as a failure, and ends like
 * report_summary_and_exit(): for a guest that cannot go on. */
_Noreturn void report_abort(const char *fmt, ...) GUEST_PRINTF(1, 2);

#endif
