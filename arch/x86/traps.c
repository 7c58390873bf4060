/* What keel does with an interrupt or exception: a registered handler runs;
 * anything else in keel's own code is a keel bug, reported with the full
 * register state and a backtrace, then keel stops. */
#include "arch/x86/traps.h"

#include "arch/x86/cpu.h"
#include "kernel/finish.h"
#include "kernel/log.h"
#include "lib/format.h"

static trap_handler_fn trap_handlers[NR_VECTORS];

static const char *const exception_names[NR_EXCEPTIONS] = {
    [EXC_DE] = "#DE divide error",
    [EXC_DB] = "#DB debug",
    [EXC_NMI] = "NMI",
    [EXC_BP] = "#BP breakpoint",
    [EXC_OF] = "#OF overflow",
    [EXC_BR] = "#BR bound range exceeded",
    [EXC_UD] = "#UD invalid opcode",
    [EXC_NM] = "#NM device not available",
    [EXC_DF] = "#DF double fault",
    [9] = "coprocessor segment overrun",
    [EXC_TS] = "#TS invalid TSS",
    [EXC_NP] = "#NP segment not present",
    [EXC_SS] = "#SS stack-segment fault",
    [EXC_GP] = "#GP general protection",
    [EXC_PF] = "#PF page fault",
    [EXC_MF] = "#MF x87 floating-point error",
    [EXC_AC] = "#AC alignment check",
    [EXC_MC] = "#MC machine check",
    [EXC_XM] = "#XM SIMD floating-point exception",
    [EXC_VE] = "#VE virtualization exception",
    [EXC_CP] = "#CP control protection",
};

const char *exception_name(unsigned vector)
{
    if (vector < NR_EXCEPTIONS && exception_names[vector])
        return exception_names[vector];
    return vector < NR_EXCEPTIONS ? "reserved exception" : "interrupt";
}

/* #PF error code bits, SDM vol. 3A 5.7 figure 5-12. */
#define PF_ERR_PRESENT  (1u << 0)
#define PF_ERR_WRITE    (1u << 1)
#define PF_ERR_USER     (1u << 2)
#define PF_ERR_RSVD     (1u << 3)
#define PF_ERR_FETCH    (1u << 4)
#define PF_ERR_PK       (1u << 5)
#define PF_ERR_SS       (1u << 6)

void page_fault_error_text(uint64_t error_code, char *buf, size_t len)
{
    ksnprintf(buf, len, "%s, %s, %s%s%s%s%s",
              error_code & PF_ERR_FETCH ? "fetch" : error_code & PF_ERR_WRITE ? "write" : "read",
              error_code & PF_ERR_USER ? "user" : "supervisor",
              error_code & PF_ERR_PRESENT ? "protection violation" : "page not present",
              error_code & PF_ERR_RSVD ? ", reserved bit set" : "",
              error_code & PF_ERR_PK ? ", protection key" : "",
              error_code & PF_ERR_SS ? ", shadow stack" : "", "");
}

void trap_register(unsigned vector, trap_handler_fn fn)
{
    BUG_ON(vector < NR_EXCEPTIONS || vector >= NR_VECTORS);
    trap_handlers[vector] = fn;
}

static void print_registers(const struct trap_frame *f)
{
    kprintf("  RIP=%016lx  CS=%04lx  RFLAGS=%016lx\n", f->rip, f->cs, f->rflags);
    kprintf("  RSP=%016lx  SS=%04lx  CR2=%016lx\n", f->rsp, f->ss, read_cr2());
    kprintf("  RAX=%016lx  RBX=%016lx  RCX=%016lx\n", f->rax, f->rbx, f->rcx);
    kprintf("  RDX=%016lx  RSI=%016lx  RDI=%016lx\n", f->rdx, f->rsi, f->rdi);
    kprintf("  RBP=%016lx  R8 =%016lx  R9 =%016lx\n", f->rbp, f->r8, f->r9);
    kprintf("  R10=%016lx  R11=%016lx  R12=%016lx\n", f->r10, f->r11, f->r12);
    kprintf("  R13=%016lx  R14=%016lx  R15=%016lx\n", f->r13, f->r14, f->r15);
    kprintf("  CR0=%016lx  CR3=%016lx  CR4=%016lx\n", read_cr0(), read_cr3(), read_cr4());
}

extern const struct trap_report __trap_reports_start[], __trap_reports_end[];

/* The report of a UD2 placed with TRAP_REPORT_UD2, or NULL. */
static const struct trap_report *trap_report_at(uint64_t rip)
{
    for (const struct trap_report *r = __trap_reports_start; r < __trap_reports_end; r++)
        if (r->rip == rip)
            return r;
    return NULL;
}

static _Noreturn void report_fatal_trap(const struct trap_frame *f)
{
    kprintf("\nkeel: unhandled %s (vector %lu) in keel at RIP %016lx, error code 0x%lx\n",
            exception_name((unsigned)f->vector), f->vector, f->rip, f->error_code);
    const struct trap_report *r = f->vector == EXC_UD ? trap_report_at(f->rip) : NULL;
    const char *summary = r ? r->report(f) : NULL;
    if (f->vector == EXC_PF) {
        char why[96];
        page_fault_error_text(f->error_code, why, sizeof(why));
        kprintf("  page fault at %016lx: %s\n", read_cr2(), why);
    }
    print_registers(f);
    print_backtrace(f->rbp);
    if (summary)
        keel_finish(false, "keel crashed: %s", summary);
    keel_finish(false, "keel crashed: unhandled %s", exception_name((unsigned)f->vector));
}

void trap_dispatch(struct trap_frame *frame)
{
    trap_handler_fn fn = trap_handlers[frame->vector & (NR_VECTORS - 1)];
    if (fn) {
        fn(frame);
        return;
    }
    report_fatal_trap(frame);
}
