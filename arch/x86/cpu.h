/*
 * One static inline per privileged or special x86 instruction keel uses.
 * Nothing else lives here: no policy, no state.
 */
#ifndef KEEL_ARCH_X86_CPU_H
#define KEEL_ARCH_X86_CPU_H

#include <stdint.h>

struct cpuid_regs {
    uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
    struct cpuid_regs r;
    __asm__ __volatile__("cpuid"
                         : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                         : "a"(leaf), "c"(subleaf));
    return r;
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t value)
{
    __asm__ __volatile__("wrmsr"
                         :
                         : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
                         : "memory");
}

/* RDTSC leaves EDX:EAX with bits 63:32 of RAX and RDX clear (SDM vol. 2B
 * "RDTSC"), so two instructions join them: the VM-exit path reads the TSC
 * twice per exit. */
static inline uint64_t rdtsc(void)
{
    uint64_t tsc, high;
    __asm__ __volatile__("rdtsc\n\tshl $32, %%rdx\n\tor %%rdx, %%rax" : "=a"(tsc), "=&d"(high));
    return tsc;
}

#define DEFINE_CR_ACCESSORS(n)                                                  \
    static inline uint64_t read_cr##n(void)                                     \
    {                                                                           \
        uint64_t v;                                                             \
        __asm__ __volatile__("mov %%cr" #n ", %0" : "=r"(v));                   \
        return v;                                                               \
    }                                                                           \
    static inline void write_cr##n(uint64_t v)                                  \
    {                                                                           \
        __asm__ __volatile__("mov %0, %%cr" #n : : "r"(v) : "memory");          \
    }
DEFINE_CR_ACCESSORS(0)
DEFINE_CR_ACCESSORS(2)
DEFINE_CR_ACCESSORS(3)
DEFINE_CR_ACCESSORS(4)
DEFINE_CR_ACCESSORS(8)
#undef DEFINE_CR_ACCESSORS

#define DEFINE_DR_ACCESSORS(n)                                                  \
    static inline uint64_t read_dr##n(void)                                     \
    {                                                                           \
        uint64_t v;                                                             \
        __asm__ __volatile__("mov %%dr" #n ", %0" : "=r"(v));                   \
        return v;                                                               \
    }                                                                           \
    static inline void write_dr##n(uint64_t v)                                  \
    {                                                                           \
        __asm__ __volatile__("mov %0, %%dr" #n : : "r"(v));                     \
    }
DEFINE_DR_ACCESSORS(0)
DEFINE_DR_ACCESSORS(1)
DEFINE_DR_ACCESSORS(2)
DEFINE_DR_ACCESSORS(3)
DEFINE_DR_ACCESSORS(6)
DEFINE_DR_ACCESSORS(7)
#undef DEFINE_DR_ACCESSORS

static inline uint64_t read_rflags(void)
{
    uint64_t v;
    __asm__ __volatile__("pushfq; popq %0" : "=r"(v));
    return v;
}

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
    __asm__ __volatile__("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ __volatile__("outl %0, %1" : : "a"(v), "Nd"(port));
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

/* XSETBV needs CR4.OSXSAVE (SDM vol. 2D "XSETBV"). */
static inline void xsetbv(uint32_t xcr, uint64_t value)
{
    __asm__ __volatile__("xsetbv" : : "c"(xcr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
                         : "memory");
}

static inline void invlpg(const void *va)
{
    __asm__ __volatile__("invlpg (%0)" : : "r"(va) : "memory");
}

static inline void cli(void) { __asm__ __volatile__("cli" : : : "memory"); }
static inline void sti(void) { __asm__ __volatile__("sti" : : : "memory"); }
static inline void hlt(void) { __asm__ __volatile__("hlt" : : : "memory"); }
static inline void cpu_relax(void) { __asm__ __volatile__("pause" : : : "memory"); }

struct __attribute__((packed)) descriptor_table_ptr {
    uint16_t limit;
    uint64_t base;
};

static inline void lgdt(const struct descriptor_table_ptr *p)
{
    __asm__ __volatile__("lgdt %0" : : "m"(*p));
}

static inline void lidt(const struct descriptor_table_ptr *p)
{
    __asm__ __volatile__("lidt %0" : : "m"(*p));
}

static inline void sgdt(struct descriptor_table_ptr *p)
{
    __asm__ __volatile__("sgdt %0" : "=m"(*p));
}

static inline void sidt(struct descriptor_table_ptr *p)
{
    __asm__ __volatile__("sidt %0" : "=m"(*p));
}

static inline void ltr(uint16_t sel)
{
    __asm__ __volatile__("ltr %0" : : "r"(sel));
}

static inline uint16_t str(void)
{
    uint16_t sel;
    __asm__ __volatile__("str %0" : "=r"(sel));
    return sel;
}

#define DEFINE_SEG_READER(seg)                                                  \
    static inline uint16_t read_##seg(void)                                     \
    {                                                                           \
        uint16_t v;                                                             \
        __asm__ __volatile__("mov %%" #seg ", %0" : "=r"(v));                   \
        return v;                                                               \
    }
DEFINE_SEG_READER(cs)
DEFINE_SEG_READER(ds)
DEFINE_SEG_READER(es)
DEFINE_SEG_READER(ss)
DEFINE_SEG_READER(fs)
DEFINE_SEG_READER(gs)
#undef DEFINE_SEG_READER

/* Stops this CPU for good: interrupts off, then HLT in a loop (an NMI or SMI
 * can still wake HLT, so it must loop). */
static inline _Noreturn void cpu_halt_forever(void)
{
    for (;;)
        __asm__ __volatile__("cli; hlt" : : : "memory");
}

#endif
