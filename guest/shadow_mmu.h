/*
 * Shadow paging (guest/shadow_mmu.c): the MMU fallback where the CPU has no
 * second-level translation (no EPT, or the `noept` option).  The CPU runs
 * the guest on page tables keel builds (the "shadow"), mapping guest-linear
 * addresses straight to host-physical ones; the guest keeps seeing its own
 * CR3 and page tables.  Generic code: a backend intercepts #PF, MOV to/from
 * CR3 and INVLPG and calls in here.
 */
#ifndef KEEL_GUEST_SHADOW_MMU_H
#define KEEL_GUEST_SHADOW_MMU_H

#include <stdbool.h>
#include <stdint.h>

#include "guest/vm.h"

/* Shadows cached per vCPU: switching among this many address spaces keeps
 * each one's tables (and global pages) instead of building it again. */
#define SHADOW_ROOTS 8

enum shadow_kind {
    SHADOW_IDENTITY,            /* guest paging off: linear = guest-physical */
    SHADOW_PAE,                 /* 32-bit and PAE guests, shadowed with PAE tables */
    SHADOW_4LEVEL,              /* IA-32e guests */
};

struct shadow_root {
    bool valid;
    enum shadow_kind kind;
    uint64_t guest_cr3;         /* the guest's CR3 this shadows (0 for identity) */
    uint64_t root_hpa;          /* what the CPU's CR3 holds */
    uint64_t last_used;
    unsigned globals;           /* global leaf entries it holds */
    /* Leaf entries ever made for parts of guest 2/4 MiB and 1 GiB pages
     * (never decremented: they only say whether INVLPG must look). */
    unsigned large_pieces, huge_pieces;
};

struct shadow_stats {
    uint64_t fills;             /* faults fixed by adding a shadow entry */
    uint64_t guest_faults;      /* #PFs that were the guest's own, re-injected */
    uint64_t mmio;              /* faults on memory that is not RAM (MMIO) */
    uint64_t cr3_switches;
    uint64_t cr3_hits;          /* switches that found the shadow cached */
    uint64_t invlpgs;
    uint64_t flushes;           /* every shadow dropped (paging-mode changes) */
    uint64_t table_pages;       /* shadow table pages currently allocated */
};

struct shadow_mmu {
    struct shadow_root roots[SHADOW_ROOTS];
    struct shadow_root *current;
    uint64_t clock;
    struct shadow_stats stats;
};

enum shadow_fault_result {
    SHADOW_FIXED,               /* the shadow now maps it: run the instruction again */
    SHADOW_GUEST_FAULT,         /* the guest's own tables fault: inject #PF(*error_code) */
    SHADOW_NOT_RAM,             /* guest-physical *gpa is not RAM: MMIO if a device is
                                 * there (the caller looks), else a bad access */
    SHADOW_BAD_TABLES,          /* the guest's page tables lie outside RAM */
};

/* Chooses (or builds) the shadow for the guest's current CR0/CR3/CR4/EFER and
 * returns the host-physical address the CPU's CR3 must hold.  flush_nonglobal
 * drops the cached entries that a real TLB would drop on this CR3 load. */
uint64_t shadow_activate(struct vcpu *v, bool flush_nonglobal);

/* A #PF the CPU raised while running on the shadow, at gla with the CPU's
 * error code. */
enum shadow_fault_result shadow_page_fault(struct vcpu *v, uint64_t gla, uint32_t hw_error,
                                           uint32_t *guest_error, uint64_t *gpa);

/* INVLPG: forget gla in every cached shadow. */
void shadow_invlpg(struct vcpu *v, uint64_t gla);

/* Drops every shadow (paging-mode changes, CR4.PGE toggles). */
void shadow_flush_all(struct vcpu *v);

#endif
