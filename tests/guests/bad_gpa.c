/*
 * bad_gpa: a read of guest-physical 0xC0000000, which is neither RAM nor
 * MMIO in a keel VM.  keel must stop the VM with a report (an EPT violation
 * with no region behind it, or its shadow-paging equivalent).  Paging is
 * off, so the address is used as it is.
 *
 * Expected under keel: the VM stops as "bad-access".
 * Bare: the read returns whatever the machine has there (QEMU: nothing
 * mapped), the guest prints it and exits 0.
 */
#include "lib/guest.h"
#include "lib/keel.h"
#include "lib/report.h"

#define UNBACKED_GPA 0xC0000000u

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    bool keel = is_keel();
    printf("bad_gpa: reading guest-physical 0x%08x%s\n", UNBACKED_GPA,
           keel ? ": the VM must stop here" : "");
    uint32_t value = *(volatile uint32_t *)UNBACKED_GPA;
    printf("bad_gpa: read 0x%08x\n", value);
    if (keel)
        report(false, "bad_gpa: keel let a read of unbacked 0x%08x through", UNBACKED_GPA);
    else
        report_skip("bad_gpa: keel stops the VM (not under keel)");
}
