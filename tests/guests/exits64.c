/*
 * exits64: the exits of kvm-unit-tests' vmexit and idt_test, and the
 * canonical edge of its hypercall test, made from 64-bit code.
 *
 * In 64-bit mode an exit handler reads and writes 64-bit registers: what it
 * writes must follow the instruction's operand size (a 32-bit result clears
 * bits 63:32 of its register, an 8-bit one leaves bits 63:8 alone: SDM vol.
 * 1 3.4.1.1), and every register the instruction does not name must come
 * back whole, R8-R15 included.  Each check runs one 64-bit snippet with
 * every general register loaded from a table (bits 63:32 set where that
 * tells something) and compares all of them afterwards.
 *
 *   - CPUID: EAX..EDX zero-extended, the rest untouched (vmexit "cpuid");
 *   - VMCALL: keel's version hypercall from 64-bit mode ("vmcall");
 *   - MOV to and from CR8 ("mov_to_cr8", "mov_from_cr8"): 0..15 read back;
 *   - IN from the ACPI PM timer port the FADT names ("inl_from_pmtimer"),
 *     from an unclaimed port ("inl_from_qemu": all ones, RAX bits 63:32
 *     cleared), IN AL and OUT of the ELCR at 0x4D0 ("inl_from_kernel",
 *     "outl_to_kernel": bits 63:8 of RAX kept);
 *   - MOV to DR7 of 0x400 and of a breakpoint enable, read back, DR0 too;
 *     bits 63:32 of DR7 set: #GP(0) ("mov_dr");
 *   - WRMSR IA32_KERNEL_GS_BASE, then SWAPGS makes it the GS base
 *     ("wr_kernel_gs_base");
 *   - MOV to CR0 of PE|PG and PE|WP|PG, read back (NE clear, ET set as on
 *     every CPU since the P6), and CR0.WP in force: a supervisor write to a
 *     read-only page works with WP = 0 and faults with WP = 1
 *     ("toggle_cr0_wp");
 *   - MOV to CR4 with PGE flipped and back, read back; a global translation
 *     is gone once PGE is cleared ("toggle_cr4_pge");
 *   - MOV to CR4 of 0xFFFFFFFF: #GP(0) with RFLAGS.RF set in the frame, as
 *     the CPU pushes for every fault; UD2: #UD with RF (idt_test);
 *   - VMCALL in the last 3 bytes below 2^47: keel moves RIP to
 *     0x800000000000, not canonical, and the next fetch raises #GP(0) there
 *     (hypercall's "VMCALL on edge of canonical address space"); VMMCALL
 *     raises #UD on an Intel CPU.
 *
 * Expected under keel: pass (EPT and shadow paging).  Bare (QEMU 7.2 TCG,
 * -cpu max): the keel-only checks SKIP (the MOV CR4 one because QEMU's TCG
 * retries a reserved CR4 bit forever, as cr4.c says); the rest pass.
 */
#include <stdbool.h>
#include <stdint.h>

#include "lib/acpi.h"
#include "lib/guest.h"
#include "lib/idt.h"
#include "lib/keel.h"
#include "lib/longmode.h"
#include "lib/page_alloc.h"
#include "lib/pagetable.h"
#include "lib/paging.h"
#include "lib/paging_cpu.h"
#include "lib/report.h"
#include "lib/runner.h"
#include "lib/string.h"
#include "lib/testdev.h"
#include "lib/x86.h"

#define MSR_IA32_GS_BASE        0xC0000101u
#define MSR_IA32_KERNEL_GS_BASE 0xC0000102u
#define UNCLAIMED_PORT          0x1234u
#define ELCR_MASTER_PORT        0x4D0u
#define ELCR_IRQ5               0x20u
#define CR0_ET                  (1u << 4)
#define CR0_NE                  (1u << 5)
#define DR7_FIXED1              0x400u          /* bit 10 reads as 1 */
#define DR7_L0                  0x1u
#define RFLAGS_RF               (1u << 16)
#define CPUID_1_EDX_PGE_BIT     (1u << 13)

#define GARBAGE 0xA5A5A5A5A5A5A5A5ull           /* a register's "before" */
#define HIGH_ONES 0xFFFFFFFF00000000ull

/* Where the checks map what they need, apart from RAM (identity). */
#define GLOBAL_PAGE     0x40000000u
#define READ_ONLY_PAGE  0x40001000u
#define EDGE_PAGE       0x00007FFFFFFFF000ull   /* the last page below 2^47 */
#define NON_CANONICAL   0x0000800000000000ull

/* ---- running 64-bit code ---------------------------------------------------- */

/* Every general register but RSP, in this order (snippets address them by
 * offset). */
struct regs64 {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};
#define NR_REGS64 15u
static const char *const reg64_names[NR_REGS64] = {
    "RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP",
    "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15",
};

/* What a snippet starts with and what it leaves (the asm below names them). */
struct regs64 in64, out64;

/*
 * A snippet, called in 64-bit mode by longmode_call(): it saves RBX and RBP
 * (the thunk needs RBX back), arms fault recovery around 'insn' the way
 * ASM_TRY does (so a fault resumes after it with the registers as they
 * were), loads every register from in64, runs 'insn', stores every register
 * into out64 and returns.
 */
#define LOAD64                                                                      \
    "movl $in64, %r15d\n\t"                                                         \
    "mov 0(%r15), %rax\n\tmov 8(%r15), %rbx\n\tmov 16(%r15), %rcx\n\t"              \
    "mov 24(%r15), %rdx\n\tmov 32(%r15), %rsi\n\tmov 40(%r15), %rdi\n\t"            \
    "mov 48(%r15), %rbp\n\tmov 56(%r15), %r8\n\tmov 64(%r15), %r9\n\t"              \
    "mov 72(%r15), %r10\n\tmov 80(%r15), %r11\n\tmov 88(%r15), %r12\n\t"            \
    "mov 96(%r15), %r13\n\tmov 104(%r15), %r14\n\tmov 112(%r15), %r15\n\t"
#define STORE64                                                                     \
    "push %r15\n\t"                                                                 \
    "movl $out64, %r15d\n\t"                                                        \
    "mov %rax, 0(%r15)\n\tmov %rbx, 8(%r15)\n\tmov %rcx, 16(%r15)\n\t"              \
    "mov %rdx, 24(%r15)\n\tmov %rsi, 32(%r15)\n\tmov %rdi, 40(%r15)\n\t"            \
    "mov %rbp, 48(%r15)\n\tmov %r8, 56(%r15)\n\tmov %r9, 64(%r15)\n\t"              \
    "mov %r10, 72(%r15)\n\tmov %r11, 80(%r15)\n\tmov %r12, 88(%r15)\n\t"            \
    "mov %r13, 96(%r15)\n\tmov %r14, 104(%r15)\n\t"                                 \
    "pop %rax\n\tmov %rax, 112(%r15)\n\t"
#define SNIPPET64(name, insn)                                                       \
    void name(void);                                                                \
    __asm__(".text\n.code64\n" #name ":\n\t"                                        \
            "push %rbx\n\tpush %rbp\n\t"                                            \
            "movl $fault_try_eip, %r15d\n\tmovl $1f, (%r15)\n\t"                    \
            "movl $fault_recovery_eip, %r15d\n\tmovl $2f, (%r15)\n\t"               \
            LOAD64 "1:\n\t" insn "\n2:\n\t" STORE64                                 \
            "movl $fault_recovery_eip, %r15d\n\tmovl $0, (%r15)\n\t"                \
            "pop %rbp\n\tpop %rbx\n\tret\n.code32\n")

SNIPPET64(snippet_cpuid, "cpuid");
SNIPPET64(snippet_vmcall, "vmcall");
SNIPPET64(snippet_cr8, "mov %rax, %cr8\n\tmov %cr8, %rcx");
SNIPPET64(snippet_inl, "in %dx, %eax");
SNIPPET64(snippet_inl_twice, "in %dx, %eax\n\tmov %rax, %rcx\n\tin %dx, %eax");
SNIPPET64(snippet_inb, "in %dx, %al");
SNIPPET64(snippet_outb, "out %al, %dx");
SNIPPET64(snippet_dr7, "mov %rdx, %dr0\n\tmov %rax, %dr7\n\tmov %dr7, %rcx\n\tmov %dr0, %rsi");
SNIPPET64(snippet_dr7_write, "mov %rax, %dr7");
SNIPPET64(snippet_kernel_gs_base,
          "wrmsr\n\tswapgs\n\tmov %r8, %rcx\n\trdmsr\n\tswapgs");
SNIPPET64(snippet_cr0, "mov %rax, %cr0\n\tmov %cr0, %rcx");
SNIPPET64(snippet_cr4, "mov %rax, %cr4\n\tmov %cr4, %rcx");
SNIPPET64(snippet_cr4_write, "mov %rax, %cr4");
SNIPPET64(snippet_ud2, "ud2");
SNIPPET64(snippet_vmmcall, ".byte 0x0f, 0x01, 0xd9");

/* Fills in64 with distinct values whose bits 63:32 are all set. */
static void in64_garbage(void)
{
    uint64_t *r = (uint64_t *)&in64;
    for (unsigned i = 0; i < NR_REGS64; i++)
        r[i] = GARBAGE ^ ((uint64_t)i << 8);
}

/* Runs a snippet; the vector it faulted with, or NO_FAULT. */
static int run64(void (*snippet)(void))
{
    fault_reset();
    longmode_call((uint32_t)(uintptr_t)snippet);
    return last_fault.vector;
}

/* out64 against in64 for the registers whose bit is clear in 'written'. */
static bool others_kept(uint32_t written)
{
    const uint64_t *a = (const uint64_t *)&in64, *b = (const uint64_t *)&out64;
    bool ok = true;
    for (unsigned i = 0; i < NR_REGS64; i++) {
        if ((written >> i) & 1 || a[i] == b[i])
            continue;
        printf("exits64: %s was 0x%llx, is 0x%llx\n", reg64_names[i], a[i], b[i]);
        ok = false;
    }
    return ok;
}

enum { R_RAX = 1u << 0, R_RBX = 1u << 1, R_RCX = 1u << 2, R_RDX = 1u << 3, R_RSI = 1u << 4,
       R_R8 = 1u << 7 };

static bool check_value(const char *what, uint64_t got, uint64_t want)
{
    if (got == want)
        return true;
    printf("exits64: %s 0x%llx, expected 0x%llx\n", what, got, want);
    return false;
}

/* ---- the address space ------------------------------------------------------ */

static struct pt_space space;
static uint32_t global_frame_a, global_frame_b, read_only_frame, edge_frame;
static struct acpi_pm_timer pm_timer;
static bool have_pm_timer;

static void enter_long_mode(void)
{
    pt_init(&space, PT_MODE_4LEVEL);
    pt_map_range(&space, 0, 0, ram_end(), PT_PTE, PTE_P | PTE_RW);
    global_frame_a = page_alloc();
    global_frame_b = page_alloc();
    read_only_frame = page_alloc();
    edge_frame = page_alloc();
    pt_map(&space, READ_ONLY_PAGE, read_only_frame, PT_PTE, PTE_P);
    pt_map(&space, EDGE_PAGE, edge_frame, PT_PTE, PTE_P | PTE_RW);
    pt_enable(&space);
}

/* ---- CPUID, VMCALL, CR8 ----------------------------------------------------- */

static bool cpuid_zero_extends(void)
{
    struct cpuid_regs want = cpuid(CPUID_LEAF_VENDOR);
    in64_garbage();
    in64.rax = HIGH_ONES | CPUID_LEAF_VENDOR;
    in64.rcx = HIGH_ONES;
    int v = run64(snippet_cpuid);
    return v == NO_FAULT && check_value("RAX", out64.rax, want.eax) &&
           check_value("RBX", out64.rbx, want.ebx) && check_value("RCX", out64.rcx, want.ecx) &&
           check_value("RDX", out64.rdx, want.edx) && others_kept(R_RAX | R_RBX | R_RCX | R_RDX);
}

static bool vmcall_from_64bit_mode(void)
{
    in64_garbage();
    in64.rax = KEEL_HC_VERSION;
    int v = run64(snippet_vmcall);
    return v == NO_FAULT && check_value("RAX", out64.rax, KEEL_HC_ABI_VERSION) &&
           check_value("EBX", (uint32_t)out64.rbx, KEEL_SIGNATURE_EBX) &&
           others_kept(R_RAX | R_RBX | R_RCX);
}

static bool cr8_reads_back(void)
{
    bool ok = true;
    for (uint64_t value = 15; value <= 15; value--) {
        in64_garbage();
        in64.rax = value;
        if (run64(snippet_cr8) != NO_FAULT || !check_value("CR8", out64.rcx, value) ||
            !others_kept(R_RCX))
            ok = false;
    }
    return ok;
}

/* ---- port I/O ----------------------------------------------------------------- */

static bool inl_unclaimed_all_ones(void)
{
    in64_garbage();
    in64.rdx = UNCLAIMED_PORT;
    int v = run64(snippet_inl);
    return v == NO_FAULT && check_value("RAX", out64.rax, 0xFFFFFFFFull) && others_kept(R_RAX);
}

static bool inb_elcr_keeps_rax_above_al(void)
{
    uint8_t elcr = inb(ELCR_MASTER_PORT);
    in64_garbage();
    in64.rdx = ELCR_MASTER_PORT;
    int v = run64(snippet_inb);
    return v == NO_FAULT && check_value("RAX", out64.rax, (in64.rax & ~0xFFull) | elcr) &&
           others_kept(R_RAX);
}

static bool outb_elcr_takes_effect(void)
{
    uint8_t before = inb(ELCR_MASTER_PORT);
    in64_garbage();
    in64.rax = (in64.rax & ~0xFFull) | (before ^ ELCR_IRQ5);
    in64.rdx = ELCR_MASTER_PORT;
    int v = run64(snippet_outb);
    uint8_t after = inb(ELCR_MASTER_PORT);
    outb(before, ELCR_MASTER_PORT);
    printf("exits64: ELCR 0x%02x, after OUT 0x%02x from 64-bit mode: 0x%02x\n", before,
           before ^ ELCR_IRQ5, after);
    return v == NO_FAULT && after == (before ^ ELCR_IRQ5) && others_kept(0);
}

static enum check_result pm_timer_from_64bit_mode(const char **why)
{
    if (!have_pm_timer) {
        *why = "no FADT with a PM timer port";
        return CHECK_SKIPPED;
    }
    uint32_t start = acpi_pm_timer_read(&pm_timer);
    in64_garbage();
    in64.rdx = pm_timer.port;
    int v = run64(snippet_inl_twice);
    uint32_t first = (uint32_t)out64.rcx, second = (uint32_t)out64.rax;
    uint32_t width_mask = pm_timer.bits == 32 ? 0xFFFFFFFFu : 0xFFFFFFu;
    printf("exits64: PM timer port 0x%x: 0x%x from 32-bit code, then 0x%llx, 0x%llx\n",
           pm_timer.port, start, out64.rcx, out64.rax);
    bool ok = v == NO_FAULT && out64.rax >> 32 == 0 && out64.rcx >> 32 == 0 &&
              (first & ~width_mask) == 0 && (second & ~width_mask) == 0 &&
              acpi_pm_timer_ticks_between(&pm_timer, start, second) < ACPI_PM_TIMER_HZ &&
              second != start && others_kept(R_RAX | R_RCX);
    return check_result_of(ok);
}

/* ---- debug registers, KERNEL_GS_BASE ----------------------------------------- */

static uint32_t never_executed;         /* DR0 points here, an execute breakpoint */

static bool dr7_reads_back(void)
{
    in64_garbage();
    in64.rax = DR7_FIXED1;
    in64.rdx = (uint32_t)(uintptr_t)&never_executed;
    bool ok = run64(snippet_dr7) == NO_FAULT && check_value("DR7", out64.rcx, DR7_FIXED1) &&
              check_value("DR0", out64.rsi, in64.rdx);
    in64_garbage();
    in64.rax = DR7_FIXED1 | DR7_L0;
    in64.rdx = (uint32_t)(uintptr_t)&never_executed;
    ok = run64(snippet_dr7) == NO_FAULT && check_value("DR7", out64.rcx, DR7_FIXED1 | DR7_L0) &&
         others_kept(R_RCX | R_RSI) && ok;
    in64.rax = DR7_FIXED1;
    run64(snippet_dr7_write);
    return ok;
}

static bool dr7_high_bits_fault(void)
{
    in64_garbage();
    in64.rax = (1ull << 32) | DR7_FIXED1;
    run64(snippet_dr7_write);
    bool ok = fault_at_try(GP_VECTOR) && last_fault.error_code == 0;
    in64.rax = DR7_FIXED1;
    run64(snippet_dr7_write);
    return ok;
}

static bool kernel_gs_base_swapped_in(void)
{
    const uint64_t value = 0x00007F1234567000ull;
    uint64_t gs_before = rdmsr(MSR_IA32_GS_BASE);
    in64_garbage();
    in64.rcx = MSR_IA32_KERNEL_GS_BASE;
    in64.rax = (uint32_t)value;
    in64.rdx = value >> 32;
    in64.r8 = MSR_IA32_GS_BASE;
    int v = run64(snippet_kernel_gs_base);
    uint64_t gs_seen = (out64.rdx << 32) | (uint32_t)out64.rax;
    uint64_t kgs_after = rdmsr(MSR_IA32_KERNEL_GS_BASE);
    uint64_t gs_after = rdmsr(MSR_IA32_GS_BASE);
    wrmsr(MSR_IA32_KERNEL_GS_BASE, 0);
    uint64_t zero = rdmsr(MSR_IA32_KERNEL_GS_BASE);
    printf("exits64: GS base after SWAPGS 0x%llx; KERNEL_GS_BASE 0x%llx, GS base 0x%llx\n",
           gs_seen, kgs_after, gs_after);
    return v == NO_FAULT && gs_seen == value && kgs_after == value && gs_after == gs_before &&
           zero == 0 && others_kept(R_RAX | R_RCX | R_RDX);
}

/* ---- CR0.WP and CR4.PGE ------------------------------------------------------- */

static int write_read_only_page(void)
{
    fault_reset();
    __asm__ __volatile__(ASM_TRY("movl $1, (%0)") : : "r"(READ_ONLY_PAGE) : "memory");
    return last_fault.vector;
}

static bool cr0_wp_toggled_from_64bit_mode(void)
{
    uint32_t original = read_cr0();
    const uint32_t without_wp = CR0_PE | CR0_PG, with_wp = CR0_PE | CR0_WP | CR0_PG;
    in64_garbage();
    in64.rax = without_wp;
    bool ok = run64(snippet_cr0) == NO_FAULT && check_value("CR0", out64.rcx, without_wp | CR0_ET);
    int unprotected = write_read_only_page();
    in64.rax = with_wp;
    ok = run64(snippet_cr0) == NO_FAULT && check_value("CR0", out64.rcx, with_wp | CR0_ET) && ok;
    int protected_vector = write_read_only_page();
    bool fault_ok = fault_at_try(PF_VECTOR) && last_fault.error_code == (PF_ERR_P | PF_ERR_W);
    write_cr0(original);
    printf("exits64: write to a read-only page: WP=0 %s, WP=1 %s error 0x%x\n",
           unprotected == NO_FAULT ? "no fault" : exception_name(unprotected),
           protected_vector == NO_FAULT ? "no fault" : exception_name(protected_vector),
           last_fault.error_code);
    return ok && unprotected == NO_FAULT && fault_ok && (read_cr0() & CR0_NE) == (original & CR0_NE);
}

static enum check_result cr4_pge_toggled_from_64bit_mode(const char **why)
{
    if (!(cpuid(CPUID_LEAF_FEATURES).edx & CPUID_1_EDX_PGE_BIT)) {
        *why = "no CR4.PGE (CPUID.1:EDX.PGE = 0)";
        return CHECK_SKIPPED;
    }
    uint32_t cr4 = read_cr4() | CR4_PGE;
    write_cr4(cr4);
    *(volatile uint32_t *)(uintptr_t)global_frame_a = 0xAAAAAAAAu;
    *(volatile uint32_t *)(uintptr_t)global_frame_b = 0xBBBBBBBBu;
    pt_map(&space, GLOBAL_PAGE, global_frame_a, PT_PTE, PTE_P | PTE_RW | PTE_G);
    invlpg(GLOBAL_PAGE);
    uint32_t first = *(volatile uint32_t *)GLOBAL_PAGE;
    /* Remapped without INVLPG: the global translation may still be cached. */
    pt_map(&space, GLOBAL_PAGE, global_frame_b, PT_PTE, PTE_P | PTE_RW | PTE_G);
    in64_garbage();
    in64.rax = cr4 & ~CR4_PGE;
    bool ok = run64(snippet_cr4) == NO_FAULT && check_value("CR4", out64.rcx, cr4 & ~CR4_PGE);
    uint32_t after_clear = *(volatile uint32_t *)GLOBAL_PAGE;
    in64.rax = cr4;
    ok = run64(snippet_cr4) == NO_FAULT && check_value("CR4", out64.rcx, cr4) && ok;
    printf("exits64: global page read 0x%x, after remap and clearing PGE 0x%x\n", first,
           after_clear);
    return check_result_of(ok && first == 0xAAAAAAAAu && after_clear == 0xBBBBBBBBu &&
                           others_kept(R_RCX));
}

/* ---- faults: RF, the canonical edge, VMMCALL ---------------------------------- */

static bool cr4_reserved_gp_with_rf(void)
{
    in64_garbage();
    in64.rax = 0xFFFFFFFFu;
    run64(snippet_cr4_write);
    printf("exits64: MOV CR4 0xffffffff: %s error 0x%x RFLAGS 0x%x\n",
           last_fault.vector == NO_FAULT ? "no fault" : exception_name(last_fault.vector),
           last_fault.error_code, last_fault.eflags);
    return fault_at_try(GP_VECTOR) && last_fault.error_code == 0 &&
           (last_fault.eflags & RFLAGS_RF) && others_kept(0);
}

/* QEMU 7.2's TCG pushes RF clear for every exception: accepted bare, with
 * a line saying so; under keel the CPU (or Bochs) delivers #UD itself. */
static bool ud2_ud_with_rf(void)
{
    in64_garbage();
    run64(snippet_ud2);
    bool rf = last_fault.eflags & RFLAGS_RF;
    if (!rf && !is_keel())
        printf("exits64: #UD frame lacks RF; accepted bare (QEMU's TCG never sets it)\n");
    return fault_at_try(UD_VECTOR) && (rf || !is_keel()) && others_kept(0);
}

static bool vmmcall_raises_ud(void)
{
    in64_garbage();
    run64(snippet_vmmcall);
    return fault_at_try(UD_VECTOR) && others_kept(0);
}

/* VMCALL in the page's last 3 bytes; INT3 before it, so a RIP that went
 * elsewhere in the page ends in a #BP. */
static bool vmcall_at_canonical_edge(void)
{
    static const uint8_t vmcall_insn[] = { 0x0F, 0x01, 0xC1 };
    uint8_t *page = (uint8_t *)(uintptr_t)edge_frame;
    memset(page, 0xCC, PAGE_SIZE);
    memcpy(page + PAGE_SIZE - sizeof(vmcall_insn), vmcall_insn, sizeof(vmcall_insn));
    fault_reset();
    longmode_call(EDGE_PAGE + PAGE_SIZE - sizeof(vmcall_insn));
    uint64_t rip = longmode_last_exception_rip();
    printf("exits64: VMCALL at 0x%llx: %s error 0x%x at RIP 0x%llx\n",
           EDGE_PAGE + PAGE_SIZE - sizeof(vmcall_insn),
           last_fault.vector == NO_FAULT ? "no fault" : exception_name(last_fault.vector),
           last_fault.error_code, rip);
    return last_fault.vector == GP_VECTOR && last_fault.error_code == 0 && rip == NON_CANONICAL;
}

static const struct named_test tests[] = {
    { "exits64: CPUID zero-extends EAX..EDX, keeps every other register", NEEDS_NOTHING,
      cpuid_zero_extends },
    { "exits64: VMCALL version from 64-bit mode, R8-R15 and the rest kept", NEEDS_KEEL,
      vmcall_from_64bit_mode },
    { "exits64: MOV to and from CR8 read back 0-15", NEEDS_NOTHING, cr8_reads_back },
    { "exits64: IN EAX from an unclaimed port: all ones, RAX bits 63:32 clear", NEEDS_NOTHING,
      inl_unclaimed_all_ones },
    { "exits64: IN AL from the ELCR keeps RAX bits 63:8", NEEDS_NOTHING,
      inb_elcr_keeps_rax_above_al },
    { "exits64: OUT AL to the ELCR takes effect", NEEDS_NOTHING, outb_elcr_takes_effect },
    { "exits64: MOV DR7 (0x400, L0) and DR0 read back", NEEDS_NOTHING, dr7_reads_back },
    { "exits64: MOV DR7 with bits 63:32 set raises #GP(0)", NEEDS_NOTHING, dr7_high_bits_fault },
    { "exits64: WRMSR IA32_KERNEL_GS_BASE, SWAPGS makes it the GS base", NEEDS_NOTHING,
      kernel_gs_base_swapped_in },
    { "exits64: MOV CR0 toggles WP (read back, and in force)", NEEDS_NOTHING,
      cr0_wp_toggled_from_64bit_mode },
    { "exits64: MOV CR4 with 0xFFFFFFFF raises #GP(0) with RF set", NEEDS_KEEL,
      cr4_reserved_gp_with_rf },
    { "exits64: UD2 raises #UD with RF set", NEEDS_NOTHING, ud2_ud_with_rf },
    { "exits64: VMMCALL raises #UD", NEEDS_NOTHING, vmmcall_raises_ud },
    { "exits64: VMCALL ending at 2^47 goes on at 0x800000000000: #GP(0) there", NEEDS_KEEL,
      vmcall_at_canonical_edge },
};

static const struct named_check late_checks[] = {
    { "exits64: IN EAX from the PM timer port, twice, zero-extended and ticking",
      NEEDS_NOTHING, pm_timer_from_64bit_mode },
    { "exits64: MOV CR4 flips PGE and back; clearing it drops a global translation",
      NEEDS_NOTHING, cr4_pge_toggled_from_64bit_mode },
};

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    const struct acpi_sdt_header *fadt = acpi_find_table(ACPI_SIG_FADT);
    if (fadt)
        have_pm_timer = acpi_pm_timer_from_fadt((const struct acpi_fadt *)fadt, &pm_timer);
    if (!cpu_has_long_mode())
        report_abort("exits64: the CPU has no IA-32e mode");
    enter_long_mode();
    run_tests(tests, ARRAY_SIZE(tests));
    run_checks(late_checks, ARRAY_SIZE(late_checks));
}
