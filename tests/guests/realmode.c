/*
 * realmode: clears CR0.PE, as a guest entering real mode does.  Where keel
 * runs guests without unrestricted guest (no EPT, or noept), it cannot run
 * real mode and stops the VM with that reason; this guest shows it does so
 * cleanly, and that the other VMs go on.
 *
 * Expected under keel with shadow paging: expect=unhandled.  (Under EPT with
 * unrestricted guest the CPU would enter real mode and run this 32-bit code
 * as 16-bit code: do not run it there; lowmem runs real mode properly.)  Not
 * meant to run bare.
 */
#include <stdint.h>

#include "lib/guest.h"
#include "lib/report.h"

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic, (void)mbi;
    printf("realmode: clearing CR0.PE now\n");
    __asm__ __volatile__("mov %%cr0, %%eax\n\t"
                         "and $0xfffffffe, %%eax\n\t"
                         "mov %%eax, %%cr0"
                         : : : "eax", "memory");
    /* keel stops the VM at the MOV to CR0: nothing below runs there. */
    report(false, "realmode: still running after clearing CR0.PE");
}
