#include "lib/cmdline.h"
#include "lib/guest.h"
#include "lib/keel.h"
#include "lib/report.h"
#include "lib/runner.h"
#include "lib/string.h"
#include "lib/testdev.h"

bool test_selected(const char *name)
{
    size_t len;
    const char *only = cmdline_value(guest_cmdline(), "only", &len);
    if (!only)
        return true;
    for (const char *p = name; *p; p++) {
        if (!strncmp(p, only, len))
            return true;
    }
    return false;
}

bool test_needs_met(const char *name, enum test_needs needs)
{
    if (needs == NEEDS_NOTHING)
        return true;
    if (!is_keel()) {
        report_skip("%s (not under keel)", name);
        return false;
    }
    if (needs == NEEDS_TESTDEV && !testdev_present()) {
        report_skip("%s (no testdev: give the VM the option testdev)", name);
        return false;
    }
    return true;
}

void run_tests(const struct named_test *tests, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const struct named_test *t = &tests[i];
        if (!test_selected(t->name) || !test_needs_met(t->name, t->needs))
            continue;
        report(t->run(), "%s", t->name);
    }
}

void run_checks(const struct named_check *checks, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const struct named_check *c = &checks[i];
        if (!test_selected(c->name) || !test_needs_met(c->name, c->needs))
            continue;
        const char *reason = "no reason given";
        enum check_result r = c->run(&reason);
        if (r == CHECK_SKIPPED)
            report_skip("%s (%s)", c->name, reason);
        else
            report(r == CHECK_PASSED, "%s", c->name);
    }
}
