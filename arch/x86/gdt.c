/* keel's GDT: flat 64-bit code and data, plus the TSS that carries the
 * interrupt stacks for double fault, NMI and machine check. */
#include "arch/x86/gdt.h"

#include "arch/x86/cpu.h"

#define IST_STACK_SIZE 8192

/* Descriptor fields, SDM vol. 3A 3.4.5 "Segment Descriptors". */
#define DESC_ACCESSED   (1ull << 40)
#define DESC_RW         (1ull << 41)
#define DESC_CODE       (1ull << 43)
#define DESC_S          (1ull << 44)    /* code/data rather than system */
#define DESC_P          (1ull << 47)
#define DESC_L          (1ull << 53)    /* 64-bit code */
#define DESC_DB         (1ull << 54)
#define DESC_G          (1ull << 55)
#define DESC_LIMIT_MAX  (0xffffull | (0xfull << 48))
#define DESC_TYPE_TSS_AVAILABLE 0x9ull

static uint64_t gdt[5] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));
static uint8_t ist_stacks[3][IST_STACK_SIZE] __attribute__((aligned(16)));

static uint64_t tss_descriptor_low(uint64_t base, uint32_t limit)
{
    return (limit & 0xffffull) | ((base & 0xffffffull) << 16) |
           (DESC_TYPE_TSS_AVAILABLE << 40) | DESC_P |
           ((uint64_t)(limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
}

static void load_segments(void)
{
    /* CS can only be changed by a far transfer: push the selector and the
     * target, then LRETQ. */
    __asm__ __volatile__("pushq %[cs]\n\t"
                         "leaq 1f(%%rip), %%rax\n\t"
                         "pushq %%rax\n\t"
                         "lretq\n"
                         "1:\n\t"
                         "movw %w[ds], %%ax\n\t"
                         "movw %%ax, %%ds\n\t"
                         "movw %%ax, %%es\n\t"
                         "movw %%ax, %%ss\n\t"
                         "xorl %%eax, %%eax\n\t"
                         "movw %%ax, %%fs\n\t"
                         "movw %%ax, %%gs\n\t"
                         :
                         : [cs] "i"(GDT_KERNEL_CS), [ds] "r"((uint32_t)GDT_KERNEL_DS)
                         : "rax", "memory");
}

void gdt_init(void)
{
    gdt[0] = 0;
    gdt[1] = DESC_LIMIT_MAX | DESC_ACCESSED | DESC_RW | DESC_CODE | DESC_S | DESC_P |
             DESC_L | DESC_G;
    gdt[2] = DESC_LIMIT_MAX | DESC_ACCESSED | DESC_RW | DESC_S | DESC_P | DESC_DB | DESC_G;

    tss.ist[IST_DOUBLE_FAULT - 1] = (uint64_t)(uintptr_t)(ist_stacks[0] + IST_STACK_SIZE);
    tss.ist[IST_NMI - 1] = (uint64_t)(uintptr_t)(ist_stacks[1] + IST_STACK_SIZE);
    tss.ist[IST_MACHINE_CHECK - 1] = (uint64_t)(uintptr_t)(ist_stacks[2] + IST_STACK_SIZE);
    /* An I/O map base past the limit means "no I/O permission bitmap". */
    tss.iomap_base = sizeof(tss);

    uint64_t base = (uint64_t)(uintptr_t)&tss;
    gdt[3] = tss_descriptor_low(base, sizeof(tss) - 1);
    gdt[4] = base >> 32;

    struct descriptor_table_ptr ptr = {
        .limit = sizeof(gdt) - 1,
        .base = (uint64_t)(uintptr_t)gdt,
    };
    lgdt(&ptr);
    load_segments();
    ltr(GDT_TSS);
}

uint64_t gdt_base(void)
{
    return (uint64_t)(uintptr_t)gdt;
}

uint64_t tss_base(void)
{
    return (uint64_t)(uintptr_t)&tss;
}
