#include <stdbool.h>
#include <stddef.h>

#include "lib/descriptors.h"
#include "lib/longmode.h"

/* Segment descriptor fields (SDM vol. 3A 3.4.5, figure 3-8; 5.8.3 figure
 * 5-8 for call gates; 8.2.2 and 8.7 for TSS descriptors). */
#define ACCESS_PRESENT         0x80u
#define ACCESS_DPL(dpl)        ((uint32_t)(dpl) << 5)
#define ACCESS_CODE_OR_DATA    0x10u        /* S = 1 */
#define TYPE_CODE_EXEC_READ_ACCESSED 0xBu
#define TYPE_DATA_READ_WRITE_ACCESSED 0x3u
#define TYPE_TSS_AVAILABLE     0x9u         /* 32-bit TSS; 64-bit TSS in IA-32e mode */
#define TYPE_CALL_GATE         0xCu         /* 32-bit gate; 64-bit gate in IA-32e mode */
#define FLAG_GRANULARITY_4K    0x8u
#define FLAG_DEFAULT_32BIT     0x4u         /* D/B */
#define FLAG_LONG_MODE         0x2u         /* L */
#define LIMIT_4GIB_IN_PAGES    0xFFFFFu

#define GDT_ENTRIES 12
#define GDT_INDEX(selector) ((selector) >> 3)

/* usermode.asm: where a call through each gate lands (at CPL 0). */
extern char usermode_return32[];
extern char usermode_return64[];

struct tss32 guest_tss32 __attribute__((aligned(16)));
struct tss64 guest_tss64 __attribute__((aligned(16)));

static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16)));
static bool installed;

_Static_assert(sizeof(struct tss32) == 104, "32-bit TSS layout (SDM vol. 3A figure 8-2)");
_Static_assert(sizeof(struct tss64) == 104, "64-bit TSS layout (SDM vol. 3A figure 8-11)");

/* Base and limit split as a descriptor holds them, with the access byte
 * (bits 47:40) and the flags nibble (bits 55:52). */
static uint64_t descriptor(uint32_t base, uint32_t limit, uint32_t access, uint32_t flags)
{
    return (uint64_t)(limit & 0xFFFFu) |
           (uint64_t)(base & 0xFFFFFFu) << 16 |
           (uint64_t)(access & 0xFFu) << 40 |
           (uint64_t)((limit >> 16) & 0xFu) << 48 |
           (uint64_t)(flags & 0xFu) << 52 |
           (uint64_t)(base >> 24) << 56;
}

static uint64_t flat_segment(unsigned dpl, uint32_t type, uint32_t flags)
{
    return descriptor(0, LIMIT_4GIB_IN_PAGES,
                      ACCESS_PRESENT | ACCESS_DPL(dpl) | ACCESS_CODE_OR_DATA | type,
                      FLAG_GRANULARITY_4K | flags);
}

/* The low 8 bytes of a TSS descriptor (a 64-bit one's upper 8 bytes hold
 * base bits 63:32, zero here). */
static uint64_t tss_descriptor(const void *tss, uint32_t size)
{
    return descriptor((uint32_t)(uintptr_t)tss, size - 1, ACCESS_PRESENT | TYPE_TSS_AVAILABLE, 0);
}

/* A call gate usable from CPL 3 to 'selector':'target', no parameters (a
 * 64-bit gate's upper 8 bytes hold offset bits 63:32 and a zero type field:
 * zero here). */
static uint64_t call_gate(uint32_t selector, const void *target)
{
    uint32_t offset = (uint32_t)(uintptr_t)target;
    return (uint64_t)(offset & 0xFFFFu) |
           (uint64_t)selector << 16 |
           (uint64_t)(ACCESS_PRESENT | ACCESS_DPL(3) | TYPE_CALL_GATE) << 40 |
           (uint64_t)(offset >> 16) << 48;
}

static void build_gdt(void)
{
    gdt[GDT_INDEX(GDT_KERNEL_CODE32_SELECTOR)] =
        flat_segment(0, TYPE_CODE_EXEC_READ_ACCESSED, FLAG_DEFAULT_32BIT);
    gdt[GDT_INDEX(GDT_KERNEL_DATA_SELECTOR)] =
        flat_segment(0, TYPE_DATA_READ_WRITE_ACCESSED, FLAG_DEFAULT_32BIT);
    gdt[GDT_INDEX(GDT_USER_CODE32_SELECTOR)] =
        flat_segment(3, TYPE_CODE_EXEC_READ_ACCESSED, FLAG_DEFAULT_32BIT);
    gdt[GDT_INDEX(GDT_USER_DATA_SELECTOR)] =
        flat_segment(3, TYPE_DATA_READ_WRITE_ACCESSED, FLAG_DEFAULT_32BIT);
    gdt[GDT_INDEX(GDT_KERNEL_CODE64_SELECTOR)] =
        flat_segment(0, TYPE_CODE_EXEC_READ_ACCESSED, FLAG_LONG_MODE);
    gdt[GDT_INDEX(GDT_TSS32_SELECTOR)] = tss_descriptor(&guest_tss32, sizeof(guest_tss32));
    gdt[GDT_INDEX(GDT_CALL_GATE32_SELECTOR)] =
        call_gate(GDT_KERNEL_CODE32_SELECTOR, usermode_return32);
    gdt[GDT_INDEX(GDT_TSS64_SELECTOR)] = tss_descriptor(&guest_tss64, sizeof(guest_tss64));
    gdt[GDT_INDEX(GDT_TSS64_SELECTOR) + 1] = 0;
    gdt[GDT_INDEX(GDT_CALL_GATE64_SELECTOR)] =
        call_gate(GDT_KERNEL_CODE64_SELECTOR, usermode_return64);
    gdt[GDT_INDEX(GDT_CALL_GATE64_SELECTOR) + 1] = 0;
}

static void load_gdt(void)
{
    struct descriptor_table_pointer {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) gdtr = {
        .limit = sizeof(gdt) - 1,
        .base = (uint32_t)(uintptr_t)gdt,
    };
    /* The far jump reloads CS from the new table. */
    __asm__ __volatile__("lgdt %0\n\t"
                         "ljmp %1, $1f\n"
                         "1:\n\t"
                         "movw %w2, %%ds\n\t"
                         "movw %w2, %%es\n\t"
                         "movw %w2, %%fs\n\t"
                         "movw %w2, %%gs\n\t"
                         "movw %w2, %%ss"
                         :
                         : "m"(gdtr), "i"(GDT_KERNEL_CODE32_SELECTOR),
                           "r"(GDT_KERNEL_DATA_SELECTOR)
                         : "memory");
}

static void load_task_register(uint16_t selector)
{
    __asm__ __volatile__("ltr %w0" : : "r"(selector) : "memory");
}

void descriptors_install(void)
{
    if (installed)
        return;
    guest_tss32.ss0 = GDT_KERNEL_DATA_SELECTOR;
    guest_tss32.io_map_base = sizeof(guest_tss32);
    guest_tss64.io_map_base = sizeof(guest_tss64);
    build_gdt();
    load_gdt();
    if (!longmode_active())
        load_task_register(GDT_TSS32_SELECTOR);
    installed = true;
}

void descriptors_load_tss64(void)
{
    load_task_register(GDT_TSS64_SELECTOR);
}
