/*
 * hlt_forever: HLT with interrupts off.  Nothing can wake the vCPU, so keel
 * must stop the VM and report it as halted forever.
 *
 * Expected under keel: the VM stops as "halted" (no exit status).
 * Bare: QEMU sits halted until it is killed.
 */
#include "lib/guest.h"
#include "lib/report.h"
#include "lib/x86.h"

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    printf("hlt_forever: cli; hlt: the VM must stop here\n");
    cli();
    hlt();
    /* Only an NMI or SMI could get here: keel must not invent a wake-up. */
    report(false, "hlt_forever: still running after cli; hlt");
}
