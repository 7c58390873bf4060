/*
 * Architectural names for the MMU tests: paging-structure entry bits in all
 * three paging modes, the page-fault error code, IA32_EFER, and the CPUID
 * bits that say which paging features exist.  Names as the Intel SDM gives
 * them.  Entries are uint64_t here; 32-bit paging uses the low 32 bits.
 */
#ifndef GUEST_LIB_PAGING_ARCH_H
#define GUEST_LIB_PAGING_ARCH_H

#include <stdint.h>

/* Paging-structure entry bits (SDM vol. 3A 4.3 tables 4-4 to 4-6, 4.4 tables
 * 4-8 to 4-11, 4.5 tables 4-15 to 4-20). */
#define PTE_P    (1ull << 0)        /* present */
#define PTE_RW   (1ull << 1)        /* read/write */
#define PTE_US   (1ull << 2)        /* user/supervisor */
#define PTE_PWT  (1ull << 3)
#define PTE_PCD  (1ull << 4)
#define PTE_A    (1ull << 5)        /* accessed */
#define PTE_D    (1ull << 6)        /* dirty: entries that map a page only */
#define PTE_PS   (1ull << 7)        /* page size: a PDE or PDPTE that maps a page */
#define PTE_G    (1ull << 8)        /* global: entries that map a page only */
#define PTE_XD   (1ull << 63)       /* execute-disable: PAE and 4-level, EFER.NXE = 1 */

/* Where the next table or the page frame lies: bits 31:12 in 32-bit paging,
 * bits (MAXPHYADDR-1):12 in PAE and 4-level paging (at most bit 51). */
#define PTE_ADDR_MASK_32BIT 0x00000000FFFFF000ull
#define PTE_ADDR_MASK_64BIT 0x000FFFFFFFFFF000ull

/* 32-bit paging, a PDE mapping a 4 MiB page: bit 21 is reserved whatever
 * MAXPHYADDR is (bits 20:13 hold address bits 39:32 with PSE-36; SDM vol. 3A
 * table 4-4). */
#define PDE_4M_RESERVED_BIT21 (1ull << 21)
/* PAE and 4-level paging, a PDE mapping a 2 MiB page: bits 20:13 are
 * reserved (SDM vol. 3A tables 4-9 and 4-18). */
#define PDE_2M_RESERVED_BIT13 (1ull << 13)
/* The highest bit an address field can use; bits MAXPHYADDR..51 are
 * reserved (SDM vol. 3A 4.4.2, 4.5.4). */
#define PTE_ADDR_TOP_BIT 51

/* Page-fault error code (SDM vol. 3A 4.7, figure 4-12). */
#define PF_ERR_P    (1u << 0)       /* 0: not-present; 1: protection violation */
#define PF_ERR_W    (1u << 1)       /* the access was a write */
#define PF_ERR_U    (1u << 2)       /* the access was a user-mode access */
#define PF_ERR_RSVD (1u << 3)       /* a reserved bit was set in an entry */
#define PF_ERR_ID   (1u << 4)       /* instruction fetch (reported only with
                                       PAE/4-level and NXE = 1, or SMEP = 1) */

/* IA32_EFER (SDM vol. 4 table 2-2; vol. 3A 2.2.1). */
#define MSR_IA32_EFER 0xC0000080u
#define EFER_LME      (1u << 8)     /* IA-32e mode enable */
#define EFER_LMA      (1u << 10)    /* IA-32e mode active (read-only) */
#define EFER_NXE      (1u << 11)    /* execute-disable bit enable */

/* CPUID (SDM vol. 2A, CPUID). */
#define CPUID_LEAF_EXTENDED_MAX      0x80000000u
#define CPUID_LEAF_EXTENDED_FEATURES 0x80000001u
#define CPUID_LEAF_ADDRESS_SIZES     0x80000008u
#define CPUID_80000001_EDX_NX        (1u << 20)
#define CPUID_80000001_EDX_PAGE1GB   (1u << 26)
#define CPUID_80000001_EDX_LM        (1u << 29)
#define CPUID_80000008_EAX_MAXPHYADDR 0xFFu       /* bits 7:0 */

#endif
