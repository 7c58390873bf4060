/*
 * keel_main(): where keel's C code starts, called by boot/entry.asm in long
 * mode on the boot stack with the loader's magic and information pointer.
 */
#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/fpu.h"
#include "arch/x86/gdt.h"
#include "arch/x86/pic.h"
#include "arch/x86/traps.h"
#include "arch/x86/tsc.h"
#include "boot/boot_info.h"
#include "drivers/debugcon.h"
#include "drivers/fbcon.h"
#include "drivers/ps2kbd.h"
#include "drivers/uart16550.h"
#include "drivers/vga_text.h"
#include "kernel/finish.h"
#include "kernel/log.h"
#include "kernel/options.h"
#include "kernel/poweroff.h"
#include "kernel/selftest.h"
#include "kernel/version.h"
#include "mm/frame.h"
#include "mm/paging.h"
#include "guest/vm_table.h"
#include "vmx/probe.h"
#include "vmx/vmx.h"

void keel_main(uint32_t magic, uint32_t mbi_phys);

static struct boot_info boot_info;

/* Until paging_init() the early tables direct-map exactly the first 4 GiB. */
static const void *read_loader_data(uint64_t phys, size_t len, void *ctx)
{
    (void)ctx;
    if (phys + len < phys || phys + len > (UINT64_C(4) << 30))
        return NULL;
    return phys_to_virt(phys);
}

static void consoles_init(const struct boot_info *bi)
{
    unsigned want = keel_options.consoles;
    if ((want & CONSOLE_COM1) && !uart_console_init())
        keel_options.consoles &= ~CONSOLE_COM1;
    if ((want & CONSOLE_E9) && !debugcon_init())
        keel_options.consoles &= ~CONSOLE_E9;
    if (want & CONSOLE_VGA) {
        bool screen = false;
        if (bi->fb.type == BOOT_FB_EGA_TEXT)
            screen = vga_text_init(&bi->fb);
        else if (bi->fb.type == BOOT_FB_RGB)
            screen = fbcon_init(&bi->fb);
        if (!screen)
            keel_options.consoles &= ~CONSOLE_VGA;
        else
            ps2kbd_init();      /* whoever reads the screen types on the keyboard */
    }
}

static void report_consoles(unsigned wanted)
{
    static const struct { unsigned bit; const char *name; } names[] = {
        { CONSOLE_COM1, "com1" }, { CONSOLE_VGA, "vga" }, { CONSOLE_E9, "e9" },
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if ((wanted & names[i].bit) && !(keel_options.consoles & names[i].bit))
            pr_warn("console %s asked for but not available", names[i].name);
    }
}

static const char *mem_type_name(uint32_t type)
{
    switch (type) {
    case BOOT_MEM_AVAILABLE: return "available";
    case BOOT_MEM_ACPI_RECLAIMABLE: return "ACPI reclaimable";
    case BOOT_MEM_ACPI_NVS: return "ACPI NVS";
    case BOOT_MEM_BAD: return "bad";
    default: return "reserved";
    }
}

static void report_boot_info(const struct boot_info *bi)
{
    pr_info("booted by %s via multiboot%s", bi->loader_name[0] ? bi->loader_name : "a loader",
            bi->multiboot_version == 2 ? "2" : "");
    pr_info("command line: %s", bi->cmdline[0] ? bi->cmdline : "(empty)");
    pr_debug("memory map:");
    for (size_t i = 0; i < bi->mmap_count; i++)
        pr_debug("  %016lx-%016lx %s", bi->mmap[i].base, bi->mmap[i].base + bi->mmap[i].length,
                 mem_type_name(bi->mmap[i].type));
    static const char *const fb_names[] = { "none", "RGB framebuffer", "EGA text" };
    pr_debug("screen: %s at %lx, %ux%u, pitch %u, %u bpp, RGB at %u:%u %u:%u %u:%u",
             fb_names[bi->fb.type], bi->fb.addr, bi->fb.width, bi->fb.height, bi->fb.pitch,
             bi->fb.bpp, bi->fb.red_pos, bi->fb.red_size, bi->fb.green_pos, bi->fb.green_size,
             bi->fb.blue_pos, bi->fb.blue_size);
    for (size_t i = 0; i < bi->module_count; i++)
        pr_info("module %zu: %08lx-%08lx (%lu KiB) %s", i, bi->modules[i].start,
                bi->modules[i].end, (bi->modules[i].end - bi->modules[i].start) >> 10,
                bi->modules[i].cmdline);
    if (bi->truncated_mmap || bi->truncated_modules || bi->truncated_strings)
        pr_warn("boot information truncated: %u memory map entries, %u modules and %u "
                "strings did not fit", bi->truncated_mmap, bi->truncated_modules,
                bi->truncated_strings);
}

void keel_main(uint32_t magic, uint32_t mbi_phys)
{
    char err[160];

    gdt_init();
    idt_init();

    int parse_failed = boot_info_parse(&boot_info, magic, mbi_phys, read_loader_data, NULL, err,
                                       sizeof(err));
    int bad_options = parse_failed ? 0 : options_parse(boot_info.cmdline);
    if (parse_failed)
        options_parse("");
    log_set_level(keel_options.loglevel);
    unsigned wanted_consoles = keel_options.consoles;
    consoles_init(&boot_info);

    kprintf("\nkeel %s: a type-1 hypervisor for x86-64 with Intel VT-x\n", KEEL_VERSION);
    if (parse_failed)
        keel_finish(false, "cannot read the boot information: %s", err);
    options_report_problems();
    report_consoles(wanted_consoles);
    report_boot_info(&boot_info);
    if (keel_options.help)
        options_print_help();

    frame_init(&boot_info);
    paging_init(&boot_info);
    poweroff_init(&boot_info);

    int selftest_failures = selftest_run();

    struct vmx_caps caps;
    bool vtx = vmx_probe(&caps);

    if (bad_options)
        keel_finish(false, "%d boot option%s rejected", bad_options, bad_options == 1 ? "" : "s");
    if (selftest_failures)
        keel_finish(false, "selftest %s: %d checks failed", keel_options.selftest,
                    selftest_failures);
    if (!vtx)
        keel_finish(false, "no usable VT-x: %s", vmx_unsupported_reason(&caps));
    pic_mask_all();
    pr_info("TSC: %u kHz (measured against the PIT)", tsc_calibrate());
    fpu_init();
    if (!vmx_enable(&caps))
        keel_finish(false, "cannot enter VMX operation");
    selftest_run_in_vmx();
    pr_info("exit bookkeeping (statistics and trace): %lu TSC ticks per exit",
            vmx_bookkeeping_ticks());
    size_t configured = vms_create(&boot_info);
    if (!configured) {
        pr_info("no VMs configured");
        keel_finish(true, NULL);
    }
    size_t unexpected = vms_run();
    if (unexpected)
        keel_finish(false, "%zu of %zu VMs did not end as expected", unexpected, configured);
    keel_finish(true, "%zu VM%s ended as expected", configured, configured == 1 ? "" : "s");
}
