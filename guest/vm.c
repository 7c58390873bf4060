/*
 * Virtual machines: built from the GRUB module lines (guest/vm_config.c),
 * given RAM of their own, loaded (guest/mb_loader.c), equipped with devices,
 * and stopped with a report when they are done or misbehave.
 */
#include "guest/vm.h"

#include <stdarg.h>

#include "arch/x86/cpu.h"
#include "boot/boot_info.h"
#include "guest/dev/devices.h"
#include "guest/pc_machine.h"
#include "guest/dev/ata.h"
#include "guest/dev/disk_store.h"
#include "guest/dev/uart16550.h"
#include "guest/focus.h"
#include "guest/mb_loader.h"
#include "guest/vcpu.h"
#include "guest/vm_table.h"
#include "kernel/log.h"
#include "lib/format.h"
#include "lib/string.h"
#include "mm/frame.h"
#include "mm/paging.h"

struct vm vms[VM_MAX_VMS];
size_t nr_vms;
static struct vm_config configs[VM_MAX_VMS];
static size_t nr_configs;

static const char *const stop_reason_names[] = {
    [VM_STOP_NONE] = "running",
    [VM_STOP_DEBUG_EXIT] = "debug-exit",
    [VM_STOP_SHUTDOWN_PORT] = "shutdown port",
    [VM_STOP_TRIPLE_FAULT] = "triple fault",
    [VM_STOP_HALTED] = "halted forever",
    [VM_STOP_IDLE_FOREVER] = "idle forever",
    [VM_STOP_BAD_ACCESS] = "bad access",
    [VM_STOP_ENTRY_FAILED] = "VM entry failed",
    [VM_STOP_UNHANDLED] = "unhandled",
    [VM_STOP_LOAD_FAILED] = "not started",
    [VM_STOP_RESET] = "guest reset",
    [VM_STOP_CONSOLE] = "stopped by the console",
};

const char *vm_stop_reason_name(enum vm_stop_reason reason)
{
    return stop_reason_names[reason];
}

/* ---- guest RAM ---- */

void *vm_ram_ptr(struct vm *vm, uint64_t gpa, size_t len)
{
    if (gpa >= vm->ram_size || len > vm->ram_size - gpa)
        return NULL;
    return vm->ram + gpa;
}

bool vm_ram_read(const struct vm *vm, uint64_t gpa, void *dst, size_t len)
{
    if (gpa >= vm->ram_size || len > vm->ram_size - gpa)
        return false;
    memcpy(dst, vm->ram + gpa, len);
    return true;
}

bool vm_ram_write(struct vm *vm, uint64_t gpa, const void *src, size_t len)
{
    if (gpa >= vm->ram_size || len > vm->ram_size - gpa)
        return false;
    memcpy(vm->ram + gpa, src, len);
    return true;
}

/* ---- console ---- */

void vm_console_flush(struct vm *vm)
{
    if (!vm->console_len)
        return;
    focus_before_guest_line();
    kprintf("(%s) %.*s\n", vm->name, (int)vm->console_len, vm->console_line);
    vm->console_len = 0;
}

void vm_console_putc(struct vm *vm, char c)
{
    if (c == '\r')
        return;
    if (c == '\n') {
        if (vm->console_len)
            vm_console_flush(vm);
        else {
            focus_before_guest_line();
            kprintf("(%s)\n", vm->name);
        }
        return;
    }
    vm->console_line[vm->console_len++] = c;
    if (vm->console_len == sizeof(vm->console_line))
        vm_console_flush(vm);
}

/* ---- stopping ---- */

static void print_exit_counts(const struct vcpu *v)
{
    uint64_t total = 0;
    for (unsigned r = 0; r < NR_EXIT_REASONS; r++)
        total += v->stats.reason[r].count;
    kprintf("  exits: %lu in all", total);
    for (unsigned r = 0; r < NR_EXIT_REASONS; r++)
        if (v->stats.reason[r].count)
            kprintf(", %s %lu", exit_reason_name(r), v->stats.reason[r].count);
    kprintf("\n");
}

/* The exit that stops a VM is never followed by an entry, where exits are
 * normally timed: count it here, with the time its handling took. */
static void record_final_exit(struct vcpu *v)
{
    if (!exit_trace_newest_open(&v->trace))
        return;
    uint64_t ticks = rdtsc() - v->exit_tsc;
    exit_stats_record(&v->stats, v->exit_reason & EXIT_REASON_BASIC_MASK, ticks);
    exit_trace_complete(&v->trace, ticks);
}

/* Stops that are not the guest's own doing get the trace ring printed:
 * what led up to them is usually the question. */
static bool abnormal_stop(enum vm_stop_reason reason)
{
    return reason != VM_STOP_DEBUG_EXIT && reason != VM_STOP_SHUTDOWN_PORT;
}

static void print_trace_line(const char *text, void *ctx)
{
    (void)ctx;
    kprintf("    %s\n", text);
}

void vm_stop(struct vm *vm, enum vm_stop_reason reason, uint64_t status, const char *fmt, ...)
{
    if (vm->state == VM_STATE_STOPPED)
        return;
    vm_console_flush(vm);
    vm->state = VM_STATE_STOPPED;
    vm->stop_reason = reason;
    vm->stop_status = status;
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(vm->stop_detail, sizeof(vm->stop_detail), fmt, ap);
    va_end(ap);
    record_final_exit(&vm->vcpu);
    kprintf("keel: vm %s stopped: %s status=%lu (%s)\n", vm->name, vm_stop_reason_name(reason),
            status, vm->stop_detail);
    print_exit_counts(&vm->vcpu);
    if (abnormal_stop(reason) && exit_trace_count(&vm->vcpu.trace)) {
        kprintf("  last exits, oldest first:\n");
        exit_trace_dump(&vm->vcpu.trace, EXIT_TICKS_UNIT, print_trace_line, NULL);
    }
    if (vm->pio_unclaimed_in || vm->pio_unclaimed_out)
        kprintf("  unclaimed ports: %lu IN, %lu OUT\n", vm->pio_unclaimed_in,
                vm->pio_unclaimed_out);
}

bool vm_outcome_as_expected(const struct vm *vm)
{
    const struct vm_config *c = vm->config;
    enum vm_stop_reason r = vm->stop_reason;
    switch (c->expect) {
    case VM_EXPECT_PASS:
        return r == VM_STOP_DEBUG_EXIT && vm->stop_status == 1;
    case VM_EXPECT_FAIL:
        return r == VM_STOP_DEBUG_EXIT && vm->stop_status != 1;
    case VM_EXPECT_TRIPLE_FAULT:
        return r == VM_STOP_TRIPLE_FAULT;
    case VM_EXPECT_HALTED:
        return r == VM_STOP_HALTED;
    case VM_EXPECT_BAD_ACCESS:
        return r == VM_STOP_BAD_ACCESS;
    case VM_EXPECT_ENTRY_FAILED:
        return r == VM_STOP_ENTRY_FAILED;
    case VM_EXPECT_UNHANDLED:
        return r == VM_STOP_UNHANDLED;
    case VM_EXPECT_RESET:
        return r == VM_STOP_RESET;
    case VM_EXPECT_STATUS:
        return r == VM_STOP_DEBUG_EXIT && vm->stop_status == c->expect_status;
    }
    return false;
}

/* ---- creation ---- */

static int fail(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct vm *vm, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(vm->stop_detail, sizeof(vm->stop_detail), fmt, ap);
    va_end(ap);
    vm->state = VM_STATE_STOPPED;
    vm->stop_reason = VM_STOP_LOAD_FAILED;
    pr_err("vm %s not started: %s", vm->name, vm->stop_detail);
    return -1;
}

static const void *module_bytes(const struct boot_info *bi, unsigned index, size_t *len)
{
    const struct boot_module *m = &bi->modules[index];
    *len = (size_t)(m->end - m->start);
    return phys_to_virt(m->start);
}

static int allocate_ram(struct vm *vm)
{
    size_t frames = (size_t)(vm->config->mem_bytes / PAGE_SIZE);
    /* 2 MiB-aligned, so EPT can use 2 MiB pages throughout. */
    vm->ram_hpa = frame_try_alloc_contig(frames, LARGE_PAGE_SIZE / PAGE_SIZE);
    if (!vm->ram_hpa)
        return fail(vm, "mem=%luM does not fit: %lu MiB of keel's memory are free",
                    vm->config->mem_bytes >> 20, (frame_free_count() * PAGE_SIZE) >> 20);
    vm->ram_size = vm->config->mem_bytes;
    vm->ram = phys_to_virt(vm->ram_hpa);
    return 0;
}

static int load_guest(struct vm *vm, const struct boot_info *bi, uint32_t *entry,
                      uint32_t *mbi)
{
    char err[160];
    size_t len;
    const void *image = module_bytes(bi, (unsigned)vm->config->kernel_module, &len);
    struct mb_load_result res;
    if (mb_guest_load(image, len, vm->ram, vm->ram_size, &res, err, sizeof(err)))
        return fail(vm, "kernel (module #%d): %s", vm->config->kernel_module, err);

    struct mb_module_src mods[VM_MAX_MODULES];
    for (size_t i = 0; i < vm->config->nmodules; i++) {
        mods[i].bytes = module_bytes(bi, vm->config->modules[i].index, &mods[i].len);
        mods[i].string = vm->config->modules[i].string;
    }
    struct mb_info_src src = {
        .cmdline = vm->config->cmdline,
        .loader_name = "keel",
        .image_start = res.image_start,
        .image_end = res.image_end,
        .modules = mods,
        .nmodules = vm->config->nmodules,
    };
    if (mb_guest_build_info(vm->ram, vm->ram_size, &src, mbi, err, sizeof(err)))
        return fail(vm, "multiboot information: %s", err);
    *entry = res.entry;
    return 0;
}

/* Disk stores live for the whole keel run, so a disk keeps what the guest
 * wrote across the VM's restarts. */
static struct disk_store disk_stores[VM_MAX_VMS];

static void *disk_overlay_page(void *ctx)
{
    (void)ctx;
    uint64_t frame = frame_try_alloc_contig(1, 1);
    return frame ? phys_to_virt(frame) : NULL;
}

static int open_disk(struct vm *vm, const struct boot_info *bi)
{
    char err[160];
    size_t len;
    void *image = (void *)module_bytes(bi, (unsigned)vm->config->disk_module, &len);
    enum disk_store_mode mode = vm->config->disk_rw ? DISK_STORE_READ_WRITE
                                                    : DISK_STORE_COPY_ON_WRITE;
    if (disk_store_init(&disk_stores[vm->index], image, len, mode, disk_overlay_page, NULL, err,
                        sizeof(err)))
        return fail(vm, "disk (module #%d): %s", vm->config->disk_module, err);
    return 0;
}

static int attach_devices(struct vm *vm)
{
    char err[160];
    vm_clear_pio(vm);
    vm->nmmio = 0;
    uart16550_attach(vm, UART16550_COM1_BASE, UART16550_COM1_IRQ);
    if (vm->config->com2)
        uart16550_attach(vm, UART16550_COM2_BASE, UART16550_COM2_IRQ);
    debug_exit_attach(vm);
    bochs_shutdown_attach(vm);
    echo_port_attach(vm);
    fw_cfg_attach(vm);
    reset_control_attach(vm);
    i8042_attach(vm);
    if (vm->config->testdev)
        testdev_attach(vm);
    if (vm->config->disk_module >= 0 &&
        ata_attach(vm, &disk_stores[vm->index], err, sizeof(err)))
        return fail(vm, "disk: %s", err);
    /* Last: it connects the interrupt lines of the devices above. */
    return pc_machine_attach(vm);
}

static int build_address_space(struct vm *vm)
{
    gpa_map_init(&vm->gpa_map);
    if (gpa_map_add(&vm->gpa_map, 0, vm->ram_size, GPA_RAM, vm->ram_hpa) != 0)
        return fail(vm, "cannot map its RAM");
    for (size_t i = 0; i < vm->nmmio; i++)
        if (gpa_map_add(&vm->gpa_map, vm->mmio[i].gpa, vm->mmio[i].size, GPA_MMIO, 0) != 0)
            return fail(vm, "MMIO region %s overlaps its RAM", vm->mmio[i].name);
    if (vm_arch_build_address_space(vm))
        return fail(vm, "%s", vm->stop_detail[0] ? vm->stop_detail : "no second-level paging");
    return 0;
}

static int vm_create(struct vm *vm, const struct boot_info *bi)
{
    uint32_t entry = 0, mbi = 0;
    if (!vm->config->valid)
        return fail(vm, "%s", vm->config->reason);
    if (allocate_ram(vm) || load_guest(vm, bi, &entry, &mbi))
        return -1;
    if (vm->config->disk_module >= 0 && open_disk(vm, bi))
        return -1;
    vm->vcpu.vm = vm;
    vm->vcpu.id = 0;
    if (attach_devices(vm) || build_address_space(vm))
        return -1;
    exit_stats_reset(&vm->vcpu.stats);
    exit_trace_reset(&vm->vcpu.trace);
    if (vcpu_arch_create(&vm->vcpu, entry))
        return fail(vm, "its vCPU could not be set up");
    vm->vcpu.regs.gpr[GPR_RBX] = mbi;
    vm->state = VM_STATE_RUNNABLE;
    return 0;
}

/* ---- resets ---- */

/* A guest that resets itself in a loop is stopped after this many restarts. */
#define VM_MAX_RESTARTS 100

static const struct boot_info *boot_info_for_restarts;

void vm_reset(struct vm *vm, const char *why)
{
    if (vm->state == VM_STATE_STOPPED)
        return;
    if (vm->config->onreset != VM_ONRESET_RESTART) {
        vm_stop(vm, VM_STOP_RESET, 0, "%s (onreset=stop)", why);
        return;
    }
    if (vm->restarts == VM_MAX_RESTARTS) {
        vm_stop(vm, VM_STOP_RESET, 0, "%s, after %u restarts: resetting in a loop", why,
                vm->restarts);
        return;
    }
    kstrlcpy(vm->reset_reason, why, sizeof(vm->reset_reason));
    vm->state = VM_STATE_RESETTING;
}

/* Starts a VM again as at boot: RAM cleared and the kernel, its modules and
 * multiboot information loaded anew, devices reset (the disk's store is
 * kept), the vCPU in its start state. */
void vm_restart(struct vm *vm)
{
    uint32_t entry = 0, mbi = 0;
    vm_console_flush(vm);
    vm->restarts++;
    kprintf("keel: vm %s reset (%s): restarting it (restart %u)\n", vm->name, vm->reset_reason,
            vm->restarts);
    memset(vm->ram, 0, vm->ram_size);
    if (load_guest(vm, boot_info_for_restarts, &entry, &mbi) || attach_devices(vm))
        return;
    if (vcpu_arch_reset(&vm->vcpu, entry)) {
        fail(vm, "its vCPU could not be reset");
        return;
    }
    vm->vcpu.regs.gpr[GPR_RBX] = mbi;
    vm->state = VM_STATE_RUNNABLE;
}

static void report_config_problem(const char *who, const char *msg, void *ctx)
{
    (void)ctx;
    pr_err("%s: %s", who, msg);
}

static void print_table_line(const char *text, void *ctx)
{
    (void)ctx;
    kprintf("  %s\n", text);
}

size_t vms_create(const struct boot_info *bi)
{
    boot_info_for_restarts = bi;
    struct vm_module_src srcs[BOOT_MAX_MODULES];
    for (size_t i = 0; i < bi->module_count; i++)
        srcs[i] = (struct vm_module_src){
            .index = (unsigned)i,
            .cmdline = bi->modules[i].cmdline,
            .size = bi->modules[i].end - bi->modules[i].start,
        };
    vm_configs_parse(srcs, bi->module_count, configs, VM_MAX_VMS, &nr_configs,
                     report_config_problem, NULL);
    if (!nr_configs)
        return 0;
    kprintf("keel: virtual machines:\n");
    vm_config_table(configs, nr_configs, print_table_line, NULL);

    nr_vms = nr_configs;
    for (size_t i = 0; i < nr_vms; i++) {
        struct vm *vm = &vms[i];
        memset(vm, 0, sizeof(*vm));
        vm->config = &configs[i];
        vm->name = configs[i].name;
        vm->index = (unsigned)i;
        vm->state = VM_STATE_NOT_STARTED;
        if (vm_create(vm, bi) == 0)
            pr_info("vm %s: %lu MiB at host %lx, ready", vm->name, vm->ram_size >> 20,
                    vm->ram_hpa);
    }
    return nr_vms;
}
