/*
 * The guests' 16550A UART: a register model of the National Semiconductor
 * PC16550D (data sheet of June 1995; the headings and tables cited below
 * are its), then the glue that puts one on a VM's ports.  The model is pure
 * logic; see guest/dev/uart16550.h for what it does and does not emulate.
 *
 * Character timeout.  The data sheet ("FIFO Interrupt Mode Operation")
 * raises IIR = 0xC when at least one byte sits in the receiver FIFO and
 * for 4 character times no byte arrived and the CPU read none.
 * keel has no character time, and the guest cannot measure one either:
 * bytes are delivered between guest instructions, and whatever a guest does
 * next may as well happen 4 character times later.  So the model reports
 * the timeout whenever FIFOs are on and the receiver holds 1 to trigger-1
 * bytes: at once after such a byte arrives, and still after an RBR read
 * that leaves some (the real timer would have run out again before the
 * guest's next look).  Below the trigger level the interrupt therefore
 * stays pending until the guest has drained the receiver, and the IRQ line
 * stays up while it does, so an edge-triggered PIC sees one edge per burst
 * and no spurious ones.  Linux's 8250 driver handles 0xC exactly like 0x4:
 * it reads LSR and then RBR while LSR.DR is set, which empties the FIFO in
 * one pass, after which IIR reads "no interrupt".  Without the timeout a
 * guest that set trigger level 8 would never hear of a single typed key.
 *
 * The IRQ gate.  PC serial cards drive the ISA IRQ from INTR only while the
 * OUT2 output is active, so drivers set MCR.OUT2 to get interrupts.  In
 * loopback the data sheet forces the OUT2 pin inactive, which on a real
 * card would cut the IRQ; the model gates with the MCR.OUT2 bit instead, in
 * loopback too.  The data sheet keeps all interrupts working in loopback
 * ("Modem Control Register", bit 4), and this lets a driver exercise its
 * interrupt handler there with no serial traffic.
 */
#include "guest/dev/uart16550.h"

#include "guest/vm.h"
#include "kernel/log.h"

/* IER ("Interrupt Enable Register") */
#define IER_ERBFI               0x01    /* received data available / timeout */
#define IER_ETBEI               0x02    /* transmitter holding register empty */
#define IER_ELSI                0x04    /* receiver line status */
#define IER_EDSSI               0x08    /* modem status */
#define IER_WRITABLE            (IER_ERBFI | IER_ETBEI | IER_ELSI | IER_EDSSI)

/* IIR ("Interrupt Identification Register" and its table of interrupt
 * control functions): bit 0 is 0 while an interrupt is pending;
 * bits 3:1 identify the highest-priority one; bits 7:6 are 11 in FIFO mode. */
#define IIR_NO_INTERRUPT        0x01
#define IIR_ID_LINE_STATUS      0x06    /* priority 1 */
#define IIR_ID_RX_DATA          0x04    /* priority 2 */
#define IIR_ID_CHAR_TIMEOUT     0x0c    /* priority 2 */
#define IIR_ID_THRE             0x02    /* priority 3 */
#define IIR_ID_MODEM_STATUS     0x00    /* priority 4 */
#define IIR_FIFOS_ENABLED       0xc0

/* FCR ("FIFO Control Register") */
#define FCR_FIFO_ENABLE         0x01
#define FCR_RCVR_FIFO_RESET     0x02
#define FCR_XMIT_FIFO_RESET     0x04
#define FCR_RCVR_TRIGGER_MASK   0xc0
#define FCR_RCVR_TRIGGER_SHIFT  6

/* LCR ("Line Control Register") */
#define LCR_DLAB                0x80

/* MCR ("Modem Control Register") */
#define MCR_DTR                 0x01
#define MCR_RTS                 0x02
#define MCR_OUT1                0x04
#define MCR_OUT2                0x08
#define MCR_LOOP                0x10
#define MCR_WRITABLE            (MCR_DTR | MCR_RTS | MCR_OUT1 | MCR_OUT2 | MCR_LOOP)

/* LSR ("Line Status Register") */
#define LSR_DR                  0x01
#define LSR_OE                  0x02
#define LSR_THRE                0x20
#define LSR_TEMT                0x40

/* MSR ("Modem Status Register") */
#define MSR_DCTS                0x01
#define MSR_DDSR                0x02
#define MSR_TERI                0x04
#define MSR_DDCD                0x08
#define MSR_DELTA_MASK          (MSR_DCTS | MSR_DDSR | MSR_TERI | MSR_DDCD)
#define MSR_CTS                 0x10
#define MSR_DSR                 0x20
#define MSR_RI                  0x40
#define MSR_DCD                 0x80
#define MSR_STATUS_MASK         (MSR_CTS | MSR_DSR | MSR_RI | MSR_DCD)
/* No modem: the inputs a null-modem cable with everything tied active gives. */
#define MSR_NO_MODEM            (MSR_CTS | MSR_DSR | MSR_DCD)

/* Divisor at reset: 1.8432 MHz / (16 * 12) = 9600 baud. */
#define RESET_DIVISOR           12
#define FLOATING_BUS            0xff
#define BITS_PER_BYTE           8

/* ---- receiver ---- */

static unsigned rx_capacity(const struct uart16550 *u)
{
    return u->fifo_enabled ? UART16550_FIFO_SIZE : 1;
}

/* FCR bits 7:6: 1, 4, 8 or 14 bytes ("FIFO Control Register"); 1 in
 * 16450 mode. */
static unsigned rx_trigger_level(const struct uart16550 *u)
{
    static const uint8_t levels[] = { 1, 4, 8, 14 };
    return u->fifo_enabled ? levels[u->rx_trigger] : 1;
}

static void rx_clear(struct uart16550 *u)
{
    u->rx_head = 0;
    u->rx_count = 0;
}

static void rx_push(struct uart16550 *u, uint8_t byte)
{
    u->rx_fifo[(u->rx_head + u->rx_count) % UART16550_FIFO_SIZE] = byte;
    u->rx_count++;
}

static uint8_t rx_pop(struct uart16550 *u)
{
    uint8_t byte = u->rx_fifo[u->rx_head];
    u->rx_head = (uint8_t)((u->rx_head + 1) % UART16550_FIFO_SIZE);
    u->rx_count--;
    return byte;
}

/* A byte reaching the receiver, from the serial input or from loopback.
 * Overrun ("Line Status Register", bit 1): in FIFO mode the byte in the shift
 * register is lost and the FIFO kept; in 16450 mode the new byte replaces
 * the unread one in RBR. */
static bool rx_deliver(struct uart16550 *u, uint8_t byte)
{
    if (u->rx_count < rx_capacity(u)) {
        rx_push(u, byte);
        return true;
    }
    u->overrun = true;
    if (!u->fifo_enabled)
        u->rx_fifo[u->rx_head] = byte;
    return false;
}

/* ---- interrupts ---- */

static bool rx_data_at_trigger(const struct uart16550 *u)
{
    return u->rx_count > 0 && u->rx_count >= rx_trigger_level(u);
}

/* See "Character timeout" at the top of the file. */
static bool rx_char_timeout(const struct uart16550 *u)
{
    return u->fifo_enabled && u->rx_count > 0 && u->rx_count < rx_trigger_level(u);
}

/* The identification IIR bits 3:0 give: the enabled, pending interrupt of
 * highest priority (the interrupt control functions table), or
 * IIR_NO_INTERRUPT. */
static uint8_t pending_interrupt_id(const struct uart16550 *u)
{
    if ((u->ier & IER_ELSI) && u->overrun)
        return IIR_ID_LINE_STATUS;
    if ((u->ier & IER_ERBFI) && rx_data_at_trigger(u))
        return IIR_ID_RX_DATA;
    if ((u->ier & IER_ERBFI) && rx_char_timeout(u))
        return IIR_ID_CHAR_TIMEOUT;
    if ((u->ier & IER_ETBEI) && u->thre_pending)
        return IIR_ID_THRE;
    if ((u->ier & IER_EDSSI) && (u->msr & MSR_DELTA_MASK))
        return IIR_ID_MODEM_STATUS;
    return IIR_NO_INTERRUPT;
}

/* INTR gated by OUT2: see "The IRQ gate" at the top of the file. */
static void update_irq(struct uart16550 *u)
{
    bool pending = pending_interrupt_id(u) != IIR_NO_INTERRUPT;
    irq_line_set(u->irq, pending && (u->mcr & MCR_OUT2));
}

/* ---- modem status ---- */

/* The modem inputs as MSR bits 7:4: in loopback, wired to the MCR outputs
 * ("Modem Control Register", bit 4: RTS -> CTS, DTR -> DSR, OUT1 -> RI, OUT2 -> DCD);
 * otherwise no modem is attached. */
static uint8_t modem_inputs(const struct uart16550 *u)
{
    if (!(u->mcr & MCR_LOOP))
        return MSR_NO_MODEM;
    uint8_t in = 0;
    if (u->mcr & MCR_RTS)
        in |= MSR_CTS;
    if (u->mcr & MCR_DTR)
        in |= MSR_DSR;
    if (u->mcr & MCR_OUT1)
        in |= MSR_RI;
    if (u->mcr & MCR_OUT2)
        in |= MSR_DCD;
    return in;
}

/* Latches the inputs into MSR bits 7:4 and records their changes in the
 * delta bits 3:0, which stay set until MSR is read ("Modem Status Register").  TERI
 * records only RI going from 1 to 0 (the RI pin's trailing edge). */
static void sample_modem_inputs(struct uart16550 *u)
{
    uint8_t before = u->msr & MSR_STATUS_MASK;
    uint8_t now = modem_inputs(u);
    uint8_t changed = before ^ now;
    uint8_t delta = u->msr & MSR_DELTA_MASK;
    if (changed & MSR_CTS)
        delta |= MSR_DCTS;
    if (changed & MSR_DSR)
        delta |= MSR_DDSR;
    if ((changed & MSR_RI) && !(now & MSR_RI))
        delta |= MSR_TERI;
    if (changed & MSR_DCD)
        delta |= MSR_DDCD;
    u->msr = now | delta;
}

/* ---- registers ---- */

static bool dlab(const struct uart16550 *u)
{
    return u->lcr & LCR_DLAB;
}

static uint8_t read_rbr(struct uart16550 *u)
{
    if (u->rx_count)
        u->rbr = rx_pop(u);
    return u->rbr;
}

/* Reading IIR acknowledges a THRE interrupt, but only when THRE is the one
 * it reports (the interrupt control functions table). */
static uint8_t read_iir(struct uart16550 *u)
{
    uint8_t id = pending_interrupt_id(u);
    if (id == IIR_ID_THRE)
        u->thre_pending = false;
    return (uint8_t)(id | (u->fifo_enabled ? IIR_FIFOS_ENABLED : 0));
}

/* Reading LSR clears OE and with it the line status interrupt. */
static uint8_t read_lsr(struct uart16550 *u)
{
    uint8_t lsr = LSR_THRE | LSR_TEMT;
    if (u->rx_count)
        lsr |= LSR_DR;
    if (u->overrun)
        lsr |= LSR_OE;
    u->overrun = false;
    return lsr;
}

/* Reading MSR clears the delta bits and with them the modem status
 * interrupt. */
static uint8_t read_msr(struct uart16550 *u)
{
    uint8_t msr = u->msr;
    u->msr &= MSR_STATUS_MASK;
    return msr;
}

static uint8_t read_register(struct uart16550 *u, unsigned reg)
{
    switch (reg) {
    case UART16550_RBR: return dlab(u) ? u->dll : read_rbr(u);
    case UART16550_IER: return dlab(u) ? u->dlm : u->ier;
    case UART16550_IIR: return read_iir(u);
    case UART16550_LCR: return u->lcr;
    case UART16550_MCR: return u->mcr;
    case UART16550_LSR: return read_lsr(u);
    case UART16550_MSR: return read_msr(u);
    case UART16550_SCR: return u->scr;
    default: return FLOATING_BUS;
    }
}

/* The byte leaves at once, so THR is empty again by the time the write
 * completes: the THRE interrupt the write cleared is pending anew. */
static void write_thr(struct uart16550 *u, uint8_t byte)
{
    if (u->mcr & MCR_LOOP)
        rx_deliver(u, byte);
    else
        u->tx(u->tx_ctx, byte);
    u->thre_pending = true;
}

/* Enabling ETBEI while THR is empty (always, here) raises the THRE
 * interrupt; Linux's 8250 driver tests exactly this at port start-up
 * (set ETBEI, expect IIR = THRE; clear and set again, expect it again). */
static void write_ier(struct uart16550 *u, uint8_t value)
{
    uint8_t ier = value & IER_WRITABLE;
    if ((ier & IER_ETBEI) && !(u->ier & IER_ETBEI))
        u->thre_pending = true;
    u->ier = ier;
}

/* FCR ("FIFO Control Register"): switching FIFO mode on or off empties the FIFOs; the
 * other bits are programmed only together with FCR bit 0.  The transmitter
 * FIFO is always empty, so its reset changes nothing; DMA mode (bit 3)
 * has no effect without DMA. */
static void write_fcr(struct uart16550 *u, uint8_t value)
{
    bool enable = value & FCR_FIFO_ENABLE;
    if (enable != u->fifo_enabled) {
        rx_clear(u);
        u->fifo_enabled = enable;
    }
    if (!enable)
        return;
    if (value & FCR_RCVR_FIFO_RESET)
        rx_clear(u);
    u->rx_trigger = (uint8_t)((value & FCR_RCVR_TRIGGER_MASK) >> FCR_RCVR_TRIGGER_SHIFT);
}

static void write_mcr(struct uart16550 *u, uint8_t value)
{
    u->mcr = value & MCR_WRITABLE;
    sample_modem_inputs(u);
}

static void write_register(struct uart16550 *u, unsigned reg, uint8_t value)
{
    switch (reg) {
    case UART16550_THR:
        if (dlab(u))
            u->dll = value;
        else
            write_thr(u, value);
        break;
    case UART16550_IER:
        if (dlab(u))
            u->dlm = value;
        else
            write_ier(u, value);
        break;
    case UART16550_FCR: write_fcr(u, value); break;
    case UART16550_LCR: u->lcr = value; break;
    case UART16550_MCR: write_mcr(u, value); break;
    case UART16550_SCR: u->scr = value; break;
    default: break;     /* LSR, MSR: factory test only */
    }
}

/* ---- the model's interface ---- */

void uart16550_init(struct uart16550 *u, struct irq_line *irq, uart16550_tx_fn tx,
                    void *tx_ctx)
{
    *u = (struct uart16550){
        .irq = irq,
        .tx = tx,
        .tx_ctx = tx_ctx,
        .msr = MSR_NO_MODEM,
        .dll = RESET_DIVISOR & 0xff,
        .dlm = RESET_DIVISOR >> BITS_PER_BYTE,
    };
    update_irq(u);
}

uint8_t uart16550_read(struct uart16550 *u, unsigned reg)
{
    uint8_t value = read_register(u, reg);
    update_irq(u);
    return value;
}

void uart16550_write(struct uart16550 *u, unsigned reg, uint8_t value)
{
    write_register(u, reg, value);
    update_irq(u);
}

bool uart16550_receive(struct uart16550 *u, uint8_t byte)
{
    if (u->mcr & MCR_LOOP)
        return false;
    bool stored = rx_deliver(u, byte);
    update_irq(u);
    return stored;
}

bool uart16550_can_receive(const struct uart16550 *u)
{
    return !(u->mcr & MCR_LOOP) && u->rx_count < rx_capacity(u);
}

/* ---- attaching to a VM ---- */

struct uart16550_port {
    struct uart16550 uart;
    struct irq_line irq;
    uint16_t base;
    bool attached;
};

static struct uart16550_port ports[VM_MAX_VMS][UART16550_NR_COM];

static const struct {
    uint16_t base;
    const char *name;
} com_ports[UART16550_NR_COM] = {
    { UART16550_COM1_BASE, "com1" },
    { UART16550_COM2_BASE, "com2" },
};

static void console_sink(void *ctx, uint8_t byte)
{
    vm_console_putc(ctx, (char)byte);
}

/* One guest IN or OUT: a 2- or 4-byte access is the ISA bus's sequence of
 * byte cycles at port, port+1, ..., lowest byte first. */
static int uart16550_pio(struct vm *vm, void *dev, uint16_t port, unsigned size, bool in,
                         uint32_t *value)
{
    struct uart16550_port *p = dev;
    (void)vm;
    if (in)
        *value = 0;
    for (unsigned i = 0; i < size; i++) {
        unsigned reg = (unsigned)port + i - p->base;
        unsigned shift = BITS_PER_BYTE * i;
        if (in)
            *value |= (uint32_t)uart16550_read(&p->uart, reg) << shift;
        else
            uart16550_write(&p->uart, reg, (uint8_t)(*value >> shift));
    }
    return 0;
}

void uart16550_attach(struct vm *vm, uint16_t base, unsigned irq)
{
    unsigned com = 0;
    while (com < UART16550_NR_COM && com_ports[com].base != base)
        com++;
    if (com == UART16550_NR_COM || vm->index >= VM_MAX_VMS)
        panic("vm %s: no 16550 slot for port %x", vm->name, base);
    struct uart16550_port *p = &ports[vm->index][com];
    irq_line_init(&p->irq, irq);
    uart16550_init(&p->uart, &p->irq, console_sink, vm);
    p->base = base;
    p->attached = true;
    vm_register_pio(vm, base, (uint16_t)(base + UART16550_NR_REGS - 1), uart16550_pio, p,
                    com_ports[com].name);
}

struct uart16550 *uart16550_of(struct vm *vm, unsigned com)
{
    if (com < 1 || com > UART16550_NR_COM || vm->index >= VM_MAX_VMS)
        return NULL;
    struct uart16550_port *p = &ports[vm->index][com - 1];
    return p->attached ? &p->uart : NULL;
}
