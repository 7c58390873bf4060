#include <stddef.h>

#include "lib/guest.h"
#include "lib/idt.h"
#include "lib/report.h"

static const struct mb_info *multiboot_info;

const struct mb_info *boot_info(void)
{
    return multiboot_info;
}

const char *guest_cmdline(void)
{
    if (!multiboot_info || !(multiboot_info->flags & MB1_INFO_CMDLINE) ||
        !multiboot_info->cmdline)
        return "";
    return (const char *)(uintptr_t)multiboot_info->cmdline;
}

_Noreturn void guest_start(uint32_t magic, const struct mb_info *mbi)
{
    multiboot_info = magic == MB1_BOOTLOADER_MAGIC ? mbi : NULL;
    idt_install();
    guest_main(magic, mbi);
    report_summary_and_exit();
}
