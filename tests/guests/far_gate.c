/*
 * far_gate: a far CALL through a pointer in testdev's IOMEM to a call gate
 * (lib/descriptors.h's 32-bit gate).  keel emulates far branches to code
 * segments only; a gate means a privilege change and a stack switch, which
 * its MMIO emulator leaves out, so keel must stop the VM naming the
 * instruction, not run on or crash.
 *
 * Expected under keel (with testdev): the VM stops as "unhandled".
 * Bare, or without testdev: there is no IOMEM; the guest says so and SKIPs.
 */
#include "lib/descriptors.h"
#include "lib/guest.h"
#include "lib/keel.h"
#include "lib/report.h"
#include "lib/testdev.h"

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    if (!is_keel() || !testdev_present()) {
        report_skip("far_gate: keel stops the VM (needs keel's testdev IOMEM)");
        return;
    }
    descriptors_install();
    volatile uint32_t *pointer = (volatile uint32_t *)TESTDEV_IOMEM_BASE;
    pointer[0] = 0;                     /* a gate ignores the offset */
    pointer[1] = GDT_CALL_GATE32_SELECTOR;
    printf("far_gate: lcall through a call gate, the pointer in MMIO: the VM must stop here\n");
    __asm__ __volatile__("lcall *(%0)" : : "r"(pointer) : "memory");
    report(false, "far_gate: keel let a far call through a gate run on");
}
