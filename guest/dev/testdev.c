/*
 * keel's test device, attached with the VM option `testdev`:
 * - MMIO at TESTDEV_MMIO_BASE, 4 KiB of scratch memory that lives in keel, so
 *   every guest access exits and is emulated; the 8 bytes at 0xff8 read as
 *   the number of MMIO accesses emulated so far in this region and the next
 *   (writes there are dropped).
 * - Port 0xe4: an IN of n bytes returns the next n bytes of the sequence
 *   byte[k] = (7k + 3) mod 256; an OUT sets k.
 * - Port 0xe8: every OUT adds its bytes to a count and an FNV-1a hash; IN 0xe8
 *   returns the count, IN 0xec the hash; an OUT to 0xec resets both.
 * - MMIO at TESTDEV_IOMEM_BASE (0xff000000), 64 KiB of plain memory, as
 *   QEMU's pc-testdev has it ("iomem"): reads return what was written, and
 *   since it is MMIO every access exits and goes through keel's instruction
 *   emulator (kvm-unit-tests' `emulator` test runs its instructions there).
 * - Ports 0x2000-0x2017: interrupt lines, as QEMU's pc-testdev has them: an
 *   OUT writes one byte per line (port 0x2000 + n is GSI n), nonzero
 *   asserting the line, zero deasserting it.  GSIs 0-15 are the ISA IRQs
 *   and reach the 8259 and the I/O APIC, 16-23 the I/O APIC only
 *   (guest/pc_machine.c).  IN reads 0.
 * Guests use it to check string I/O, instruction emulation and interrupt
 * delivery.
 */
#include "guest/dev/devices.h"

#include "guest/pc_machine.h"
#include "lib/string.h"
#include "mm/kmalloc.h"

#define TESTDEV_COUNTER_OFFSET 0xff8
#define TESTDEV_SEQ_PORT       0xe4
#define TESTDEV_SINK_PORT      0xe8
#define TESTDEV_HASH_PORT      0xec
#define TESTDEV_IRQ_LINE_PORT  0x2000
#define FNV1A_OFFSET_BASIS     0x811c9dc5u
#define FNV1A_PRIME            0x01000193u

struct testdev {
    uint8_t scratch[TESTDEV_MMIO_SIZE];
    uint8_t *iomem;
    uint64_t accesses;
    uint32_t seq_pos;
    uint32_t sink_count, sink_hash;
};

static struct testdev testdevs[VM_MAX_VMS];
/* The iomem regions, allocated the first time a VM slot attaches testdev
 * and kept for later VMs in that slot (64 KiB each: not in keel's image). */
static uint8_t *iomems[VM_MAX_VMS];

static int testdev_mmio(struct vm *vm, void *dev, uint64_t offset, unsigned size, bool write,
                        uint64_t *value)
{
    struct testdev *t = dev;
    (void)vm;
    if (offset + size > TESTDEV_MMIO_SIZE)
        return -1;
    t->accesses++;
    if (offset >= TESTDEV_COUNTER_OFFSET) {
        if (!write) {
            uint64_t count = t->accesses;
            memcpy(value, (uint8_t *)&count + (offset - TESTDEV_COUNTER_OFFSET), size);
        }
        return 0;
    }
    if (write)
        memcpy(t->scratch + offset, value, size);
    else
        memcpy(value, t->scratch + offset, size);
    return 0;
}

/* Plain memory: any size at any offset inside the region. */
static int testdev_iomem(struct vm *vm, void *dev, uint64_t offset, unsigned size, bool write,
                         uint64_t *value)
{
    struct testdev *t = dev;
    (void)vm;
    if (size > sizeof(*value) || offset > TESTDEV_IOMEM_SIZE - size)
        return -1;
    t->accesses++;
    if (write)
        memcpy(t->iomem + offset, value, size);
    else
        memcpy(value, t->iomem + offset, size);
    return 0;
}

static uint8_t sequence_byte(uint32_t k)
{
    return (uint8_t)(k * 7 + 3);
}

static int testdev_io(struct vm *vm, void *dev, uint16_t port, unsigned size, bool in,
                      uint32_t *value)
{
    struct testdev *t = dev;
    (void)vm;
    switch (port) {
    case TESTDEV_SEQ_PORT:
        if (!in) {
            t->seq_pos = *value;
            return 0;
        }
        *value = 0;
        for (unsigned i = 0; i < size; i++)
            *value |= (uint32_t)sequence_byte(t->seq_pos++) << (8 * i);
        return 0;
    case TESTDEV_SINK_PORT:
        if (in) {
            *value = t->sink_count;
            return 0;
        }
        for (unsigned i = 0; i < size; i++) {
            t->sink_hash = (t->sink_hash ^ ((*value >> (8 * i)) & 0xff)) * FNV1A_PRIME;
            t->sink_count++;
        }
        return 0;
    case TESTDEV_HASH_PORT:
        if (in) {
            *value = t->sink_hash;
        } else {
            t->sink_count = 0;
            t->sink_hash = FNV1A_OFFSET_BASIS;
        }
        return 0;
    default:
        if (in)
            *value = 0xffffffffu;
        return 0;
    }
}

static int testdev_irq_lines(struct vm *vm, void *dev, uint16_t port, unsigned size, bool in,
                             uint32_t *value)
{
    (void)dev;
    if (in) {
        *value = 0;
        return 0;
    }
    for (unsigned i = 0; i < size; i++) {
        unsigned gsi = port - TESTDEV_IRQ_LINE_PORT + i;
        if (gsi < PC_NR_GSIS)
            pc_set_gsi(vm, gsi, (*value >> (8 * i)) & 0xff);
    }
    return 0;
}

void testdev_attach(struct vm *vm)
{
    struct testdev *t = &testdevs[vm->index];
    memset(t, 0, sizeof(*t));
    t->sink_hash = FNV1A_OFFSET_BASIS;
    vm_register_mmio(vm, TESTDEV_MMIO_BASE, TESTDEV_MMIO_SIZE, testdev_mmio, t, "testdev");
    if (!iomems[vm->index])
        iomems[vm->index] = kmalloc(TESTDEV_IOMEM_SIZE);
    memset(iomems[vm->index], 0, TESTDEV_IOMEM_SIZE);
    t->iomem = iomems[vm->index];
    vm_register_mmio(vm, TESTDEV_IOMEM_BASE, TESTDEV_IOMEM_SIZE, testdev_iomem, t,
                     "testdev-iomem");
    vm_register_pio(vm, TESTDEV_SEQ_PORT, TESTDEV_HASH_PORT + 3, testdev_io, t, "testdev");
    vm_register_pio(vm, TESTDEV_IRQ_LINE_PORT, TESTDEV_IRQ_LINE_PORT + PC_NR_GSIS - 1,
                    testdev_irq_lines, t, "testdev-irq");
}
