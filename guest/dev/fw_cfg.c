/*
 * The piece of QEMU's firmware configuration interface kvm-unit-tests read:
 * a 16-bit selector written to port 0x510, then the item's bytes read one at
 * a time from port 0x511.  Items: 0x00 signature "QEMU", 0x01 interface id
 * (1: I/O ports only), 0x03 RAM size in bytes (64 bits), 0x05 number of CPUs
 * (little-endian 16 bits).  Other
 * items read as zeros.
 */
#include "guest/dev/devices.h"

#define FW_CFG_SELECTOR_PORT 0x510
#define FW_CFG_DATA_PORT     0x511
#define FW_CFG_SIGNATURE     0x00
#define FW_CFG_ID            0x01
#define FW_CFG_RAM_SIZE      0x03       /* 8 bytes, little-endian */
#define FW_CFG_NB_CPUS       0x05

struct fw_cfg {
    uint16_t selector;
    uint32_t offset;
};

static struct fw_cfg fw_cfgs[VM_MAX_VMS];

static uint8_t fw_cfg_item_byte(const struct vm *vm, uint16_t item, uint32_t offset)
{
    static const char signature[4] = { 'Q', 'E', 'M', 'U' };
    switch (item) {
    case FW_CFG_SIGNATURE:
        return offset < 4 ? (uint8_t)signature[offset] : 0;
    case FW_CFG_ID:
        return offset == 0 ? 1 : 0;
    case FW_CFG_RAM_SIZE:
        return offset < 8 ? (uint8_t)(vm->ram_size >> (8 * offset)) : 0;
    case FW_CFG_NB_CPUS:
        return offset == 0 ? 1 : 0;        /* one vCPU per VM */
    default:
        return 0;
    }
}

static int fw_cfg_io(struct vm *vm, void *dev, uint16_t port, unsigned size, bool in,
                     uint32_t *value)
{
    struct fw_cfg *f = dev;
    if (port == FW_CFG_SELECTOR_PORT) {
        if (!in) {
            f->selector = (uint16_t)*value;
            f->offset = 0;
        } else {
            *value = size == 1 ? 0xff : 0xffff;
        }
        return 0;
    }
    if (!in)
        return 0;
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)fw_cfg_item_byte(vm, f->selector, f->offset++) << (8 * i);
    *value = v;
    return 0;
}

void fw_cfg_attach(struct vm *vm)
{
    fw_cfgs[vm->index] = (struct fw_cfg){ 0, 0 };
    vm_register_pio(vm, FW_CFG_SELECTOR_PORT, FW_CFG_DATA_PORT, fw_cfg_io,
                    &fw_cfgs[vm->index], "fw_cfg");
}
