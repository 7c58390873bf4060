/*
 * The guest-physical address map (contract in guest/gpa_map.h).  A handful
 * of regions per VM, so a sorted array with linear search is plenty.
 */
#include "guest/gpa_map.h"

#include "lib/string.h"

void gpa_map_init(struct gpa_map *map)
{
    memset(map, 0, sizeof *map);
}

static bool page_aligned(uint64_t x)
{
    return (x & (GPA_MAP_PAGE_SIZE - 1)) == 0;
}

/* [start, start + size) is page-aligned, nonempty and below the limit. */
static bool range_ok(uint64_t start, uint64_t size)
{
    return size != 0 && page_aligned(start) && page_aligned(size) &&
           start < GPA_MAP_ADDR_LIMIT && size <= GPA_MAP_ADDR_LIMIT - start;
}

static bool kind_ok(enum gpa_kind kind)
{
    return kind == GPA_RAM || kind == GPA_MMIO || kind == GPA_HOLE;
}

static uint64_t region_end(const struct gpa_region *r)
{
    return r->start + r->size;
}

/* The index of the first region that ends after gpa: where a region holding
 * gpa would be, and where one starting at gpa would be inserted. */
static size_t first_ending_after(const struct gpa_map *map, uint64_t gpa)
{
    size_t i = 0;

    while (i < map->count && region_end(&map->regions[i]) <= gpa)
        i++;
    return i;
}

int gpa_map_add(struct gpa_map *map, uint64_t start, uint64_t size, enum gpa_kind kind,
                uint64_t host_phys)
{
    size_t i;

    if (!kind_ok(kind) || !range_ok(start, size))
        return GPA_MAP_BAD_RANGE;
    if (kind == GPA_RAM && !range_ok(host_phys, size))
        return GPA_MAP_BAD_RANGE;
    /* Regions are sorted and disjoint, so only the first one ending after
     * start can reach into [start, start + size). */
    i = first_ending_after(map, start);
    if (i < map->count && map->regions[i].start < start + size)
        return GPA_MAP_OVERLAP;
    if (map->count == GPA_MAP_MAX_REGIONS)
        return GPA_MAP_FULL;

    memmove(&map->regions[i + 1], &map->regions[i],
            (map->count - i) * sizeof map->regions[0]);
    map->regions[i].start = start;
    map->regions[i].size = size;
    map->regions[i].kind = kind;
    map->regions[i].host_phys = kind == GPA_RAM ? host_phys : 0;
    map->count++;
    return GPA_MAP_OK;
}

const struct gpa_region *gpa_map_lookup(const struct gpa_map *map, uint64_t gpa)
{
    size_t i = first_ending_after(map, gpa);

    if (i < map->count && map->regions[i].start <= gpa)
        return &map->regions[i];
    return NULL;
}

bool gpa_map_ram_to_host(const struct gpa_map *map, uint64_t gpa, uint64_t *host_phys)
{
    const struct gpa_region *r = gpa_map_lookup(map, gpa);

    if (!r || r->kind != GPA_RAM)
        return false;
    *host_phys = r->host_phys + (gpa - r->start);
    return true;
}

size_t gpa_map_count(const struct gpa_map *map)
{
    return map->count;
}

const struct gpa_region *gpa_map_region(const struct gpa_map *map, size_t index)
{
    return index < map->count ? &map->regions[index] : NULL;
}

const char *gpa_kind_name(enum gpa_kind kind)
{
    switch (kind) {
    case GPA_RAM: return "RAM";
    case GPA_MMIO: return "MMIO";
    case GPA_HOLE: return "hole";
    default: return "?";
    }
}
