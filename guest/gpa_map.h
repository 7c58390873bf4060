/*
 * A VM's guest-physical address map (guest/gpa_map.c): pure logic,
 * host-tested.
 *
 * The map is a sorted list of non-overlapping regions, each a whole number
 * of 4 KiB pages: RAM backed by host memory, MMIO that keel emulates, or a
 * hole.  vmx/ept.c builds the EPT tables from it: RAM is mapped, MMIO and
 * holes are not, so every guest access to them exits as an EPT violation.
 * A hole only reserves its range (nothing else may be added there); an
 * address in no region is treated the same way.
 */
#ifndef KEEL_GUEST_GPA_MAP_H
#define KEEL_GUEST_GPA_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GPA_MAP_MAX_REGIONS 64
#define GPA_MAP_PAGE_SIZE   UINT64_C(4096)
/* Guest-physical and host-physical addresses stay below 2^52, the most
 * MAXPHYADDR allows (SDM vol. 3A 5.1.4). */
#define GPA_MAP_ADDR_LIMIT  (UINT64_C(1) << 52)

enum gpa_kind {
    GPA_RAM,                    /* backed by host memory from host_phys */
    GPA_MMIO,                   /* no backing: accesses exit and are emulated */
    GPA_HOLE,                   /* nothing there */
};

struct gpa_region {
    uint64_t start;             /* guest-physical, page-aligned */
    uint64_t size;              /* bytes, a nonzero multiple of the page size */
    enum gpa_kind kind;
    uint64_t host_phys;         /* GPA_RAM: host-physical address of start; else 0 */
};

struct gpa_map {
    size_t count;
    struct gpa_region regions[GPA_MAP_MAX_REGIONS];    /* [0, count), by start */
};

enum gpa_map_status {
    GPA_MAP_OK = 0,
    GPA_MAP_OVERLAP = -1,       /* shares an address with a region already there */
    GPA_MAP_FULL = -2,          /* GPA_MAP_MAX_REGIONS regions already */
    GPA_MAP_BAD_RANGE = -3,     /* unaligned, empty, past GPA_MAP_ADDR_LIMIT, bad kind */
};

void gpa_map_init(struct gpa_map *map);

/* Adds [start, start + size).  host_phys must be page-aligned, and the
 * backing below GPA_MAP_ADDR_LIMIT, for RAM; it is ignored (stored as 0) for
 * MMIO and holes.  Adjacent regions are allowed and stay separate.  Returns
 * an enum gpa_map_status; the map is unchanged unless GPA_MAP_OK. */
int gpa_map_add(struct gpa_map *map, uint64_t start, uint64_t size, enum gpa_kind kind,
                uint64_t host_phys);

/* The region holding gpa, or NULL. */
const struct gpa_region *gpa_map_lookup(const struct gpa_map *map, uint64_t gpa);

/* The host-physical address behind gpa when it is RAM. */
bool gpa_map_ram_to_host(const struct gpa_map *map, uint64_t gpa, uint64_t *host_phys);

/* Iteration in address order: regions 0 .. gpa_map_count() - 1. */
size_t gpa_map_count(const struct gpa_map *map);
const struct gpa_region *gpa_map_region(const struct gpa_map *map, size_t index);

/* "RAM", "MMIO", "hole". */
const char *gpa_kind_name(enum gpa_kind kind);

#endif
