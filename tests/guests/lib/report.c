#include <stdarg.h>

#include "lib/exit.h"
#include "lib/report.h"

static unsigned tests_run;
static unsigned tests_failed;
static unsigned tests_skipped;

static void print_line(const char *tag, const char *fmt, va_list ap)
{
    printf("%s: ", tag);
    vprintf(fmt, ap);
    printf("\n");
}

bool report(bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    print_line(ok ? "PASS" : "FAIL", fmt, ap);
    va_end(ap);
    tests_run++;
    if (!ok)
        tests_failed++;
    return ok;
}

void report_skip(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    print_line("SKIP", fmt, ap);
    va_end(ap);
    tests_run++;
    tests_skipped++;
}

unsigned report_failures(void)
{
    return tests_failed;
}

_Noreturn void report_summary_and_exit(void)
{
    printf("SUMMARY: %u tests, %u unexpected failures", tests_run, tests_failed);
    if (tests_skipped)
        printf(", %u skipped", tests_skipped);
    printf("\n");
    exit(tests_failed ? 1 : 0);
}

_Noreturn void report_abort(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    print_line("ABORT", fmt, ap);
    va_end(ap);
    tests_run++;
    tests_failed++;
    report_summary_and_exit();
}
