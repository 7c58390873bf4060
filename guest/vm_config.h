/*
 * The VMs keel is asked to run, read from the GRUB module lines
 * (guest/vm_config.c): pure logic, host-tested.
 *
 * Each GRUB module is one line of the boot entry:
 *
 *     module2 /guests/a.elf  vm=a mem=32M -- arg1 arg2   (a's kernel; its command line)
 *     module2 /guests/env    vm=a module                 (a multiboot module of a)
 *
 * keel receives the words after the path, never the path.  A line names its
 * VM with vm=NAME; without the word `module` it is that VM's kernel, with it
 * a multiboot module handed to the kernel (modules keep their line order).
 * The words after `--` are the kernel's command line, or the module's string.
 * Options that describe the whole VM (mem=, testdev, expect=) belong on its
 * kernel line.  Every mistake is reported, and a VM with any mistake is kept
 * in the list, marked not valid with the first reason, so the table shows it
 * as not started while the other VMs run.
 */
#ifndef KEEL_GUEST_VM_CONFIG_H
#define KEEL_GUEST_VM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VM_NAME_MAX           15            /* characters, of [a-z0-9_-] */
#define VM_CMDLINE_MAX        1024          /* guest command line, with its NUL */
#define VM_MODULE_STRING_MAX  256           /* a module's string, with its NUL */
#define VM_MAX_MODULES        8
#define VM_REASON_MAX         192

#define VM_MEM_DEFAULT        (16ull << 20)
#define VM_MEM_MIN            (2ull << 20)
#define VM_MEM_LIMIT          (4ull << 30)  /* exclusive: the guest starts in 32-bit mode */
#define VM_MEM_GRANULE        (2ull << 20)  /* mem= is a whole number of 2 MiB pages */

/* One GRUB module as keel received it. */
struct vm_module_src {
    unsigned index;             /* position among GRUB's modules: "module #index" */
    const char *cmdline;        /* the words after the path; NULL = none */
    uint64_t size;              /* bytes */
};

/* What outcome of the VM counts as success for keel's overall result. */
enum vm_expect {
    VM_EXPECT_PASS,             /* the guest reports success (the default) */
    VM_EXPECT_FAIL,             /* the guest reports failure */
    VM_EXPECT_TRIPLE_FAULT,
    VM_EXPECT_HALTED,
    VM_EXPECT_BAD_ACCESS,       /* an access keel refuses (outside RAM, say) */
    VM_EXPECT_ENTRY_FAILED,     /* VM entry itself fails */
    VM_EXPECT_UNHANDLED,        /* an exit keel does not handle */
    VM_EXPECT_RESET,            /* the guest resets itself and onreset=stop (or it loops) */
    VM_EXPECT_STATUS,           /* the guest ends with status vm_config.expect_status */
};

/* Guest-state fields `testbreak=` corrupts before the first VM entry, so
 * keel's VM-entry failure explainer can be seen and tested. */
enum vm_testbreak {
    VM_TESTBREAK_NONE,
    VM_TESTBREAK_RFLAGS,        /* clears RFLAGS bit 1, which must be 1 */
    VM_TESTBREAK_CS,            /* marks CS not present */
    VM_TESTBREAK_EFER,          /* sets EFER.LMA without IA-32e mode */
};

/* What a VM reset (triple fault, port 0xCF9, the keyboard controller's
 * reset line) does. */
enum vm_onreset {
    VM_ONRESET_STOP,            /* the VM stops (default) */
    VM_ONRESET_RESTART,         /* the VM starts again from its kernel, disk kept */
};

struct vm_guest_module {
    unsigned index;             /* GRUB module number */
    uint64_t size;              /* bytes */
    char string[VM_MODULE_STRING_MAX];  /* the words after `--`, verbatim */
};

struct vm_config {
    char name[VM_NAME_MAX + 1];
    uint64_t mem_bytes;
    int kernel_module;          /* GRUB module number of the kernel, -1 if none */
    uint64_t kernel_size;       /* bytes */
    char cmdline[VM_CMDLINE_MAX];   /* the words after the kernel line's `--`, verbatim */
    size_t nmodules;
    struct vm_guest_module modules[VM_MAX_MODULES];

    bool testdev;               /* attach keel's MMIO test region */
    enum vm_testbreak testbreak;
    enum vm_onreset onreset;
    bool com2;                  /* a second 16550A at 0x2F8, IRQ 3 */

    /* The VM's disk: a `disk` module line (raw image on the primary ATA
     * channel); -1 when none.  disk_rw: writes go to the module in place
     * instead of to keel's copy-on-write overlay. */
    int disk_module;
    uint64_t disk_size;
    bool disk_rw;
    enum vm_expect expect;
    uint64_t expect_status;     /* for VM_EXPECT_STATUS */

    bool valid;                 /* false: do not start it; reason says why */
    char reason[VM_REASON_MAX]; /* the first problem found, "" when valid */
};

/* Called once per problem: vm_or_module is the VM's name, or "module #N" for
 * a problem on one line (which may not even name a VM); msg is plain words. */
typedef void (*vm_config_report_fn)(const char *vm_or_module, const char *msg, void *ctx);

/*
 * Reads mods[0..nmods) into out[0..*nvms), one entry per VM named, in the
 * order the VMs are first named.  A VM beyond max_vms is reported and left
 * out.  Lines without a usable vm= are reported and belong to no VM.
 * Returns the number of problems reported (0 = every VM is valid).
 */
int vm_configs_parse(const struct vm_module_src *mods, size_t nmods, struct vm_config *out,
                     size_t max_vms, size_t *nvms, vm_config_report_fn report, void *ctx);

/* The name of an expect= outcome as written on the command line ("triple-fault"). */
const char *vm_expect_name(enum vm_expect expect);

/*
 * Renders the table keel prints before starting VMs: a header, then one line
 * per VM with aligned columns name, memory, kernel, modules, command line and
 * state ("ok", or "not started: " and the reason).  line() gets each line
 * without a newline.
 */
void vm_config_table(const struct vm_config *cfgs, size_t n,
                     void (*line)(const char *text, void *ctx), void *ctx);

#endif
