/*
 * One static inline per privileged instruction a test guest uses, plus the
 * architectural bit names they read and write (names as the Intel SDM gives
 * them).  32-bit protected mode only.
 */
#ifndef GUEST_LIB_X86_H
#define GUEST_LIB_X86_H

#include <stdbool.h>
#include <stdint.h>

/* CR0 (SDM vol. 3A 2.5 "Control Registers"). */
#define CR0_PE (1u << 0)
#define CR0_WP (1u << 16)
#define CR0_PG (1u << 31)

/* CR4 (SDM vol. 3A 2.5). */
#define CR4_VME        (1u << 0)
#define CR4_PVI        (1u << 1)
#define CR4_TSD        (1u << 2)
#define CR4_DE         (1u << 3)
#define CR4_PSE        (1u << 4)
#define CR4_PAE        (1u << 5)
#define CR4_MCE        (1u << 6)
#define CR4_PGE        (1u << 7)
#define CR4_PCE        (1u << 8)
#define CR4_OSFXSR     (1u << 9)
#define CR4_OSXMMEXCPT (1u << 10)
#define CR4_UMIP       (1u << 11)
#define CR4_LA57       (1u << 12)
#define CR4_VMXE       (1u << 13)
#define CR4_SMXE       (1u << 14)
#define CR4_FSGSBASE   (1u << 16)
#define CR4_PCIDE      (1u << 17)
#define CR4_OSXSAVE    (1u << 18)
#define CR4_SMEP       (1u << 20)
#define CR4_SMAP       (1u << 21)
#define CR4_PKE        (1u << 22)

/* EFLAGS (SDM vol. 1 3.4.3). */
#define EFLAGS_CF (1u << 0)
#define EFLAGS_ZF (1u << 6)
#define EFLAGS_SF (1u << 7)
#define EFLAGS_IF (1u << 9)
#define EFLAGS_DF (1u << 10)

/* CPUID feature bits (SDM vol. 2A, CPUID, tables 3-10, 3-11 and leaf 07H). */
#define CPUID_1_EDX_VME        (1u << 1)
#define CPUID_1_EDX_DE         (1u << 2)
#define CPUID_1_EDX_PSE        (1u << 3)
#define CPUID_1_EDX_TSC        (1u << 4)
#define CPUID_1_EDX_MSR        (1u << 5)
#define CPUID_1_EDX_PAE        (1u << 6)
#define CPUID_1_EDX_MCE        (1u << 7)
#define CPUID_1_EDX_PGE        (1u << 13)
#define CPUID_1_EDX_FXSR       (1u << 24)
#define CPUID_1_EDX_SSE        (1u << 25)
#define CPUID_1_ECX_VMX        (1u << 5)
#define CPUID_1_ECX_SMX        (1u << 6)
#define CPUID_1_ECX_XSAVE      (1u << 26)
#define CPUID_1_ECX_HYPERVISOR (1u << 31)  /* reserved for hypervisors to set */
#define CPUID_7_EBX_FSGSBASE   (1u << 0)
#define CPUID_7_EBX_SMEP       (1u << 7)
#define CPUID_7_EBX_SMAP       (1u << 20)
#define CPUID_7_ECX_UMIP       (1u << 2)
#define CPUID_7_ECX_PKU        (1u << 3)
#define CPUID_7_ECX_LA57       (1u << 16)

/* CPUID.1:EBX bits 31:24: initial APIC ID. */
#define CPUID_1_EBX_APIC_ID_SHIFT 24

#define CPUID_LEAF_VENDOR      0x00000000u
#define CPUID_LEAF_FEATURES    0x00000001u
#define CPUID_LEAF_EXTENDED    0x00000007u

/* MSRs (SDM vol. 4, table 2-2). */
#define MSR_IA32_TIME_STAMP_COUNTER 0x00000010u
#define MSR_IA32_APIC_BASE          0x0000001Bu
#define APIC_BASE_BSP               (1u << 8)
#define MSR_IA32_SYSENTER_CS        0x00000174u
#define MSR_IA32_SYSENTER_ESP       0x00000175u
#define MSR_IA32_SYSENTER_EIP       0x00000176u
#define MSR_IA32_PAT                0x00000277u
#define MSR_IA32_STAR               0xC0000081u
#define MSR_IA32_LSTAR              0xC0000082u
#define MSR_IA32_CSTAR              0xC0000083u
#define MSR_IA32_FMASK              0xC0000084u
#define MSR_IA32_FS_BASE            0xC0000100u
#define MSR_IA32_GS_BASE            0xC0000101u
#define MSR_IA32_KERNEL_GS_BASE     0xC0000102u
#define MSR_IA32_TSC_AUX            0xC0000103u
#define CPUID_80000001_EDX_RDTSCP   (1u << 27)

struct cpuid_regs {
    uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid_count(uint32_t leaf, uint32_t subleaf)
{
    struct cpuid_regs r;
    __asm__ __volatile__("cpuid"
                         : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                         : "a"(leaf), "c"(subleaf));
    return r;
}

static inline struct cpuid_regs cpuid(uint32_t leaf)
{
    return cpuid_count(leaf, 0);
}

/* CPUID leaf 7 subleaf 0, or all zeros when the CPU's highest basic leaf is
 * below 7 (then CPUID would return the highest leaf's data instead). */
static inline struct cpuid_regs cpuid_leaf7(void)
{
    if (cpuid(CPUID_LEAF_VENDOR).eax < CPUID_LEAF_EXTENDED)
        return (struct cpuid_regs){ 0, 0, 0, 0 };
    return cpuid_count(CPUID_LEAF_EXTENDED, 0);
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint16_t inw(uint16_t port)
{
    uint16_t v;
    __asm__ __volatile__("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ __volatile__("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void outb(uint8_t v, uint16_t port)
{
    __asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t v, uint16_t port)
{
    __asm__ __volatile__("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint32_t v, uint16_t port)
{
    __asm__ __volatile__("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ __volatile__("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
                         : "memory");
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline uint32_t read_cr0(void)
{
    uint32_t v;
    __asm__ __volatile__("mov %%cr0, %0" : "=r"(v));
    return v;
}

/* The "memory" clobbers on CR writes keep the compiler from moving page-table
 * stores (plain C stores) across the switch. */
static inline void write_cr0(uint32_t v)
{
    __asm__ __volatile__("mov %0, %%cr0" : : "r"(v) : "memory");
}

static inline uint32_t read_cr2(void)
{
    uint32_t v;
    __asm__ __volatile__("mov %%cr2, %0" : "=r"(v));
    return v;
}

static inline uint32_t read_cr3(void)
{
    uint32_t v;
    __asm__ __volatile__("mov %%cr3, %0" : "=r"(v));
    return v;
}

static inline void write_cr3(uint32_t v)
{
    __asm__ __volatile__("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline uint32_t read_cr4(void)
{
    uint32_t v;
    __asm__ __volatile__("mov %%cr4, %0" : "=r"(v));
    return v;
}

static inline void write_cr4(uint32_t v)
{
    __asm__ __volatile__("mov %0, %%cr4" : : "r"(v) : "memory");
}

static inline uint32_t read_eflags(void)
{
    uint32_t v;
    __asm__ __volatile__("pushfl\n\tpopl %0" : "=r"(v));
    return v;
}

static inline void invlpg(uint32_t linear)
{
    __asm__ __volatile__("invlpg (%0)" : : "r"(linear) : "memory");
}

static inline void cli(void)
{
    __asm__ __volatile__("cli" : : : "memory");
}

static inline void hlt(void)
{
    __asm__ __volatile__("hlt" : : : "memory");
}

/* The operand of LGDT/LIDT (SDM vol. 3A 3.5.1, 6.10). */
struct descriptor_table_pointer {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed));

static inline void lidt(const struct descriptor_table_pointer *p)
{
    __asm__ __volatile__("lidt %0" : : "m"(*p) : "memory");
}

#endif
