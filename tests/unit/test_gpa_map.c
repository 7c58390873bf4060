/* Host tests for guest/gpa_map.c: a VM's guest-physical regions. */
#include "tests/unit/unit.h"

#include "guest/gpa_map.c"

#define KIB(x) ((uint64_t)(x) << 10)
#define MIB(x) ((uint64_t)(x) << 20)
#define GIB(x) ((uint64_t)(x) << 30)

/* A PC-like layout, added out of order. */
static void pc_layout(struct gpa_map *m)
{
    gpa_map_init(m);
    CHECK_EQ_I(gpa_map_add(m, MIB(1), GIB(3) - MIB(1), GPA_RAM, GIB(8) + MIB(1)), GPA_MAP_OK);
    CHECK_EQ_I(gpa_map_add(m, 0xFEE00000, KIB(4), GPA_MMIO, 0), GPA_MAP_OK);
    CHECK_EQ_I(gpa_map_add(m, 0, KIB(640), GPA_RAM, GIB(8)), GPA_MAP_OK);
    CHECK_EQ_I(gpa_map_add(m, 0xA0000, 0x20000, GPA_MMIO, 0), GPA_MAP_OK);
    CHECK_EQ_I(gpa_map_add(m, GIB(4), GIB(1), GPA_RAM, GIB(12)), GPA_MAP_OK);
    CHECK_EQ_I(gpa_map_add(m, 0xC0000, 0x40000, GPA_HOLE, 0), GPA_MAP_OK);
}

TEST(empty_map)
{
    struct gpa_map m;
    uint64_t hpa = 0x1234;

    gpa_map_init(&m);
    CHECK_EQ_U(gpa_map_count(&m), 0);
    CHECK(gpa_map_lookup(&m, 0) == NULL);
    CHECK(gpa_map_region(&m, 0) == NULL);
    CHECK(!gpa_map_ram_to_host(&m, 0, &hpa));
    CHECK_EQ_U(hpa, 0x1234);
}

TEST(regions_are_kept_sorted)
{
    struct gpa_map m;
    static const uint64_t starts[] = { 0, 0xA0000, 0xC0000, MIB(1), 0xFEE00000, GIB(4) };

    pc_layout(&m);
    CHECK_EQ_U(gpa_map_count(&m), 6);
    for (size_t i = 0; i < 6; i++)
        CHECK_EQ_U(gpa_map_region(&m, i)->start, starts[i]);
    CHECK(gpa_map_region(&m, 6) == NULL);
    CHECK_EQ_I(gpa_map_region(&m, 1)->kind, GPA_MMIO);
    CHECK_EQ_I(gpa_map_region(&m, 2)->kind, GPA_HOLE);
    CHECK_EQ_U(gpa_map_region(&m, 3)->size, GIB(3) - MIB(1));
    CHECK_EQ_U(gpa_map_region(&m, 3)->host_phys, GIB(8) + MIB(1));
}

TEST(lookup_edges)
{
    struct gpa_map m;

    pc_layout(&m);
    CHECK(gpa_map_lookup(&m, 0) == gpa_map_region(&m, 0));
    CHECK(gpa_map_lookup(&m, KIB(640) - 1) == gpa_map_region(&m, 0));
    CHECK(gpa_map_lookup(&m, KIB(640)) == gpa_map_region(&m, 1));
    CHECK(gpa_map_lookup(&m, 0xBFFFF) == gpa_map_region(&m, 1));
    CHECK(gpa_map_lookup(&m, 0xC0000) == gpa_map_region(&m, 2));
    CHECK(gpa_map_lookup(&m, MIB(1)) == gpa_map_region(&m, 3));
    CHECK(gpa_map_lookup(&m, GIB(3) - 1) == gpa_map_region(&m, 3));
    CHECK(gpa_map_lookup(&m, GIB(3)) == NULL);
    CHECK(gpa_map_lookup(&m, 0xFEDFFFFF) == NULL);
    CHECK(gpa_map_lookup(&m, 0xFEE00FFF) == gpa_map_region(&m, 4));
    CHECK(gpa_map_lookup(&m, 0xFEE01000) == NULL);
    CHECK(gpa_map_lookup(&m, GIB(5) - 1) == gpa_map_region(&m, 5));
    CHECK(gpa_map_lookup(&m, GIB(5)) == NULL);
    CHECK(gpa_map_lookup(&m, UINT64_MAX) == NULL);
}

TEST(ram_to_host)
{
    struct gpa_map m;
    uint64_t hpa = 0;

    pc_layout(&m);
    CHECK(gpa_map_ram_to_host(&m, 0x1234, &hpa));
    CHECK_EQ_U(hpa, GIB(8) + 0x1234);
    CHECK(gpa_map_ram_to_host(&m, MIB(2) + 5, &hpa));
    CHECK_EQ_U(hpa, GIB(8) + MIB(2) + 5);
    CHECK(gpa_map_ram_to_host(&m, GIB(4) + 0xabc, &hpa));
    CHECK_EQ_U(hpa, GIB(12) + 0xabc);
    hpa = 7;
    CHECK(!gpa_map_ram_to_host(&m, 0xB8000, &hpa));        /* MMIO */
    CHECK(!gpa_map_ram_to_host(&m, 0xF0000, &hpa));        /* hole */
    CHECK(!gpa_map_ram_to_host(&m, GIB(3) + 5, &hpa));     /* nothing */
    CHECK_EQ_U(hpa, 7);
}

TEST(overlaps_are_rejected)
{
    struct gpa_map m;

    pc_layout(&m);
    /* Partly over the start, partly over the end, inside, around, exactly. */
    CHECK_EQ_I(gpa_map_add(&m, 0x9F000, KIB(8), GPA_MMIO, 0), GPA_MAP_OVERLAP);
    CHECK_EQ_I(gpa_map_add(&m, 0xBF000, KIB(8), GPA_MMIO, 0), GPA_MAP_OVERLAP);
    CHECK_EQ_I(gpa_map_add(&m, 0xB8000, KIB(4), GPA_MMIO, 0), GPA_MAP_OVERLAP);
    CHECK_EQ_I(gpa_map_add(&m, 0xFEC00000, MIB(4), GPA_MMIO, 0), GPA_MAP_OVERLAP);
    CHECK_EQ_I(gpa_map_add(&m, 0xA0000, 0x20000, GPA_MMIO, 0), GPA_MAP_OVERLAP);
    CHECK_EQ_I(gpa_map_add(&m, 0, GIB(16), GPA_HOLE, 0), GPA_MAP_OVERLAP);
    CHECK_EQ_U(gpa_map_count(&m), 6);

    /* Touching is fine on both sides. */
    CHECK_EQ_I(gpa_map_add(&m, GIB(3), GIB(1) - MIB(20), GPA_HOLE, 0), GPA_MAP_OK);
    CHECK_EQ_I(gpa_map_add(&m, 0xFEC00000, 0x200000, GPA_MMIO, 0), GPA_MAP_OK);
    CHECK_EQ_I(gpa_map_add(&m, 0xFEE01000, KIB(4), GPA_MMIO, 0), GPA_MAP_OK);
    CHECK_EQ_U(gpa_map_count(&m), 9);
    CHECK_EQ_U(gpa_map_region(&m, 4)->start, GIB(3));
    CHECK_EQ_U(gpa_map_region(&m, 5)->start, 0xFEC00000);
    CHECK_EQ_U(gpa_map_region(&m, 6)->start, 0xFEE00000);
    CHECK_EQ_U(gpa_map_region(&m, 7)->start, 0xFEE01000);
    CHECK_EQ_U(gpa_map_region(&m, 8)->start, GIB(4));
}

TEST(bad_ranges)
{
    struct gpa_map m;

    gpa_map_init(&m);
    CHECK_EQ_I(gpa_map_add(&m, 0x800, KIB(4), GPA_RAM, 0), GPA_MAP_BAD_RANGE);
    CHECK_EQ_I(gpa_map_add(&m, 0, KIB(4) + 1, GPA_RAM, 0), GPA_MAP_BAD_RANGE);
    CHECK_EQ_I(gpa_map_add(&m, 0, 0, GPA_RAM, 0), GPA_MAP_BAD_RANGE);
    CHECK_EQ_I(gpa_map_add(&m, 0, KIB(4), GPA_RAM, 0x10), GPA_MAP_BAD_RANGE);
    CHECK_EQ_I(gpa_map_add(&m, GPA_MAP_ADDR_LIMIT, KIB(4), GPA_MMIO, 0), GPA_MAP_BAD_RANGE);
    CHECK_EQ_I(gpa_map_add(&m, GPA_MAP_ADDR_LIMIT - KIB(4), KIB(8), GPA_MMIO, 0),
               GPA_MAP_BAD_RANGE);
    CHECK_EQ_I(gpa_map_add(&m, KIB(4), UINT64_MAX - KIB(4) + 1, GPA_MMIO, 0),
               GPA_MAP_BAD_RANGE);
    CHECK_EQ_I(gpa_map_add(&m, 0, KIB(4), GPA_RAM, GPA_MAP_ADDR_LIMIT), GPA_MAP_BAD_RANGE);
    CHECK_EQ_I(gpa_map_add(&m, 0, KIB(8), GPA_RAM, GPA_MAP_ADDR_LIMIT - KIB(4)),
               GPA_MAP_BAD_RANGE);
    CHECK_EQ_I(gpa_map_add(&m, 0, KIB(4), (enum gpa_kind)7, 0), GPA_MAP_BAD_RANGE);
    CHECK_EQ_U(gpa_map_count(&m), 0);

    /* The very top page is allowed; MMIO's host address is ignored. */
    CHECK_EQ_I(gpa_map_add(&m, GPA_MAP_ADDR_LIMIT - KIB(4), KIB(4), GPA_MMIO, 0x10),
               GPA_MAP_OK);
    CHECK_EQ_U(gpa_map_region(&m, 0)->host_phys, 0);
}

TEST(full_map)
{
    struct gpa_map m;

    gpa_map_init(&m);
    for (uint64_t i = 0; i < GPA_MAP_MAX_REGIONS; i++)
        CHECK_EQ_I(gpa_map_add(&m, i * KIB(8), KIB(4), GPA_MMIO, 0), GPA_MAP_OK);
    CHECK_EQ_I(gpa_map_add(&m, MIB(1), KIB(4), GPA_MMIO, 0), GPA_MAP_FULL);
    /* An overlap is still reported as such. */
    CHECK_EQ_I(gpa_map_add(&m, 0, KIB(4), GPA_MMIO, 0), GPA_MAP_OVERLAP);
    CHECK_EQ_U(gpa_map_count(&m), GPA_MAP_MAX_REGIONS);
    CHECK_EQ_U(gpa_map_region(&m, GPA_MAP_MAX_REGIONS - 1)->start,
               (GPA_MAP_MAX_REGIONS - 1) * KIB(8));
}

TEST(insertion_in_the_middle_keeps_neighbours)
{
    struct gpa_map m;

    gpa_map_init(&m);
    CHECK_EQ_I(gpa_map_add(&m, MIB(8), MIB(1), GPA_RAM, GIB(1)), GPA_MAP_OK);
    CHECK_EQ_I(gpa_map_add(&m, 0, MIB(1), GPA_RAM, GIB(2)), GPA_MAP_OK);
    CHECK_EQ_I(gpa_map_add(&m, MIB(4), MIB(1), GPA_MMIO, 0), GPA_MAP_OK);
    CHECK_EQ_U(gpa_map_region(&m, 0)->host_phys, GIB(2));
    CHECK_EQ_U(gpa_map_region(&m, 1)->start, MIB(4));
    CHECK_EQ_I(gpa_map_region(&m, 1)->kind, GPA_MMIO);
    CHECK_EQ_U(gpa_map_region(&m, 2)->start, MIB(8));
    CHECK_EQ_U(gpa_map_region(&m, 2)->size, MIB(1));
    CHECK_EQ_U(gpa_map_region(&m, 2)->host_phys, GIB(1));
}

TEST(kind_names)
{
    CHECK_STR(gpa_kind_name(GPA_RAM), "RAM");
    CHECK_STR(gpa_kind_name(GPA_MMIO), "MMIO");
    CHECK_STR(gpa_kind_name(GPA_HOLE), "hole");
}
