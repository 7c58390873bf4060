/*
 * Host tests for guest/vm_config.c.
 *
 * Each test hands vm_configs_parse() a few module lines, as GRUB would pass
 * them (the words after the path), and checks the VMs that come out, what
 * was reported (in order, under which label) and the count returned.
 * Module i of a run has GRUB number i and is (i + 1) * 1000 bytes long.
 */
#include "tests/unit/unit.h"

#include "guest/vm_config.c"

/* The option table's names in order, as "unknown option" messages list them. */
#define KNOWN_OPTIONS "vm, module, mem, disk, onreset, com2, testdev, testbreak, expect"
#include "lib/cmdline.c"
#include "lib/format.c"
#include "lib/string.c"

#define MAX_TEST_VMS 4
#define LOG_MAX 8192

struct run {
    struct vm_config vms[MAX_TEST_VMS];
    size_t nvms;
    int problems;
    int nreports;
    char log[LOG_MAX];          /* "[who|msg]" per report */
};

static void record_report(const char *who, const char *msg, void *ctx)
{
    struct run *r = ctx;
    size_t len = strlen(r->log);

    snprintf(r->log + len, LOG_MAX - len, "[%s|%s]", who, msg);
    r->nreports++;
}

/* Parses lines[0..n) with at most max_vms VMs; the result is freed by the caller. */
static struct run *parse_max(const char *const *lines, size_t n, size_t max_vms)
{
    struct run *r = calloc(1, sizeof(*r));
    struct vm_module_src mods[32];

    for (size_t i = 0; i < n; i++)
        mods[i] = (struct vm_module_src){ .index = (unsigned)i, .cmdline = lines[i],
                                          .size = (i + 1) * 1000 };
    r->nvms = 99;
    r->problems = vm_configs_parse(mods, n, r->vms, max_vms, &r->nvms, record_report, r);
    return r;
}

#define PARSE(...)                                                                        \
    parse_max((const char *const[]){ __VA_ARGS__ },                                       \
              sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *),        \
              MAX_TEST_VMS)

static bool log_has(const struct run *r, const char *text)
{
    return strstr(r->log, text) != NULL;
}

/* ------------------------------------------------------------------------ */
/* Good configurations                                                      */

TEST(readme_example)
{
    struct run *r = PARSE("vm=a mem=32M -- arg1 arg2", "vm=a module", "vm=b mem=16M");

    CHECK_EQ_I(r->problems, 0);
    CHECK_STR(r->log, "");
    CHECK_EQ_U(r->nvms, 2);

    const struct vm_config *a = &r->vms[0], *b = &r->vms[1];
    CHECK_STR(a->name, "a");
    CHECK(a->valid);
    CHECK_STR(a->reason, "");
    CHECK_EQ_U(a->mem_bytes, 32u << 20);
    CHECK_EQ_I(a->kernel_module, 0);
    CHECK_EQ_U(a->kernel_size, 1000);
    CHECK_STR(a->cmdline, "arg1 arg2");
    CHECK_EQ_U(a->nmodules, 1);
    CHECK_EQ_U(a->modules[0].index, 1);
    CHECK_EQ_U(a->modules[0].size, 2000);
    CHECK_STR(a->modules[0].string, "");
    CHECK(!a->testdev);
    CHECK_EQ_U(a->expect, VM_EXPECT_PASS);

    CHECK_STR(b->name, "b");
    CHECK(b->valid);
    CHECK_EQ_U(b->mem_bytes, 16u << 20);
    CHECK_EQ_I(b->kernel_module, 2);
    CHECK_EQ_U(b->kernel_size, 3000);
    CHECK_STR(b->cmdline, "");
    CHECK_EQ_U(b->nmodules, 0);
    free(r);
}

TEST(defaults)
{
    struct run *r = PARSE("vm=x");

    CHECK_EQ_I(r->problems, 0);
    CHECK_EQ_U(r->nvms, 1);
    CHECK_EQ_U(r->vms[0].mem_bytes, VM_MEM_DEFAULT);
    CHECK_EQ_U(VM_MEM_DEFAULT, 16u << 20);
    CHECK_EQ_I(r->vms[0].kernel_module, 0);
    CHECK_EQ_U(r->vms[0].expect, VM_EXPECT_PASS);
    CHECK(!r->vms[0].testdev);
    CHECK_STR(r->vms[0].cmdline, "");
    CHECK(r->vms[0].valid);
    free(r);
}

TEST(modules_keep_their_order_and_strings)
{
    /* The kernel line need not come first; words may come in any order. */
    struct run *r = PARSE("module vm=k -- first string", "vm=other", "vm=k module --   x  y ",
                          "mem=4M vm=k -- kernel args", "vm=k module");

    CHECK_EQ_I(r->problems, 0);
    CHECK_EQ_U(r->nvms, 2);
    const struct vm_config *k = &r->vms[0];
    CHECK_STR(k->name, "k");
    CHECK_STR(r->vms[1].name, "other");
    CHECK_EQ_I(k->kernel_module, 3);
    CHECK_EQ_U(k->mem_bytes, 4u << 20);
    CHECK_STR(k->cmdline, "kernel args");
    CHECK_EQ_U(k->nmodules, 3);
    CHECK_EQ_U(k->modules[0].index, 0);
    CHECK_STR(k->modules[0].string, "first string");
    CHECK_EQ_U(k->modules[1].index, 2);
    CHECK_STR(k->modules[1].string, "x  y ");   /* verbatim after the leading blanks */
    CHECK_EQ_U(k->modules[1].size, 3000);
    CHECK_EQ_U(k->modules[2].index, 4);
    CHECK_STR(k->modules[2].string, "");
    free(r);
}

TEST(command_line_is_verbatim_after_dashes)
{
    /* After `--` nothing is an option: not `module`, not vm=, not quotes. */
    struct run *r = PARSE("vm=a -- module vm=b \"q u\" --x -- mem=1");

    CHECK_EQ_I(r->problems, 0);
    CHECK_EQ_U(r->nvms, 1);
    CHECK_EQ_I(r->vms[0].kernel_module, 0);
    CHECK_EQ_U(r->vms[0].nmodules, 0);
    CHECK_STR(r->vms[0].cmdline, "module vm=b \"q u\" --x -- mem=1");
    CHECK_EQ_U(r->vms[0].mem_bytes, VM_MEM_DEFAULT);
    free(r);
}

TEST(empty_rest_after_dashes)
{
    struct run *r = PARSE("vm=a --", "vm=a module --");

    CHECK_EQ_I(r->problems, 0);
    CHECK_STR(r->vms[0].cmdline, "");
    CHECK_STR(r->vms[0].modules[0].string, "");
    free(r);
}

TEST(testdev_and_expect)
{
    static const struct {
        const char *word;
        enum vm_expect expect;
        uint64_t status;
    } cases[] = {
        { "expect=pass", VM_EXPECT_PASS, 0 },
        { "expect=fail", VM_EXPECT_FAIL, 0 },
        { "expect=triple-fault", VM_EXPECT_TRIPLE_FAULT, 0 },
        { "expect=halted", VM_EXPECT_HALTED, 0 },
        { "expect=bad-access", VM_EXPECT_BAD_ACCESS, 0 },
        { "expect=entry-failed", VM_EXPECT_ENTRY_FAILED, 0 },
        { "expect=unhandled", VM_EXPECT_UNHANDLED, 0 },
        { "expect=status:0", VM_EXPECT_STATUS, 0 },
        { "expect=status:42", VM_EXPECT_STATUS, 42 },
        { "expect=status:0x1F", VM_EXPECT_STATUS, 31 },
        { "expect=status:18446744073709551615", VM_EXPECT_STATUS, UINT64_MAX },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char line[128];
        snprintf(line, sizeof(line), "testdev vm=t %s", cases[i].word);
        struct run *r = PARSE(line);
        if (r->problems != 0)
            UNIT_FAIL("%s: %s", cases[i].word, r->log);
        CHECK(r->vms[0].valid);
        CHECK(r->vms[0].testdev);
        CHECK_EQ_U(r->vms[0].expect, cases[i].expect);
        CHECK_EQ_U(r->vms[0].expect_status, cases[i].status);
        free(r);
    }
}

TEST(expect_names_round_trip)
{
    CHECK_STR(vm_expect_name(VM_EXPECT_PASS), "pass");
    CHECK_STR(vm_expect_name(VM_EXPECT_TRIPLE_FAULT), "triple-fault");
    CHECK_STR(vm_expect_name(VM_EXPECT_UNHANDLED), "unhandled");
    CHECK_STR(vm_expect_name(VM_EXPECT_STATUS), "status");
    CHECK_STR(vm_expect_name((enum vm_expect)77), "?");
    for (int e = VM_EXPECT_PASS; e < VM_EXPECT_STATUS; e++) {
        char line[64];
        snprintf(line, sizeof(line), "vm=a expect=%s", vm_expect_name((enum vm_expect)e));
        struct run *r = PARSE(line);
        CHECK_EQ_I(r->problems, 0);
        CHECK_EQ_I(r->vms[0].expect, e);
        free(r);
    }
}

TEST(mem_accepted)
{
    static const struct {
        const char *value;
        uint64_t bytes;
    } cases[] = {
        { "2M", 2ull << 20 },
        { "32M", 32ull << 20 },
        { "1G", 1ull << 30 },
        { "4094M", 4094ull << 20 },             /* the largest below 4 GiB */
        { "0x200000", 2ull << 20 },
        { "4096K", 4ull << 20 },
        { "6291456", 6ull << 20 },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char line[64];
        snprintf(line, sizeof(line), "vm=a mem=%s", cases[i].value);
        struct run *r = PARSE(line);
        if (r->problems != 0)
            UNIT_FAIL("mem=%s: %s", cases[i].value, r->log);
        CHECK(r->vms[0].valid);
        CHECK_EQ_U(r->vms[0].mem_bytes, cases[i].bytes);
        free(r);
    }
}

TEST(mem_refused)
{
    static const struct {
        const char *value;
        const char *why;
    } cases[] = {
        { "1M", "below the 2 MiB" },
        { "0", "below the 2 MiB" },
        { "3M", "not a multiple of 2 MiB" },
        { "2049K", "not a multiple of 2 MiB" },
        { "4G", "must be below 4 GiB" },
        { "4096M", "must be below 4 GiB" },
        { "8G", "must be below 4 GiB" },
        { "lots", "not a size" },
        { "32MB", "not a size" },
        { "", "not a size" },
        { "-2M", "not a size" },
        { "99999999999999999999", "not a size" },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char line[64], expected[160];
        snprintf(line, sizeof(line), "vm=a mem=%s", cases[i].value);
        snprintf(expected, sizeof(expected), "[module #0|'mem=%s': %s", cases[i].value,
                 cases[i].why);
        struct run *r = PARSE(line);
        CHECK_EQ_I(r->problems, 1);
        if (!log_has(r, expected))
            UNIT_FAIL("mem=%s: expected %s, log %s", cases[i].value, expected, r->log);
        CHECK_EQ_U(r->nvms, 1);
        CHECK(!r->vms[0].valid);
        CHECK(strstr(r->vms[0].reason, "module #0: 'mem=") == r->vms[0].reason);
        free(r);
    }
}

/* ------------------------------------------------------------------------ */
/* Mistakes                                                                 */

TEST(unknown_option_stops_only_its_vm)
{
    struct run *r = PARSE("vm=a -- x", "vm=b colour=blue", "vm=c");

    CHECK_EQ_I(r->problems, 1);
    CHECK_STR(r->log, "[module #1|'colour=blue': unknown option "
                      "(known: " KNOWN_OPTIONS ")]");
    CHECK_EQ_U(r->nvms, 3);
    CHECK(r->vms[0].valid);
    CHECK(!r->vms[1].valid);
    CHECK_STR(r->vms[1].reason, "module #1: 'colour=blue': unknown option "
                                "(known: " KNOWN_OPTIONS ")");
    CHECK(r->vms[2].valid);
    /* The rest of the line was still read. */
    CHECK_EQ_I(r->vms[1].kernel_module, 1);
    free(r);
}

TEST(unknown_option_before_vm_is_still_charged_to_it)
{
    struct run *r = PARSE("bogus vm=a");

    CHECK_EQ_I(r->problems, 1);
    CHECK(log_has(r, "[module #0|'bogus': unknown option"));
    CHECK_EQ_U(r->nvms, 1);
    CHECK(!r->vms[0].valid);
    free(r);
}

TEST(problem_on_a_module_line_stops_the_vm)
{
    struct run *r = PARSE("vm=a", "vm=a module what", "vm=b");

    CHECK_EQ_I(r->problems, 1);
    CHECK(log_has(r, "[module #1|'what': unknown option"));
    CHECK(!r->vms[0].valid);
    CHECK(r->vms[1].valid);
    CHECK_EQ_U(r->vms[0].nmodules, 1);
    free(r);
}

TEST(whole_vm_options_refused_on_module_lines)
{
    /* `module` decides the role wherever it stands on the line. */
    struct run *r = PARSE("vm=a", "mem=4M vm=a testdev expect=fail module");
    const char *why = "belongs on the VM's kernel line, not on a 'module' or 'disk' line";
    char expected[512];

    snprintf(expected, sizeof(expected),
             "[module #1|'mem=4M': %s][module #1|'testdev': %s][module #1|'expect=fail': %s]",
             why, why, why);
    CHECK_EQ_I(r->problems, 3);
    CHECK_STR(r->log, expected);
    CHECK(!r->vms[0].valid);
    CHECK_EQ_U(r->vms[0].mem_bytes, VM_MEM_DEFAULT);
    CHECK(!r->vms[0].testdev);
    CHECK_EQ_U(r->vms[0].expect, VM_EXPECT_PASS);
    free(r);
}

TEST(module_word_takes_no_value)
{
    struct run *r = PARSE("vm=a module=yes");

    CHECK_EQ_I(r->problems, 1);
    CHECK_STR(r->log, "[module #0|'module=yes': takes no value]");
    /* Not a role word, so this is a's kernel line. */
    CHECK_EQ_I(r->vms[0].kernel_module, 0);
    CHECK(!r->vms[0].valid);
    free(r);
}

TEST(flags_take_no_value_and_values_are_required)
{
    struct run *r = PARSE("vm=a testdev=1 expect mem");

    CHECK_EQ_I(r->problems, 3);
    CHECK_STR(r->log, "[module #0|'testdev=1': takes no value]"
                      "[module #0|'expect': needs a value][module #0|'mem': needs a value]");
    CHECK(!r->vms[0].testdev);
    free(r);
}

TEST(bad_expect)
{
    struct run *r = PARSE("vm=a expect=crash", "vm=b expect=status:", "vm=c expect=status:7x",
                          "vm=d expect=PASS");

    CHECK_EQ_I(r->problems, 4);
    CHECK(log_has(r, "[module #0|'expect=crash': unknown outcome (known: pass, fail, "
                     "triple-fault, halted, bad-access, entry-failed, unhandled, reset, status:N)]"));
    CHECK(log_has(r, "[module #1|'expect=status:': status:N needs a number"));
    CHECK(log_has(r, "[module #2|'expect=status:7x': status:N needs a number"));
    CHECK(log_has(r, "[module #3|'expect=PASS': unknown outcome"));
    for (size_t i = 0; i < r->nvms; i++)
        CHECK(!r->vms[i].valid);
    free(r);
}

TEST(repeated_options)
{
    struct run *r = PARSE("vm=a mem=4M mem=8M expect=fail expect=pass vm=a");

    CHECK_EQ_I(r->problems, 3);
    CHECK_STR(r->log, "[module #0|'mem=8M': given twice on one line]"
                      "[module #0|'expect=pass': given twice on one line]"
                      "[module #0|'vm=a': given twice on one line]");
    CHECK_EQ_U(r->vms[0].mem_bytes, 4u << 20);
    CHECK_EQ_U(r->vms[0].expect, VM_EXPECT_FAIL);
    CHECK(!r->vms[0].valid);
    free(r);
}

TEST(two_vm_words_name_the_first)
{
    struct run *r = PARSE("vm=a vm=b");

    CHECK_EQ_I(r->problems, 1);
    CHECK_EQ_U(r->nvms, 1);
    CHECK_STR(r->vms[0].name, "a");
    CHECK(!r->vms[0].valid);
    free(r);
}

TEST(line_without_vm)
{
    struct run *r = PARSE("mem=4M -- hello", "vm=a", "module");
    struct vm_module_src nothing = { .index = 7, .cmdline = NULL, .size = 1 };

    CHECK_EQ_I(r->problems, 2);
    CHECK_STR(r->log, "[module #0|no vm=NAME: which VM is this module for?]"
                      "[module #2|no vm=NAME: which VM is this module for?]");
    CHECK_EQ_U(r->nvms, 1);
    CHECK(r->vms[0].valid);
    CHECK_EQ_U(r->vms[0].nmodules, 0);
    free(r);

    /* GRUB gives an empty line for a module with nothing after its path. */
    r = calloc(1, sizeof(*r));
    r->problems = vm_configs_parse(&nothing, 1, r->vms, MAX_TEST_VMS, &r->nvms, record_report,
                                   r);
    CHECK_EQ_I(r->problems, 1);
    CHECK_STR(r->log, "[module #7|no vm=NAME: which VM is this module for?]");
    CHECK_EQ_U(r->nvms, 0);
    free(r);
}

TEST(vm_names)
{
    static const char *const good[] = { "a", "z9", "web_1", "x-y", "0", "abcdefghijklmno" };
    static const char *const bad[] = { "A", "a.b", "", "abcdefghijklmnop", "caf\xc3\xa9",
                                       "\"a b\"", "a/b", "a,b" };

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        char line[64];
        snprintf(line, sizeof(line), "vm=%s", good[i]);
        struct run *r = PARSE(line);
        if (r->problems != 0)
            UNIT_FAIL("vm=%s: %s", good[i], r->log);
        CHECK_EQ_U(r->nvms, 1);
        CHECK_STR(r->vms[0].name, good[i]);
        free(r);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char line[64], expected[256];
        snprintf(line, sizeof(line), "vm=%s", bad[i]);
        snprintf(expected, sizeof(expected), "[module #0|'vm=%s': a VM name is 1 to 15 "
                 "characters of a-z, 0-9, '_' and '-']", bad[i]);
        struct run *r = PARSE(line);
        CHECK_EQ_I(r->problems, 1);
        if (strcmp(r->log, expected) != 0)
            UNIT_FAIL("vm=%s: log %s", bad[i], r->log);
        CHECK_EQ_U(r->nvms, 0);
        free(r);
    }
}

TEST(vm_without_kernel)
{
    struct run *r = PARSE("vm=a module", "vm=b", "vm=a module -- s");

    CHECK_EQ_I(r->problems, 1);
    CHECK_STR(r->log, "[a|no kernel: each of its lines says 'module']");
    CHECK(!r->vms[0].valid);
    CHECK_EQ_I(r->vms[0].kernel_module, -1);
    CHECK_EQ_U(r->vms[0].nmodules, 2);
    CHECK_STR(r->vms[0].reason, "no kernel: each of its lines says 'module'");
    CHECK(r->vms[1].valid);
    free(r);
}

TEST(two_kernels)
{
    struct run *r = PARSE("vm=a mem=4M -- one", "vm=b", "vm=a mem=8M -- two");

    CHECK_EQ_I(r->problems, 1);
    CHECK_STR(r->log, "[a|two kernels, module #0 and module #2 "
                      "(a line without 'module' is the kernel)]");
    CHECK(!r->vms[0].valid);
    CHECK_EQ_I(r->vms[0].kernel_module, 0);     /* the first one is kept */
    CHECK_EQ_U(r->vms[0].mem_bytes, 4u << 20);
    CHECK_STR(r->vms[0].cmdline, "one");
    CHECK(r->vms[1].valid);
    free(r);
}

TEST(too_many_modules)
{
    const char *lines[2 + VM_MAX_MODULES];

    lines[0] = "vm=a";
    for (int i = 1; i < 2 + VM_MAX_MODULES; i++)
        lines[i] = "vm=a module";
    struct run *r = parse_max(lines, 1 + VM_MAX_MODULES, MAX_TEST_VMS);
    CHECK_EQ_I(r->problems, 0);
    CHECK_EQ_U(r->vms[0].nmodules, VM_MAX_MODULES);
    CHECK(r->vms[0].valid);
    free(r);

    r = parse_max(lines, 2 + VM_MAX_MODULES, MAX_TEST_VMS);
    CHECK_EQ_I(r->problems, 1);
    CHECK_STR(r->log, "[a|more than 8 modules (module #9 is one too many)]");
    CHECK(!r->vms[0].valid);
    CHECK_EQ_U(r->vms[0].nmodules, VM_MAX_MODULES);
    free(r);
}

TEST(too_many_vms)
{
    const char *lines[] = { "vm=a", "vm=b", "vm=c", "vm=a module", "vm=c module" };
    struct run *r = parse_max(lines, 5, 2);

    CHECK_EQ_I(r->problems, 2);
    CHECK_STR(r->log, "[module #2|vm=c: more than 2 VMs, this one is not started]"
                      "[module #4|vm=c: more than 2 VMs, this one is not started]");
    CHECK_EQ_U(r->nvms, 2);
    CHECK(r->vms[0].valid);
    CHECK(r->vms[1].valid);
    CHECK_EQ_U(r->vms[0].nmodules, 1);
    free(r);

    r = parse_max(lines, 1, 0);
    CHECK_EQ_I(r->problems, 1);
    CHECK_EQ_U(r->nvms, 0);
    free(r);
}

TEST(command_line_length_limits)
{
    static char line[2048], expected[VM_CMDLINE_MAX];
    const char *prefix = "vm=a -- ";

    /* 1023 characters fit... */
    memset(expected, 'c', VM_CMDLINE_MAX - 1);
    expected[VM_CMDLINE_MAX - 1] = '\0';
    snprintf(line, sizeof(line), "%s%s", prefix, expected);
    struct run *r = PARSE(line);
    CHECK_EQ_I(r->problems, 0);
    CHECK_STR(r->vms[0].cmdline, expected);
    free(r);

    /* ...1024 do not, and are not silently cut. */
    snprintf(line, sizeof(line), "%s%sc", prefix, expected);
    r = PARSE(line);
    CHECK_EQ_I(r->problems, 1);
    CHECK_STR(r->log, "[module #0|the guest's command line after '--' is longer than "
                      "1023 characters]");
    CHECK(!r->vms[0].valid);
    free(r);
}

TEST(module_string_length_limits)
{
    static char line[1024], text[VM_MODULE_STRING_MAX + 1];

    memset(text, 's', VM_MODULE_STRING_MAX - 1);
    snprintf(line, sizeof(line), "vm=a module -- %s", text);
    struct run *r = PARSE("vm=a", line);
    CHECK_EQ_I(r->problems, 0);
    CHECK_STR(r->vms[0].modules[0].string, text);
    free(r);

    text[VM_MODULE_STRING_MAX - 1] = 's';
    snprintf(line, sizeof(line), "vm=a module -- %s", text);
    r = PARSE("vm=a", line);
    CHECK_EQ_I(r->problems, 1);
    CHECK_STR(r->log, "[module #1|the module's string after '--' is longer than "
                      "255 characters]");
    CHECK(!r->vms[0].valid);
    free(r);
}

TEST(first_reason_is_kept_and_every_problem_counted)
{
    struct run *r = PARSE("vm=a mem=1M", "vm=a module bogus", "vm=a");

    CHECK_EQ_I(r->problems, 3);
    CHECK_EQ_I(r->nreports, 3);
    CHECK(log_has(r, "[module #0|'mem=1M'"));
    CHECK(log_has(r, "[module #1|'bogus'"));
    CHECK(log_has(r, "[a|two kernels, module #0 and module #2"));
    CHECK(!r->vms[0].valid);
    CHECK(strstr(r->vms[0].reason, "module #0: 'mem=1M': below the 2 MiB") ==
          r->vms[0].reason);
    free(r);
}

TEST(reason_follows_the_order_of_reports)
{
    /* The second kernel line has its own mistake, reported before the
     * two-kernels problem is found. */
    struct run *r = PARSE("vm=a", "vm=a what");

    CHECK_EQ_I(r->problems, 2);
    CHECK_STR(r->log, "[module #1|'what': unknown option (known: " KNOWN_OPTIONS ")][a|two kernels, module #0 and module #1 (a line without "
                      "'module' is the kernel)]");
    CHECK(strstr(r->vms[0].reason, "module #1: 'what': unknown option") == r->vms[0].reason);
    free(r);
}

TEST(no_report_callback)
{
    struct vm_module_src mods[] = { { 0, "vm=a oops", 10 }, { 1, "nothing", 10 } };
    struct vm_config vms[2];
    size_t n = 5;

    /* 'oops', then 'nothing' (unknown option, and no vm= on its line). */
    CHECK_EQ_I(vm_configs_parse(mods, 2, vms, 2, &n, NULL, NULL), 3);
    CHECK_EQ_U(n, 1);
    CHECK(!vms[0].valid);
}

TEST(quoted_values_and_unterminated_quotes)
{
    struct run *r = PARSE("vm=\"a\" mem=\"8M\"", "vm=b mem=\"8M");

    CHECK_EQ_I(r->problems, 1);
    CHECK_STR(r->vms[0].name, "a");
    CHECK_EQ_U(r->vms[0].mem_bytes, 8u << 20);
    CHECK(r->vms[0].valid);
    CHECK_STR(r->vms[1].name, "b");
    CHECK(log_has(r, "[module #1|'mem=\"8M': unterminated quote]"));
    CHECK(!r->vms[1].valid);
    free(r);
}

/* ------------------------------------------------------------------------ */
/* The table                                                                */

#define TABLE_MAX_LINES 8

struct table_out {
    int n;
    char lines[TABLE_MAX_LINES][TABLE_LINE_MAX];
};

static void keep_line(const char *text, void *ctx)
{
    struct table_out *t = ctx;

    if (t->n < TABLE_MAX_LINES)
        snprintf(t->lines[t->n], TABLE_LINE_MAX, "%s", text);
    t->n++;
}

/* Offset of needle in the line, -1 if absent. */
static long column_of(const char *line, const char *needle)
{
    const char *p = strstr(line, needle);
    return p != NULL ? (long)(p - line) : -1;
}

TEST(table_columns_line_up)
{
    struct run *r = PARSE("vm=alpha mem=32M -- arg1 arg2", "vm=alpha module -- s",
                          "vm=alpha module", "vm=b nonsense");
    struct table_out *t = calloc(1, sizeof(*t));

    r->vms[0].kernel_size = 120 * 1024;
    r->vms[0].modules[0].size = 4096;
    r->vms[0].modules[1].size = 1025;           /* rounds up to 2 KiB */
    r->vms[1].kernel_size = 65536;
    vm_config_table(r->vms, r->nvms, keep_line, t);

    CHECK_EQ_I(t->n, 3);
    CHECK_STR(t->lines[0], "name   memory  kernel       modules       command line  state");
    CHECK_STR(t->lines[1], "alpha  32 MiB  #0, 120 KiB  2 (4, 2 KiB)  \"arg1 arg2\"   ok");
    CHECK_STR(t->lines[2], "b      16 MiB  #3, 64 KiB   -             \"\"            "
                           "not started: module #3: 'nonsense': unknown option "
                           "(known: " KNOWN_OPTIONS ")");
    free(t);
    free(r);
}

TEST(table_long_command_line_and_no_kernel)
{
    struct run *r = PARSE("vm=long -- 0123456789012345678901234567890123456789-and-more",
                          "vm=nokernel module");
    struct table_out *t = calloc(1, sizeof(*t));

    vm_config_table(r->vms, r->nvms, keep_line, t);
    CHECK_EQ_I(t->n, 3);
    long cmd = column_of(t->lines[0], "command line");
    long state = column_of(t->lines[0], "state");
    CHECK_EQ_I(column_of(t->lines[1], "\"0123456789012345678901234567890123456789\"..."), cmd);
    CHECK(strstr(t->lines[1], "-and-more") == NULL);
    CHECK_EQ_I(column_of(t->lines[1], "ok"), state);
    CHECK_EQ_I(column_of(t->lines[2], "not started: no kernel"), state);
    long kernel = column_of(t->lines[0], "kernel");
    CHECK_EQ_I(t->lines[2][kernel], '-');
    CHECK_EQ_I(t->lines[2][kernel + 1], ' ');
    free(t);
    free(r);
}

TEST(table_of_nothing_is_a_header)
{
    struct table_out t = { 0 };

    vm_config_table(NULL, 0, keep_line, &t);
    CHECK_EQ_I(t.n, 1);
    CHECK_STR(t.lines[0], "name  memory  kernel  modules  command line  state");
}

TEST(table_full_vm_fits_its_line)
{
    /* Every field at its widest: nothing may be cut off mid-table. */
    struct vm_config *vm = calloc(1, sizeof(*vm));
    struct table_out *t = calloc(1, sizeof(*t));

    memset(vm->name, 'n', VM_NAME_MAX);
    vm->mem_bytes = VM_MEM_LIMIT - VM_MEM_GRANULE;
    vm->kernel_module = 31;
    vm->kernel_size = UINT64_MAX;
    vm->nmodules = VM_MAX_MODULES;
    for (int i = 0; i < VM_MAX_MODULES; i++)
        vm->modules[i].size = UINT64_MAX;
    memset(vm->cmdline, 'c', VM_CMDLINE_MAX - 1);
    memset(vm->reason, 'r', VM_REASON_MAX - 1);
    vm_config_table(vm, 1, keep_line, t);
    CHECK_EQ_I(t->n, 2);
    CHECK(strstr(t->lines[1], "4094 MiB") != NULL);
    CHECK(strstr(t->lines[1], "#31, 18014398509481984 KiB") != NULL);
    size_t len = strlen(t->lines[1]);
    CHECK(len < TABLE_LINE_MAX - 1);            /* not truncated */
    CHECK_EQ_I(t->lines[1][len - 1], 'r');      /* the reason runs to the end */
    free(t);
    free(vm);
}

TEST(testbreak_names_a_field_on_the_kernel_line)
{
    struct vm_module_src mods[] = {
        { 0, "vm=a testbreak=rflags", 4096 },
        { 1, "vm=b testbreak=cs", 4096 },
        { 2, "vm=c testbreak=bogus", 4096 },
        { 3, "vm=a module testbreak=efer", 4096 },
    };
    struct vm_config out[4];
    size_t n = 0;
    int problems = vm_configs_parse(mods, 4, out, 4, &n, NULL, NULL);
    CHECK_EQ_I(problems, 2);
    CHECK_EQ_U(n, 3);
    CHECK_EQ_U(out[0].testbreak, VM_TESTBREAK_RFLAGS);
    CHECK(!out[0].valid);       /* its module line carried a kernel-line option */
    CHECK_EQ_U(out[1].testbreak, VM_TESTBREAK_CS);
    CHECK(out[1].valid);
    CHECK(!out[2].valid);
    CHECK(strstr(out[2].reason, "unknown field (known: rflags, cs, efer)") != NULL);
}

TEST(disk_lines_onreset_and_com2)
{
    struct vm_module_src mods[] = {
        { 0, "vm=a onreset=restart com2", 4096 },
        { 1, "vm=a disk", 8192 },
        { 2, "vm=b", 4096 },
        { 3, "vm=b disk=rw", 1024 },
        { 4, "vm=c", 4096 },
        { 5, "vm=c disk", 1000 },             /* not a multiple of 512 */
        { 6, "vm=d onreset=never", 4096 },
        { 7, "vm=e", 4096 },
        { 8, "vm=e disk", 512 },
        { 9, "vm=e disk", 512 },              /* a second disk */
        { 10, "vm=f", 4096 },
        { 11, "vm=f disk module", 512 },       /* both roles */
        { 12, "vm=g", 4096 },
        { 13, "vm=g disk=ro", 512 },
    };
    struct vm_config out[8];
    size_t n = 0;
    vm_configs_parse(mods, 14, out, 8, &n, NULL, NULL);
    CHECK_EQ_U(n, 7);
    CHECK(out[0].valid);
    CHECK_EQ_U(out[0].onreset, VM_ONRESET_RESTART);
    CHECK(out[0].com2);
    CHECK_EQ_I(out[0].disk_module, 1);
    CHECK_EQ_U(out[0].disk_size, 8192);
    CHECK(!out[0].disk_rw);
    CHECK_EQ_U(out[0].nmodules, 0);
    CHECK(out[1].valid);
    CHECK(out[1].disk_rw);
    CHECK_EQ_U(out[1].onreset, VM_ONRESET_STOP);
    CHECK(!out[2].valid);
    CHECK(strstr(out[2].reason, "nonzero multiple of 512") != NULL);
    CHECK(!out[3].valid);
    CHECK(strstr(out[3].reason, "onreset is stop or restart") != NULL);
    CHECK(!out[4].valid);
    CHECK(strstr(out[4].reason, "two disks") != NULL);
    CHECK(!out[5].valid);
    CHECK(strstr(out[5].reason, "either a module or a disk") != NULL);
    CHECK(!out[6].valid);
    CHECK(strstr(out[6].reason, "disk takes no value, or rw") != NULL);
}
