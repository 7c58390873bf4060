/*
 * A minimal host unit-test harness.  Each TEST(name) registers itself before
 * main() runs (constructor attribute), main() runs them in file order and ends
 * with the line "N passed, N failed", which tests/run-all adds up.
 * A test passes when none of its CHECKs failed; a failing CHECK prints the
 * file, line and expression but lets the test go on, so one run shows every
 * broken expectation.  Run one test alone with: ./build/host/test_x NAME
 */
#ifndef KEEL_TESTS_UNIT_H
#define KEEL_TESTS_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <inttypes.h>

struct unit_test {
    const char *name;
    void (*fn)(void);
};

#define UNIT_MAX_TESTS 512
static struct unit_test unit_tests[UNIT_MAX_TESTS];
static int unit_ntests;
static int unit_current_failed;

static void unit_register(const char *name, void (*fn)(void))
{
    if (unit_ntests == UNIT_MAX_TESTS) {
        fprintf(stderr, "unit.h: more than %d tests in one file\n", UNIT_MAX_TESTS);
        exit(2);
    }
    unit_tests[unit_ntests].name = name;
    unit_tests[unit_ntests].fn = fn;
    unit_ntests++;
}

#define TEST(name)                                                        \
    static void test_##name(void);                                        \
    __attribute__((constructor)) static void unit_reg_##name(void)        \
    {                                                                     \
        unit_register(#name, test_##name);                                \
    }                                                                     \
    static void test_##name(void)

#define UNIT_FAIL(...)                                                    \
    do {                                                                  \
        unit_current_failed = 1;                                          \
        printf("    %s:%d: ", __FILE__, __LINE__);                        \
        printf(__VA_ARGS__);                                              \
        printf("\n");                                                     \
    } while (0)

#define CHECK(cond)                                                       \
    do {                                                                  \
        if (!(cond))                                                      \
            UNIT_FAIL("CHECK(%s) failed", #cond);                         \
    } while (0)

#define CHECK_EQ_U(a, b)                                                  \
    do {                                                                  \
        uint64_t unit_a_ = (uint64_t)(a), unit_b_ = (uint64_t)(b);        \
        if (unit_a_ != unit_b_)                                           \
            UNIT_FAIL("%s == %s: 0x%" PRIx64 " != 0x%" PRIx64, #a, #b,    \
                      unit_a_, unit_b_);                                  \
    } while (0)

#define CHECK_EQ_I(a, b)                                                  \
    do {                                                                  \
        int64_t unit_a_ = (int64_t)(a), unit_b_ = (int64_t)(b);           \
        if (unit_a_ != unit_b_)                                           \
            UNIT_FAIL("%s == %s: %" PRId64 " != %" PRId64, #a, #b,        \
                      unit_a_, unit_b_);                                  \
    } while (0)

#define CHECK_STR(a, b)                                                   \
    do {                                                                  \
        const char *unit_a_ = (a), *unit_b_ = (b);                        \
        if (!unit_a_ || !unit_b_ || strcmp(unit_a_, unit_b_) != 0)        \
            UNIT_FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b,               \
                      unit_a_ ? unit_a_ : "(null)",                       \
                      unit_b_ ? unit_b_ : "(null)");                      \
    } while (0)

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;
    for (int i = 0; i < unit_ntests; i++) {
        if (argc > 1 && strcmp(argv[1], unit_tests[i].name) != 0)
            continue;
        unit_current_failed = 0;
        unit_tests[i].fn();
        printf("%s %s\n", unit_current_failed ? "FAIL" : "ok  ", unit_tests[i].name);
        if (unit_current_failed)
            failed++;
        else
            passed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

#endif
