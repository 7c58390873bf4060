/*
 * A table of named tests and what each needs.  run_tests() runs them in
 * order: a test whose needs are met reports PASS or FAIL under its name
 * (the test itself may print detail lines first); one whose needs are not
 * met reports SKIP with the reason.
 *
 * One test at a time: the guest argument only=TEXT (on keel's module line,
 * after "--"; with QEMU, -append "only=TEXT") runs only the tests whose name
 * contains TEXT.  Guests with their own loops ask test_selected().
 */
#ifndef GUEST_LIB_RUNNER_H
#define GUEST_LIB_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum test_needs {
    NEEDS_NOTHING,      /* runs anywhere, bare too */
    NEEDS_KEEL,         /* keel's own behaviour: SKIP "(not under keel)" */
    NEEDS_TESTDEV,      /* keel with the VM option testdev */
};

struct named_test {
    const char *name;
    enum test_needs needs;
    bool (*run)(void);  /* true: passed */
};

void run_tests(const struct named_test *tests, size_t count);

/* A check that finds out only while running whether it can run here (an
 * image too small for the LBAs it needs, a device that is missing): it
 * returns CHECK_SKIPPED and points *skip_reason at why. */
enum check_result { CHECK_FAILED, CHECK_PASSED, CHECK_SKIPPED };

struct named_check {
    const char *name;
    enum test_needs needs;
    enum check_result (*run)(const char **skip_reason);
};

/* As run_tests(); a check that returns CHECK_SKIPPED prints
 * "SKIP: name (reason)". */
void run_checks(const struct named_check *checks, size_t count);

/* CHECK_PASSED or CHECK_FAILED. */
static inline enum check_result check_result_of(bool ok)
{
    return ok ? CHECK_PASSED : CHECK_FAILED;
}

/* False when an only= argument excludes 'name'. */
bool test_selected(const char *name);

/* True when 'needs' is met here; otherwise prints "SKIP: name (reason)"
 * and returns false. */
bool test_needs_met(const char *name, enum test_needs needs);

#endif
