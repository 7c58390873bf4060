/*
 * The local APIC and the I/O APIC as test guests program them: register
 * offsets (SDM vol. 3A 11.4.1, table 11-1; the 82093AA I/O APIC data sheet)
 * and plain accessors.  The xAPIC page and the I/O APIC window are at their
 * reset addresses, which 32-bit guests reach with paging off.
 */
#ifndef GUEST_LIB_APIC_H
#define GUEST_LIB_APIC_H

#include <stdint.h>

#include "lib/x86.h"                    /* MSR_IA32_APIC_BASE */

#define MSR_IA32_TSC_DEADLINE   0x6E0u

/* CPUID leaf 1 (SDM vol. 2A, CPUID, tables 3-10 and 3-11).  EDX.APIC
 * reads 0 while the APIC is disabled in IA32_APIC_BASE (SDM 11.4.3). */
#define CPUID_1_EDX_APIC        (1u << 9)
#define CPUID_1_ECX_X2APIC      (1u << 21)
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
/* CPUID leaf 0BH EDX: the x2APIC ID of the current logical processor. */
#define CPUID_LEAF_TOPOLOGY     0x0000000Bu
#define APIC_BASE_BSP           (1u << 8)
#define APIC_BASE_EXTD          (1u << 10)      /* x2APIC mode */
#define APIC_BASE_EN            (1u << 11)
#define APIC_BASE_ADDRESS_SHIFT 12      /* the page's address: bits MAXPHYADDR-1:12 */

#define XAPIC_DEFAULT_BASE      0xFEE00000u
#define IOAPIC_DEFAULT_BASE     0xFEC00000u

/* xAPIC register offsets; the x2APIC MSR is 0x800 + (offset >> 4). */
enum apic_reg {
    APIC_ID = 0x020,
    APIC_VERSION = 0x030,
    APIC_TPR = 0x080,
    APIC_PPR = 0x0A0,
    APIC_EOI = 0x0B0,
    APIC_LDR = 0x0D0,
    APIC_DFR = 0x0E0,
    APIC_SVR = 0x0F0,
    APIC_ISR = 0x100,
    APIC_TMR = 0x180,
    APIC_IRR = 0x200,
    APIC_ESR = 0x280,
    APIC_LVT_CMCI = 0x2F0,
    APIC_ICR_LOW = 0x300,
    APIC_ICR_HIGH = 0x310,
    APIC_LVT_TIMER = 0x320,
    APIC_LVT_THERMAL = 0x330,
    APIC_LVT_PMC = 0x340,
    APIC_LVT_LINT0 = 0x350,
    APIC_LVT_LINT1 = 0x360,
    APIC_LVT_ERROR = 0x370,
    APIC_TIMER_INITIAL_COUNT = 0x380,
    APIC_TIMER_CURRENT_COUNT = 0x390,
    APIC_TIMER_DIVIDE = 0x3E0,
    APIC_SELF_IPI = 0x3F0,      /* x2APIC only */
};

#define X2APIC_MSR(offset)      (0x800u + ((offset) >> 4))

/* ID (xAPIC mode: bits 31:24, SDM 11.4.6) and version (SDM 11.4.8,
 * figure 11-7: version in bits 7:0, Max LVT Entry = entries - 1 in 23:16). */
#define APIC_ID_SHIFT           24
#define APIC_VERSION_MASK       0xFFu
#define APIC_VERSION_FAMILY_MASK 0xF0u
#define APIC_VERSION_INTEGRATED 0x10u   /* 1XH: an on-chip (integrated) APIC */
#define APIC_MAX_LVT_SHIFT      16
#define APIC_MAX_LVT_MASK       0xFFu
#define APIC_MAX_LVT_FEWEST     3u      /* Pentium: four LVT entries */
#define APIC_MAX_LVT_WITH_CMCI  6u      /* Nehalem on: seven, the last CMCI */

/* Vectors: 8-bit fields of LVT entries, ICR and SVR; bits 7:4 are the
 * priority class (SDM 11.8.3).  ISR, TMR and IRR are eight 32-bit
 * registers each, 0x10 apart: vector v is bit v % 32 of register v / 32. */
#define APIC_VECTOR_MASK        0xFFu
#define APIC_PRIORITY_CLASS_SHIFT 4
#define APIC_PRIORITY_CLASS_MASK 0xF0u
#define APIC_VECTOR_REG_STRIDE  0x10u
#define APIC_VECTOR_REGS        8u
#define APIC_VECTORS_PER_REG    32u
#define APIC_FIRST_LEGAL_VECTOR 16u     /* 0-15 are illegal (SDM 11.5.2) */

/* DFR after reset: flat model, reserved bits 1 (SDM 11.6.2.2); the
 * cluster model has 0000b in bits 31:28. */
#define APIC_DFR_RESET          0xFFFFFFFFu
#define APIC_DFR_CLUSTER        0x0FFFFFFFu
/* SVR after reset: vector 0xFF, software-disabled (SDM 11.4.7.1). */
#define APIC_SVR_RESET          0xFFu

/* ESR bits (SDM 11.5.3, figure 11-9). */
#define APIC_ESR_SEND_ILLEGAL_VECTOR    (1u << 5)
#define APIC_ESR_RECEIVE_ILLEGAL_VECTOR (1u << 6)
#define APIC_ESR_ILLEGAL_REGISTER       (1u << 7)

#define APIC_SVR_ENABLE         (1u << 8)
#define APIC_LVT_MASKED         (1u << 16)
#define APIC_LVT_TIMER_ONESHOT  (0u << 17)
#define APIC_LVT_TIMER_PERIODIC (1u << 17)
#define APIC_LVT_TIMER_TSC_DEADLINE (2u << 17)
#define APIC_LVT_DELIVERY_EXTINT (7u << 8)
#define APIC_LVT_DELIVERY_NMI   (4u << 8)
#define APIC_TIMER_DIVIDE_BY_1  0xBu

/* ICR low fields (SDM vol. 3A 11.6.1, figure 11-12). */
#define APIC_ICR_DELIVERY_FIXED 0x000u
#define APIC_ICR_DELIVERY_NMI   0x400u
#define APIC_ICR_SEND_PENDING   (1u << 12)
#define APIC_ICR_LEVEL_ASSERT   (1u << 14)
#define APIC_ICR_DEST_SELF      (1u << 18)
#define APIC_ICR_DEST_SHORTHAND_MASK (3u << 18)
#define APIC_ICR_DEST_SHIFT     24      /* xAPIC ICR high: destination in bits 31:24 */

/* x2APIC (SDM 11.12): the logical destination is derived from the ID
 * (cluster = ID[19:4] in bits 31:16, one bit 1 << ID[3:0] in bits 15:0). */
#define X2APIC_LDR_CLUSTER_SHIFT 16
#define X2APIC_ID_CLUSTER_SHIFT 4       /* cluster = ID[19:4] */
#define X2APIC_ID_LOGICAL_MASK  0xFu    /* the logical ID's bit number: ID[3:0] */
#define X2APIC_SELF_IPI_MSR     X2APIC_MSR(APIC_SELF_IPI)

/* I/O APIC: IOREGSEL at +0x00, IOWIN at +0x10; redirection entry n at
 * registers 0x10 + 2n (low) and 0x11 + 2n (high). */
#define IOAPIC_IOREGSEL         0x00u
#define IOAPIC_IOWIN            0x10u
#define IOAPIC_REG_ID           0x00u
#define IOAPIC_REG_VERSION      0x01u
#define IOAPIC_REG_REDTBL(n)    (0x10u + 2u * (n))
#define IOAPIC_ID_SHIFT         24      /* IOAPICID bits 27:24 */
#define IOAPIC_ID_MASK          0xFu
#define IOAPIC_VERSION_MASK     0xFFu   /* IOAPICVER bits 7:0 */
#define IOAPIC_VERSION_82093AA  0x11u
#define IOAPIC_VERSION_ICH      0x20u   /* the chipsets' I/O APICs, with an EOI register */
#define IOAPIC_MAX_REDIR_SHIFT  16      /* IOAPICVER bits 23:16: entries - 1 */
#define IOAPIC_MAX_REDIR_MASK   0xFFu
#define IOAPIC_REDIR_VECTOR_MASK 0xFFu
#define IOAPIC_REDIR_DEST_SHIFT 56      /* physical mode: APIC ID in bits 59:56 */
#define IOAPIC_REDIR_MASKED     (1u << 16)
#define IOAPIC_REDIR_LEVEL      (1u << 15)
#define IOAPIC_REDIR_REMOTE_IRR (1u << 14)
#define IOAPIC_REDIR_ACTIVE_LOW (1u << 13)
#define IOAPIC_REDIR_DELIVERY_STATUS (1u << 12)

static inline uint32_t xapic_read(uint32_t offset)
{
    return *(volatile uint32_t *)(uintptr_t)(XAPIC_DEFAULT_BASE + offset);
}

static inline void xapic_write(uint32_t offset, uint32_t value)
{
    *(volatile uint32_t *)(uintptr_t)(XAPIC_DEFAULT_BASE + offset) = value;
}

static inline uint32_t ioapic_read(uint32_t reg)
{
    *(volatile uint32_t *)(uintptr_t)(IOAPIC_DEFAULT_BASE + IOAPIC_IOREGSEL) = reg;
    return *(volatile uint32_t *)(uintptr_t)(IOAPIC_DEFAULT_BASE + IOAPIC_IOWIN);
}

static inline void ioapic_write(uint32_t reg, uint32_t value)
{
    *(volatile uint32_t *)(uintptr_t)(IOAPIC_DEFAULT_BASE + IOAPIC_IOREGSEL) = reg;
    *(volatile uint32_t *)(uintptr_t)(IOAPIC_DEFAULT_BASE + IOAPIC_IOWIN) = value;
}

#endif
