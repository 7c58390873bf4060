/* The emulated devices, one file each in guest/dev/, each attached to a VM
 * by its function below. */
#ifndef KEEL_GUEST_DEV_DEVICES_H
#define KEEL_GUEST_DEV_DEVICES_H

#include "guest/vm.h"

/* Port 0xf4: QEMU's isa-debug-exit.  `out 0xf4, v` stops the VM with
 * status (v << 1) | 1; kvm-unit-tests report their result through it. */
void debug_exit_attach(struct vm *vm);
/* Port 0x8900: Bochs's shutdown port ("Shutdown" written byte by byte). */
void bochs_shutdown_attach(struct vm *vm);
/* Port 0xe0: returns the last value written (kvm-unit-tests' emulator test). */
void echo_port_attach(struct vm *vm);
/* Ports 0x510/0x511: the part of QEMU's fw_cfg kvm-unit-tests read. */
void fw_cfg_attach(struct vm *vm);
/* Port 0xcf9: the chipset's reset control register (RST_CPU resets the VM). */
void reset_control_attach(struct vm *vm);
/* Ports 0x60/0x64: an idle 8042 whose command 0xFE resets the VM. */
void i8042_attach(struct vm *vm);
/* keel's test device: scratch MMIO at TESTDEV_MMIO_BASE, QEMU pc-testdev's
 * iomem at TESTDEV_IOMEM_BASE, ports 0xe4-0xef and 0x2000-0x2017. */
void testdev_attach(struct vm *vm);

#define TESTDEV_MMIO_BASE UINT64_C(0xd0000000)
#define TESTDEV_MMIO_SIZE 4096
#define TESTDEV_IOMEM_BASE UINT64_C(0xff000000)
#define TESTDEV_IOMEM_SIZE 0x10000

#endif
