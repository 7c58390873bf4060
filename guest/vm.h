/*
 * A virtual machine and its vCPU as generic code sees them (guest/vm.c).
 * The VT-x specifics of a vCPU live in struct vcpu_vmx (vmx/vcpu_vmx.h);
 * generic code reaches them only through the vcpu_* accessors of
 * guest/vcpu.h, which vmx/ implements (an SVM backend would implement the
 * same functions).
 */
#ifndef KEEL_GUEST_VM_H
#define KEEL_GUEST_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest/exit_stats.h"
#include "guest/exit_trace.h"
#include "guest/gpa_map.h"
#include "guest/vm_config.h"
#include "guest/x86.h"
#include "guest/dev/lapic.h"
#include "vmx/exit_reasons.h"

#define VM_MAX_VMS        16
#define VM_MAX_PIO        40
#define VM_MAX_MMIO       12
#define VM_CONSOLE_LINE   256

struct vm;
struct vcpu;
struct shadow_mmu;

/* One handler signature for every emulated port device.  `value` carries the
 * data of an OUT and receives the data of an IN (size 1, 2 or 4 bytes).
 * Returns 0, or -1 when the access is a guest error the device reported
 * itself (the VM is then stopped). */
typedef int (*pio_handler_fn)(struct vm *vm, void *dev, uint16_t port, unsigned size, bool in,
                              uint32_t *value);

/* The same for memory-mapped devices: offset is from the region's start. */
typedef int (*mmio_handler_fn)(struct vm *vm, void *dev, uint64_t offset, unsigned size,
                               bool write, uint64_t *value);

struct pio_range {
    uint16_t first, last;
    pio_handler_fn handler;
    void *dev;
    const char *name;
};

struct mmio_region {
    uint64_t gpa, size;
    mmio_handler_fn handler;
    void *dev;
    const char *name;
};

enum vm_state {
    VM_STATE_NOT_STARTED,
    VM_STATE_RUNNABLE,
    VM_STATE_WAITING,           /* HLT with interrupts enabled: waits for an event */
    VM_STATE_RESETTING,         /* the guest reset itself; the scheduler restarts it */
    VM_STATE_PAUSED,            /* held by the console's `pause` */
    VM_STATE_STOPPED,
};

/* Why a VM stopped: its outcome, compared with vm_config.expect. */
enum vm_stop_reason {
    VM_STOP_NONE,
    VM_STOP_DEBUG_EXIT,         /* port 0xf4: status = (value << 1) | 1 */
    VM_STOP_SHUTDOWN_PORT,      /* "Shutdown" on port 0x8900 */
    VM_STOP_TRIPLE_FAULT,
    VM_STOP_HALTED,             /* HLT with interrupts disabled: nothing can wake it */
    VM_STOP_IDLE_FOREVER,       /* HLT with interrupts enabled and no event source */
    VM_STOP_BAD_ACCESS,         /* guest-physical access outside RAM and MMIO */
    VM_STOP_ENTRY_FAILED,
    VM_STOP_UNHANDLED,          /* an exit or instruction keel cannot handle */
    VM_STOP_LOAD_FAILED,
    VM_STOP_RESET,              /* the guest reset itself and onreset=stop */
    VM_STOP_CONSOLE,            /* `stop` on keel's console */
};

/* MSRs keel emulates in generic code (guest/msr_emul.c). */
struct vcpu_msr_state {
    uint64_t misc_enable;
    uint64_t mtrr_def_type;
    uint64_t mtrr_fixed[11];
    uint64_t mtrr_var[16];
};

struct vcpu {
    struct vm *vm;
    unsigned id;
    struct guest_regs regs;     /* all but RSP; saved/restored by vmx/entry.asm */
    void *arch;                 /* struct vcpu_vmx */
    /* Every exit: counted and timed from the exit to the next entry
     * (guest/exit_stats.c), and the last 64 kept (guest/exit_trace.c). */
    struct exit_stats stats;
    struct exit_trace trace;
    /* TSC at the start of the exit being handled, or of the last one: an
     * exit is being handled while its trace entry is open
     * (exit_trace_newest_open()). */
    uint64_t exit_tsc;
    uint32_t exit_reason;       /* raw exit reason of that exit */
    /* RIP, which the backend reads once per exit and keeps in step with
     * every write (read it with vcpu_rip()). */
    uint64_t rip;
    /* The backend's: the TSC from which an exit must prepare the next entry
     * in full (the turn's end, a virtual timer event, re-arming the
     * preemption timer), as of the last preparation. */
    uint64_t turn_end;
    struct x86_event pending_event;     /* injected at the next entry */
    struct vcpu_msr_state msr;
    /* Interrupts (guest/vcpu_intr.c): the local APIC (which also holds the
     * TPR, i.e. CR8), an NMI waiting for delivery, and a hint that something
     * may have become deliverable since the last look (also set whenever an
     * event is queued in pending_event, and when the local APIC model parts
     * from the backend's copy of its registers: the next entry has work). */
    struct lapic lapic;
    bool nmi_pending;
    bool intr_check;
    /* Set by the backend when its CPU delivers the local APIC's vectors
     * itself (VT-x virtual-interrupt delivery): only NMIs and the 8259's
     * ExtINT are then injected by keel. */
    bool virtual_interrupt_delivery;
    /* IA32_APIC_BASE was written (the APIC's mode or page may have moved)
     * since the backend last looked; the backend clears it. */
    bool apic_base_written;
    uint64_t tsc_offset;        /* guest TSC = host TSC + tsc_offset */
    struct shadow_mmu *shadow;  /* guest/shadow_mmu.c; NULL with EPT */
    bool paging_caps_known, page_1g;    /* from the guest's CPUID (guest/vcpu_mmu.c) */
};

struct vm {
    const struct vm_config *config;
    const char *name;
    unsigned index;
    enum vm_state state;
    enum vm_state paused_from;  /* what `resume` returns it to */

    /* Guest RAM: guest-physical [0, ram_size) is host-physical
     * [ram_hpa, ram_hpa + ram_size), reachable at ram. */
    uint64_t ram_hpa;
    uint64_t ram_size;
    uint8_t *ram;
    struct gpa_map gpa_map;
    uint64_t eptp;              /* EPT pointer built from gpa_map (vmx/) */

    struct pio_range pio[VM_MAX_PIO];
    size_t npio;
    /* Port -> 1 + index in pio[], 0 for an unclaimed port: one load finds
     * the device on every I/O exit (guest/pio.c). */
    uint8_t *pio_owner;
    struct mmio_region mmio[VM_MAX_MMIO];
    size_t nmmio;

    struct vcpu vcpu;

    /* Guest time (guest/pc_machine.c): guest nanosecond 0 was host TSC
     * tsc_origin; the timer models ask to be updated at host TSC
     * timer_deadline (UINT64_MAX: never), and timers_dirty says a guest
     * access may have moved that deadline (set it with pc_timers_touched(),
     * which also sets vcpu.intr_check). */
    uint64_t tsc_origin;
    uint64_t timer_deadline;
    bool timers_dirty;

    /* Console line buffer: guest output is printed a whole line at a time. */
    char console_line[VM_CONSOLE_LINE];
    size_t console_len;

    char reset_reason[64];
    unsigned restarts;

    enum vm_stop_reason stop_reason;
    uint64_t stop_status;
    char stop_detail[192];

    uint64_t pio_unclaimed_in, pio_unclaimed_out;
};

/* Device registration (guest/pio.c, guest/mmio.c).  vm_clear_pio()
 * forgets every port device (before devices are attached again). */
void vm_clear_pio(struct vm *vm);
void vm_register_pio(struct vm *vm, uint16_t first, uint16_t last, pio_handler_fn fn,
                     void *dev, const char *name);
void vm_register_mmio(struct vm *vm, uint64_t gpa, uint64_t size, mmio_handler_fn fn,
                      void *dev, const char *name);
const struct mmio_region *vm_find_mmio(const struct vm *vm, uint64_t gpa);

/* Performs one port access for the guest (not string forms). */
void vm_pio_access(struct vm *vm, uint16_t port, unsigned size, bool in, uint32_t *value);

/* Stops the VM: it is not entered again.  The detail is printed in the
 * stop report. */
void vm_stop(struct vm *vm, enum vm_stop_reason reason, uint64_t status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
const char *vm_stop_reason_name(enum vm_stop_reason reason);

/* The guest reset its machine (triple fault, port 0xcf9, the 8042's reset
 * line): with onreset=restart the VM starts again from its kernel with its
 * disk as it is; otherwise it stops. */
void vm_reset(struct vm *vm, const char *why);
bool vm_outcome_as_expected(const struct vm *vm);

/* Guest console output (until the full UART model: guest/dev/). */
void vm_console_putc(struct vm *vm, char c);
void vm_console_flush(struct vm *vm);

/* Guest RAM access by guest-physical address; false when outside RAM. */
bool vm_ram_read(const struct vm *vm, uint64_t gpa, void *dst, size_t len);
bool vm_ram_write(struct vm *vm, uint64_t gpa, const void *src, size_t len);
void *vm_ram_ptr(struct vm *vm, uint64_t gpa, size_t len);

#endif
