/*
 * Page-table formats as data (instances in mm/pt_walk.c).
 *
 * keel walks five kinds of tables with one walker (mm/pt_walk.h): a guest's
 * 32-bit tables with CR4.PSE clear or set, PAE tables, 4-level tables (also
 * keel's own), and EPT.  What differs between them (how many levels, how
 * many linear-address bits each level indexes, 4- or 8-byte entries, where
 * the flags sit, which levels may map large pages, which bits are reserved)
 * is described by a struct pt_format; the rules that do not fit a table
 * (PSE-36, the PAE PDPTE registers, EPT misconfigurations) are flags the
 * walker acts on.
 *
 * Levels are numbered as the SDM counts them: 1 is the PTE, 2 the PDE, 3 the
 * PDPTE, 4 the PML4E.  The root is level `levels`.
 */
#ifndef KEEL_MM_PT_FORMAT_H
#define KEEL_MM_PT_FORMAT_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/paging.h"

/* Bits hi:lo of a 64-bit value, inclusive, as the SDM writes ranges. */
#define PT_BITS(hi, lo) ((~UINT64_C(0) >> (63 - (hi))) & (~UINT64_C(0) << (lo)))

#define PT_MAX_LEVELS       4
#define PT_LEVEL_PTE        1
#define PT_LEVEL_PDE        2
#define PT_LEVEL_PDPTE      3
#define PT_LEVEL_PML4E      4

/* ---- Entry layouts the formats are built from -------------------------- */

/* CR3 (SDM vol. 3A 5.3, 5.4.1, 5.5.2): where the root table's address is. */
#define CR3_32BIT_ROOT_MASK     PT_BITS(31, 12)
#define CR3_PAE_ROOT_MASK       PT_BITS(31, 5)      /* a 32-byte aligned PDPT */
#define CR3_4LEVEL_ROOT_MASK    PT_BITS(51, 12)
#define PT_32BIT_ADDR_MASK      PT_BITS(31, 12)

/* 32-bit paging, a PDE mapping a 4 MiB page (SDM 5.3): bits 20:13
 * hold physical-address bits 39:32 (PSE-36), as far as MAXPHYADDR reaches,
 * which for 32-bit paging is at most 40; bit 21 is reserved. */
#define PDE32_4M_RESERVED           PT_BITS(21, 21)
#define PDE32_4M_ADDR_HIGH_SHIFT    13
#define PDE32_4M_ADDR_HIGH_BITS     8
#define PSE36_ADDR_LOW_BIT          32
#define PSE36_MAX_PHYADDR           40

/* PAE (SDM 5.4.1 and 5.4.2): a present PDPTE reserves 2:1, 8:5
 * and 63:MAXPHYADDR (it has no R/W, U/S, A or XD); PDEs and PTEs reserve
 * 62:MAXPHYADDR.  Here the bits from 52 up; the walker adds 51:MAXPHYADDR. */
#define PAE_PDPTE_RESERVED          (PT_BITS(2, 1) | PT_BITS(8, 5) | PT_BITS(63, 52))
#define PAE_ENTRY_HIGH_RESERVED     PT_BITS(62, 52)

/* PAE and 4-level large pages (SDM 5.4.2, 5.5.4): bit 12 is PAT, the rest
 * below the page's address is reserved. */
#define PDE_2M_RESERVED             PT_BITS(20, 13)
#define PDPTE_1G_RESERVED           PT_BITS(29, 13)

/* EPT entries (SDM vol. 3C 29.3.2, "EPT Translation Mechanism"). */
#define EPT_READ                    (UINT64_C(1) << 0)
#define EPT_WRITE                   (UINT64_C(1) << 1)
#define EPT_EXECUTE                 (UINT64_C(1) << 2)
#define EPT_RWX                     (EPT_READ | EPT_WRITE | EPT_EXECUTE)
#define EPT_MEMORY_TYPE_SHIFT       3                   /* 5:3, leaf entries */
#define EPT_MEMORY_TYPE_MASK        PT_BITS(5, 3)
#define EPT_IGNORE_PAT              (UINT64_C(1) << 6)  /* leaf entries */
#define EPT_LARGE                   (UINT64_C(1) << 7)  /* PDPTE/PDE: maps 1 GiB / 2 MiB */
#define EPT_ACCESSED                (UINT64_C(1) << 8)  /* when EPTP[6] enables A/D */
#define EPT_DIRTY                   (UINT64_C(1) << 9)  /* leaf entries, same */
#define EPT_ADDR_MASK               PT_BITS(51, 12)
#define EPT_TABLE_RESERVED          PT_BITS(7, 3)       /* entries referencing a table */
#define EPT_2M_RESERVED             PT_BITS(20, 12)
#define EPT_1G_RESERVED             PT_BITS(29, 12)
#define EPTP_ROOT_MASK              PT_BITS(51, 12)

/* ---- The description --------------------------------------------------- */

struct pt_level_format {
    uint8_t shift;              /* lowest linear-address bit this level indexes */
    uint8_t index_bits;         /* how many bits the index has */
    bool large_ok;              /* the large bit maps a page of 1 << shift bytes here
                                 * (a 1 GiB page also needs pt_access.page_1g) */
    bool has_rights;            /* R/W, U/S, XD (EPT: R, W, X) count at this level */
    bool has_accessed;          /* the entry has an accessed flag */
    uint64_t reserved;          /* reserved bits of a present entry that is not a large
                                 * page, besides address bits from MAXPHYADDR up */
    uint64_t reserved_large;    /* the same for a present large-page entry */
};

struct pt_format {
    const char *name;
    uint8_t levels;
    uint8_t entry_size;         /* 4 or 8 bytes */
    uint64_t root_mask;         /* the root table's address in CR3 / EPTP */
    uint64_t addr_mask;         /* address bits of an entry; those from MAXPHYADDR up
                                 * are reserved */
    uint64_t present;           /* the entry is present when any of these is set */
    uint64_t readable;          /* EPT R; 0 when present entries are readable */
    uint64_t writable;
    uint64_t user;              /* U/S; 0 for EPT */
    uint64_t no_execute;        /* XD; 0 when the format has none */
    uint64_t executable;        /* EPT X; 0 for the others */
    uint64_t accessed;
    uint64_t dirty;
    uint64_t large;             /* PS / EPT bit 7, at levels with large_ok */
    bool pse36;                 /* 4 MiB pages keep address bits 39:32 in 20:13 */
    /* The root entries are the PAE PDPTEs, which the CPU loads into registers
     * when CR3 is loaded and checks there: reserved bits make the MOV to CR3
     * fault with #GP, never a later access with #PF (SDM 5.4.1). */
    bool pdpte_registers;
    /* EPT rules (SDM vol. 3C 29.3.3): R/W/X combinations and leaf memory
     * types that are misconfigurations; no user/supervisor distinction. */
    bool ept;
    struct pt_level_format level[PT_MAX_LEVELS + 1];    /* [1] .. [levels]; [0] unused */
};

extern const struct pt_format pt_format_32bit;          /* CR4.PSE = 0: 4 KiB pages only */
extern const struct pt_format pt_format_32bit_pse;      /* CR4.PSE = 1: 4 MiB pages, PSE-36 */
extern const struct pt_format pt_format_pae;
extern const struct pt_format pt_format_4level;
extern const struct pt_format pt_format_ept;            /* 4-level EPT */

/* The format of a guest's paging mode (SDM 5.1.1), for CR0.PG = 1:
 * CR4.PAE = 0 is 32-bit paging (CR4.PSE picks the variant), CR4.PAE = 1 is
 * PAE paging, or 4-level paging when IA32_EFER.LMA = 1.  5-level paging
 * (CR4.LA57) is not supported. */
const struct pt_format *pt_format_for_paging_mode(bool cr4_pae, bool cr4_pse, bool efer_lma);

#endif
