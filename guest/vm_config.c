/*
 * VM configuration from GRUB module lines (contract in guest/vm_config.h).
 *
 * Each line is read in two steps.  First only its role word is looked for
 * (`module`, or none for a kernel), because whether an option is allowed
 * depends on the role and the words may come in any order.  Then the whole
 * line goes through cmdline_parse() with the option table below; each
 * apply function fills a struct line_parse, and only once the line is done,
 * and its vm= known, is it merged into its VM.  Problems found on a line are
 * reported under "module #N", since the line may not name a VM at all;
 * problems of a whole VM (no kernel, two kernels) under the VM's name.
 */
#include "guest/vm_config.h"

#include "lib/cmdline.h"
#include "lib/format.h"
#include "lib/string.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define MIB_SHIFT 20
#define KIB_SHIFT 10

#define LABEL_MAX 24                /* "module #4294967295" */
#define EXPECT_STATUS_PREFIX "status:"

enum line_role {
    LINE_KERNEL,                /* no role word: the VM's kernel */
    LINE_MODULE,                /* `module`: a multiboot module of the VM */
    LINE_DISK,                  /* `disk` or `disk=rw`: the VM's ATA disk image */
};

/* One module line while it is being read. */
struct line_parse {
    const struct vm_module_src *src;
    char label[LABEL_MAX];
    enum line_role role;

    /* Each *_seen says the word was on the line, usable or not, so that a
     * second one is reported as a repeat; the values keep their defaults
     * unless a usable word set them. */
    char vm[VM_NAME_MAX + 1];   /* "" until a usable vm= is seen */
    bool vm_seen;
    bool mem_seen;
    uint64_t mem_bytes;
    bool testdev;
    enum vm_testbreak testbreak;
    enum vm_onreset onreset;
    bool com2;
    bool disk_rw;
    bool expect_seen;
    enum vm_expect expect;
    uint64_t expect_status;

    unsigned problems;
    char first_problem[VM_REASON_MAX];
    struct parse_state *state;
};

/* The whole parse. */
struct parse_state {
    struct vm_config *vms;
    size_t max_vms;
    size_t nvms;
    int problems;
    vm_config_report_fn report;
    void *report_ctx;
};

static void report_problem(struct parse_state *state, const char *who, const char *msg)
{
    state->problems++;
    if (state->report != NULL)
        state->report(who, msg, state->report_ctx);
}

static void mark_invalid(struct vm_config *vm, const char *reason)
{
    if (!vm->valid)
        return;                 /* keep the first reason */
    vm->valid = false;
    kstrlcpy(vm->reason, reason, sizeof(vm->reason));
}

/* ------------------------------------------------------------------------ */
/* Option values                                                            */

/* The names of expect= outcomes, as written; VM_EXPECT_STATUS is written
 * "status:N" and matched by its prefix. */
static const char *const expect_names[] = {
    [VM_EXPECT_PASS] = "pass",
    [VM_EXPECT_FAIL] = "fail",
    [VM_EXPECT_TRIPLE_FAULT] = "triple-fault",
    [VM_EXPECT_HALTED] = "halted",
    [VM_EXPECT_BAD_ACCESS] = "bad-access",
    [VM_EXPECT_ENTRY_FAILED] = "entry-failed",
    [VM_EXPECT_UNHANDLED] = "unhandled",
    [VM_EXPECT_RESET] = "reset",
    [VM_EXPECT_STATUS] = "status",
};

const char *vm_expect_name(enum vm_expect expect)
{
    if ((size_t)expect < ARRAY_SIZE(expect_names) && expect_names[expect] != NULL)
        return expect_names[expect];
    return "?";
}

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static bool is_vm_name(const char *s)
{
    size_t len = strnlen(s, VM_NAME_MAX + 1);

    if (len == 0 || len > VM_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!is_name_char(s[i]))
            return false;
    }
    return true;
}

static int refuse(char *err, size_t errlen, const char *why)
{
    kstrlcpy(err, why, errlen);
    return -1;
}

/* Whole-VM options are read from the kernel line only, so that there is one
 * place to look for them. */
static int refuse_unless_kernel_line(const struct line_parse *line, char *err, size_t errlen)
{
    if (line->role == LINE_KERNEL)
        return 0;
    return refuse(err, errlen, "belongs on the VM's kernel line, not on a 'module' or 'disk' "
                               "line");
}

static int refuse_repeat(bool seen, char *err, size_t errlen)
{
    return seen ? refuse(err, errlen, "given twice on one line") : 0;
}

/* ------------------------------------------------------------------------ */
/* The option table and what each option does                               */

static int apply_vm(const char *value, void *ctx, char *err, size_t errlen)
{
    struct line_parse *line = ctx;

    if (refuse_repeat(line->vm_seen, err, errlen))
        return -1;
    line->vm_seen = true;
    if (!is_vm_name(value))
        return refuse(err, errlen, "a VM name is 1 to 15 characters of a-z, 0-9, '_' and '-'");
    kstrlcpy(line->vm, value, sizeof(line->vm));
    return 0;
}

static int apply_module(const char *value, void *ctx, char *err, size_t errlen)
{
    struct line_parse *line = ctx;

    (void)value;
    if (line->role == LINE_DISK)
        return refuse(err, errlen, "a line is either a module or a disk");
    line->role = LINE_MODULE;
    return 0;
}

/* `disk` (copy-on-write) or `disk=rw` (in place): this module is the VM's
 * disk image. */
static int apply_disk(const char *value, void *ctx, char *err, size_t errlen)
{
    struct line_parse *line = ctx;

    if (value && strcmp(value, "rw") != 0)
        return refuse(err, errlen, "disk takes no value, or rw (written in place)");
    if (line->role == LINE_MODULE)
        return refuse(err, errlen, "a line is either a module or a disk");
    line->role = LINE_DISK;
    line->disk_rw = value != NULL;
    return 0;
}

static int apply_onreset(const char *value, void *ctx, char *err, size_t errlen)
{
    struct line_parse *line = ctx;

    if (refuse_unless_kernel_line(line, err, errlen))
        return -1;
    if (strcmp(value, "stop") == 0)
        line->onreset = VM_ONRESET_STOP;
    else if (strcmp(value, "restart") == 0)
        line->onreset = VM_ONRESET_RESTART;
    else
        return refuse(err, errlen, "onreset is stop or restart");
    return 0;
}

static int apply_com2(const char *value, void *ctx, char *err, size_t errlen)
{
    struct line_parse *line = ctx;

    (void)value;
    if (refuse_unless_kernel_line(line, err, errlen))
        return -1;
    line->com2 = true;
    return 0;
}

static int apply_mem(const char *value, void *ctx, char *err, size_t errlen)
{
    struct line_parse *line = ctx;
    uint64_t bytes;

    if (refuse_unless_kernel_line(line, err, errlen) ||
        refuse_repeat(line->mem_seen, err, errlen))
        return -1;
    line->mem_seen = true;
    if (cmdline_parse_size(value, &bytes) != 0)
        return refuse(err, errlen, "not a size (write it like 32M or 1G)");
    if (bytes < VM_MEM_MIN)
        return refuse(err, errlen, "below the 2 MiB a VM needs at least");
    if (bytes >= VM_MEM_LIMIT)
        return refuse(err, errlen, "must be below 4 GiB (the guest starts in 32-bit mode)");
    if (bytes % VM_MEM_GRANULE != 0)
        return refuse(err, errlen, "not a multiple of 2 MiB");
    line->mem_bytes = bytes;
    return 0;
}

static int apply_testdev(const char *value, void *ctx, char *err, size_t errlen)
{
    struct line_parse *line = ctx;

    (void)value;
    if (refuse_unless_kernel_line(line, err, errlen))
        return -1;
    line->testdev = true;
    return 0;
}

static int apply_testbreak(const char *value, void *ctx, char *err, size_t errlen)
{
    static const char *const names[] = {
        [VM_TESTBREAK_RFLAGS] = "rflags", [VM_TESTBREAK_CS] = "cs", [VM_TESTBREAK_EFER] = "efer",
    };
    struct line_parse *line = ctx;

    if (refuse_unless_kernel_line(line, err, errlen))
        return -1;
    for (size_t i = 1; i < ARRAY_SIZE(names); i++) {
        if (strcmp(value, names[i]) == 0) {
            line->testbreak = (enum vm_testbreak)i;
            return 0;
        }
    }
    return refuse(err, errlen, "unknown field (known: rflags, cs, efer)");
}

static int parse_expect_status(const char *number, struct line_parse *line, char *err,
                               size_t errlen)
{
    if (cmdline_parse_u64(number, &line->expect_status) != 0)
        return refuse(err, errlen, "status:N needs a number, decimal or 0x-hex");
    line->expect = VM_EXPECT_STATUS;
    return 0;
}

static int apply_expect(const char *value, void *ctx, char *err, size_t errlen)
{
    struct line_parse *line = ctx;
    size_t prefix_len = sizeof(EXPECT_STATUS_PREFIX) - 1;

    if (refuse_unless_kernel_line(line, err, errlen) ||
        refuse_repeat(line->expect_seen, err, errlen))
        return -1;
    line->expect_seen = true;
    if (strncmp(value, EXPECT_STATUS_PREFIX, prefix_len) == 0)
        return parse_expect_status(value + prefix_len, line, err, errlen);
    for (size_t i = 0; i < ARRAY_SIZE(expect_names); i++) {
        if (i != VM_EXPECT_STATUS && strcmp(value, expect_names[i]) == 0) {
            line->expect = (enum vm_expect)i;
            return 0;
        }
    }
    return refuse(err, errlen, "unknown outcome (known: pass, fail, triple-fault, halted, "
                               "bad-access, entry-failed, unhandled, reset, status:N)");
}

/* The one place where module-line options are defined.  An option that
 * describes the whole VM calls refuse_unless_kernel_line() first. */
static const struct cmdline_option vm_option_table[] = {
    { "vm", CMDLINE_VALUE_REQUIRED, apply_vm,
      "the VM this module belongs to: 1 to 15 of a-z, 0-9, '_', '-'" },
    { "module", CMDLINE_NO_VALUE, apply_module,
      "this module is a multiboot module of the VM, not its kernel" },
    { "mem", CMDLINE_VALUE_REQUIRED, apply_mem,
      "the VM's RAM: a multiple of 2M from 2M to below 4G (default 16M)" },
    { "disk", CMDLINE_VALUE_OPTIONAL, apply_disk,
      "this module is the VM's ATA disk: copy-on-write, or written in place with disk=rw" },
    { "onreset", CMDLINE_VALUE_REQUIRED, apply_onreset,
      "what a guest reset does: stop (default) or restart (the disk keeps its contents)" },
    { "com2", CMDLINE_NO_VALUE, apply_com2, "a second 16550A UART at 0x2F8, IRQ 3" },
    { "testdev", CMDLINE_NO_VALUE, apply_testdev, "attach keel's MMIO test region" },
    { "testbreak", CMDLINE_VALUE_REQUIRED, apply_testbreak,
      "test only: corrupt one guest-state field (rflags, cs, efer) so VM entry fails" },
    { "expect", CMDLINE_VALUE_REQUIRED, apply_expect,
      "the outcome that counts as success: pass (default), fail, triple-fault, halted, "
      "bad-access, entry-failed, unhandled, reset, status:N" },
};

/* The words that give a line its role; read before the rest of the line. */
static const struct cmdline_option role_words[] = {
    { "module", CMDLINE_NO_VALUE, apply_module, NULL },
    { "disk", CMDLINE_VALUE_OPTIONAL, apply_disk, NULL },
};

/* ------------------------------------------------------------------------ */
/* Reading one line                                                         */

static void line_problem(struct line_parse *line, const char *msg)
{
    if (line->problems++ == 0)
        ksnprintf(line->first_problem, sizeof(line->first_problem), "%s: %s", line->label, msg);
    report_problem(line->state, line->label, msg);
}

/* cmdline_parse() report callback: one rejected word. */
static void line_word_rejected(const char *word, const char *why, void *ctx)
{
    struct line_parse *line = ctx;
    char msg[CMDLINE_WORD_MAX + VM_REASON_MAX];
    int len = ksnprintf(msg, sizeof(msg), "'%s': %s", word, why);

    if (strcmp(why, "unknown option") == 0) {
        /* Say what would have been understood: the table is the reference. */
        for (size_t i = 0; i < ARRAY_SIZE(vm_option_table) && len > 0 &&
                           (size_t)len < sizeof(msg); i++)
            len += ksnprintf(msg + len, sizeof(msg) - (size_t)len, "%s%s",
                             i == 0 ? " (known: " : ", ", vm_option_table[i].name);
        if (len > 0 && (size_t)len < sizeof(msg))
            ksnprintf(msg + len, sizeof(msg) - (size_t)len, ")");
    }
    line_problem(line, msg);
}

/* Copies the text after `--` into out[outlen]; refuses text that does not fit
 * rather than cutting a guest's command line short. */
static void take_rest(struct line_parse *line, const char *rest, char *out, size_t outlen,
                      const char *what)
{
    if (rest == NULL)
        rest = "";
    if (kstrlcpy(out, rest, outlen) < outlen)
        return;
    char msg[VM_REASON_MAX];
    ksnprintf(msg, sizeof(msg), "%s after '--' is longer than %zu characters", what,
              outlen - 1);
    line_problem(line, msg);
}

/* ------------------------------------------------------------------------ */
/* Merging a line into its VM                                               */

static struct vm_config *find_vm(struct parse_state *state, const char *name)
{
    for (size_t i = 0; i < state->nvms; i++) {
        if (strcmp(state->vms[i].name, name) == 0)
            return &state->vms[i];
    }
    return NULL;
}

static struct vm_config *add_vm(struct parse_state *state, const char *name)
{
    if (state->nvms == state->max_vms)
        return NULL;
    struct vm_config *vm = &state->vms[state->nvms++];
    *vm = (struct vm_config){
        .mem_bytes = VM_MEM_DEFAULT,
        .kernel_module = -1,
        .disk_module = -1,
        .expect = VM_EXPECT_PASS,
        .valid = true,
    };
    kstrlcpy(vm->name, name, sizeof(vm->name));
    return vm;
}

static void merge_kernel_line(struct vm_config *vm, const struct line_parse *line,
                              const char *rest)
{
    if (vm->kernel_module >= 0) {
        char msg[VM_REASON_MAX];
        ksnprintf(msg, sizeof(msg),
                  "two kernels, module #%d and %s (a line without 'module' is the kernel)",
                  vm->kernel_module, line->label);
        report_problem(line->state, vm->name, msg);
        mark_invalid(vm, msg);
        return;
    }
    vm->kernel_module = (int)line->src->index;
    vm->kernel_size = line->src->size;
    vm->mem_bytes = line->mem_bytes;
    vm->testdev = line->testdev;
    vm->testbreak = line->testbreak;
    vm->onreset = line->onreset;
    vm->com2 = line->com2;
    vm->expect = line->expect;
    vm->expect_status = line->expect_status;
    kstrlcpy(vm->cmdline, rest, sizeof(vm->cmdline));
}

static void merge_disk_line(struct vm_config *vm, const struct line_parse *line)
{
    char msg[VM_REASON_MAX];
    if (vm->disk_module >= 0) {
        ksnprintf(msg, sizeof(msg), "two disks, module #%d and %s (one disk per VM)",
                  vm->disk_module, line->label);
    } else if (line->src->size == 0 || line->src->size % 512 != 0) {
        ksnprintf(msg, sizeof(msg), "%s: a disk image must be a nonzero multiple of 512 bytes, "
                  "not %lu", line->label, (unsigned long)line->src->size);
    } else {
        vm->disk_module = (int)line->src->index;
        vm->disk_size = line->src->size;
        vm->disk_rw = line->disk_rw;
        return;
    }
    report_problem(line->state, vm->name, msg);
    mark_invalid(vm, msg);
}

static void merge_module_line(struct vm_config *vm, const struct line_parse *line,
                              const char *rest)
{
    if (vm->nmodules == VM_MAX_MODULES) {
        char msg[VM_REASON_MAX];
        ksnprintf(msg, sizeof(msg), "more than %d modules (%s is one too many)",
                  VM_MAX_MODULES, line->label);
        report_problem(line->state, vm->name, msg);
        mark_invalid(vm, msg);
        return;
    }
    struct vm_guest_module *mod = &vm->modules[vm->nmodules++];
    mod->index = line->src->index;
    mod->size = line->src->size;
    kstrlcpy(mod->string, rest, sizeof(mod->string));
}

static void parse_line(struct parse_state *state, const struct vm_module_src *src)
{
    struct line_parse line = {
        .src = src,
        .role = LINE_KERNEL,
        .mem_bytes = VM_MEM_DEFAULT,
        .expect = VM_EXPECT_PASS,
        .state = state,
    };
    const char *rest;
    char text[VM_CMDLINE_MAX];

    ksnprintf(line.label, sizeof(line.label), "module #%u", src->index);
    cmdline_parse(src->cmdline, role_words, ARRAY_SIZE(role_words), &line, NULL, NULL);
    cmdline_parse(src->cmdline, vm_option_table, ARRAY_SIZE(vm_option_table), &line,
                  line_word_rejected, &rest);
    if (line.role == LINE_KERNEL)
        take_rest(&line, rest, text, sizeof(text), "the guest's command line");
    else
        take_rest(&line, rest, text, VM_MODULE_STRING_MAX, "the module's string");

    if (line.vm[0] == '\0') {
        if (!line.vm_seen)
            line_problem(&line, "no vm=NAME: which VM is this module for?");
        return;
    }
    struct vm_config *vm = find_vm(state, line.vm);
    if (vm == NULL)
        vm = add_vm(state, line.vm);
    if (vm == NULL) {
        char msg[VM_REASON_MAX];
        ksnprintf(msg, sizeof(msg), "vm=%s: more than %zu VMs, this one is not started",
                  line.vm, state->max_vms);
        line_problem(&line, msg);
        return;
    }
    /* The line's own problems were reported first, so they come first. */
    if (line.problems > 0)
        mark_invalid(vm, line.first_problem);
    if (line.role == LINE_KERNEL)
        merge_kernel_line(vm, &line, text);
    else if (line.role == LINE_DISK)
        merge_disk_line(vm, &line);
    else
        merge_module_line(vm, &line, text);
}

static void check_complete(struct parse_state *state, struct vm_config *vm)
{
    if (vm->kernel_module >= 0)
        return;
    const char *msg = "no kernel: each of its lines says 'module'";
    report_problem(state, vm->name, msg);
    mark_invalid(vm, msg);
}

int vm_configs_parse(const struct vm_module_src *mods, size_t nmods, struct vm_config *out,
                     size_t max_vms, size_t *nvms, vm_config_report_fn report, void *ctx)
{
    struct parse_state state = {
        .vms = out,
        .max_vms = max_vms,
        .report = report,
        .report_ctx = ctx,
    };

    for (size_t i = 0; i < nmods; i++)
        parse_line(&state, &mods[i]);
    for (size_t i = 0; i < state.nvms; i++)
        check_complete(&state, &out[i]);
    *nvms = state.nvms;
    return state.problems;
}

/* ------------------------------------------------------------------------ */
/* The table printed before the VMs start                                   */

enum table_column {
    COL_NAME,
    COL_MEMORY,
    COL_KERNEL,
    COL_MODULES,
    COL_CMDLINE,
    COL_STATE,
    NR_COLUMNS,
};

static const char *const column_headers[NR_COLUMNS] = {
    [COL_NAME] = "name",
    [COL_MEMORY] = "memory",
    [COL_KERNEL] = "kernel",
    [COL_MODULES] = "modules",
    [COL_CMDLINE] = "command line",
    [COL_STATE] = "state",
};

#define TABLE_CELL_MAX     256
#define TABLE_LINE_MAX     768
#define TABLE_GAP          "  "
#define TABLE_CMDLINE_SHOWN 40      /* longer command lines end in "..." */

static uint64_t kib_rounded_up(uint64_t bytes)
{
    return (bytes >> KIB_SHIFT) + ((bytes & ((1u << KIB_SHIFT) - 1)) != 0);
}

static void modules_cell(const struct vm_config *vm, char *buf, size_t len)
{
    if (vm->nmodules == 0) {
        kstrlcpy(buf, "-", len);
        return;
    }
    int n = ksnprintf(buf, len, "%zu (", vm->nmodules);
    for (size_t i = 0; i < vm->nmodules && n > 0 && (size_t)n < len; i++)
        n += ksnprintf(buf + n, len - (size_t)n, "%s%llu", i == 0 ? "" : ", ",
                       (unsigned long long)kib_rounded_up(vm->modules[i].size));
    if (n > 0 && (size_t)n < len)
        ksnprintf(buf + n, len - (size_t)n, " KiB)");
}

static void cmdline_cell(const struct vm_config *vm, char *buf, size_t len)
{
    size_t shown = strnlen(vm->cmdline, TABLE_CMDLINE_SHOWN + 1);

    if (shown <= TABLE_CMDLINE_SHOWN)
        ksnprintf(buf, len, "\"%s\"", vm->cmdline);
    else
        ksnprintf(buf, len, "\"%.*s\"...", TABLE_CMDLINE_SHOWN, vm->cmdline);
}

/* The text of one cell; vm NULL gives the header. */
static void cell_text(const struct vm_config *vm, enum table_column col, char *buf, size_t len)
{
    if (vm == NULL) {
        kstrlcpy(buf, column_headers[col], len);
        return;
    }
    switch (col) {
    case COL_NAME:
        kstrlcpy(buf, vm->name, len);
        break;
    case COL_MEMORY:
        ksnprintf(buf, len, "%llu MiB", (unsigned long long)(vm->mem_bytes >> MIB_SHIFT));
        break;
    case COL_KERNEL:
        if (vm->kernel_module < 0)
            kstrlcpy(buf, "-", len);
        else
            ksnprintf(buf, len, "#%d, %llu KiB", vm->kernel_module,
                      (unsigned long long)kib_rounded_up(vm->kernel_size));
        break;
    case COL_MODULES:
        modules_cell(vm, buf, len);
        break;
    case COL_CMDLINE:
        cmdline_cell(vm, buf, len);
        break;
    case COL_STATE:
    default:
        if (vm->valid)
            kstrlcpy(buf, "ok", len);
        else
            ksnprintf(buf, len, "not started: %s", vm->reason);
        break;
    }
}

/* Renders one VM's row (vm NULL: the header), padding every column but the last. */
static void render_row(const struct vm_config *vm, const size_t widths[NR_COLUMNS],
                       char *out, size_t outlen)
{
    size_t n = 0;

    out[0] = '\0';
    for (int col = 0; col < NR_COLUMNS && n < outlen; col++) {
        char cell[TABLE_CELL_MAX];
        cell_text(vm, (enum table_column)col, cell, sizeof(cell));
        bool last = col == NR_COLUMNS - 1;
        int w = ksnprintf(out + n, outlen - n, "%-*s%s", last ? 0 : (int)widths[col], cell,
                          last ? "" : TABLE_GAP);
        if (w < 0)
            break;
        n += (size_t)w;
    }
}

void vm_config_table(const struct vm_config *cfgs, size_t n,
                     void (*line)(const char *text, void *ctx), void *ctx)
{
    size_t widths[NR_COLUMNS];
    char cell[TABLE_CELL_MAX];
    char text[TABLE_LINE_MAX];

    for (int col = 0; col < NR_COLUMNS; col++) {
        widths[col] = strlen(column_headers[col]);
        for (size_t i = 0; i < n; i++) {
            cell_text(&cfgs[i], (enum table_column)col, cell, sizeof(cell));
            size_t w = strlen(cell);
            if (w > widths[col])
                widths[col] = w;
        }
    }
    render_row(NULL, widths, text, sizeof(text));
    line(text, ctx);
    for (size_t i = 0; i < n; i++) {
        render_row(&cfgs[i], widths, text, sizeof(text));
        line(text, ctx);
    }
}
