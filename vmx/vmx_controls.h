/*
 * Named bits of the VMX control fields and of the VMX capability MSRs, as the
 * Intel SDM vol. 3C names them:
 *   - VM-execution controls: chapter 25.6 (pin-based table 25-5, primary
 *     processor-based 25-6, secondary 25-7, tertiary 25-8), VM-function
 *     controls 25.6.14;
 *   - VM-exit controls 25.7.1 (table 25-13), VM-entry controls 25.8.1
 *     (table 25-15);
 *   - capability MSRs: appendix A (IA32_VMX_BASIC A.1, IA32_VMX_MISC A.6,
 *     IA32_VMX_EPT_VPID_CAP A.10, IA32_VMX_VMFUNC A.11).
 * Constants only: the decoders live in vmx/vmx_caps.c, the MSR numbers in
 * arch/x86/msr.h.
 */
#ifndef KEEL_VMX_VMX_CONTROLS_H
#define KEEL_VMX_VMX_CONTROLS_H

/* ---- Pin-based VM-execution controls (SDM 25.6.1, table 25-5) ---------- */
#define PIN_BASED_EXTERNAL_INTERRUPT_EXITING    (1u << 0)
#define PIN_BASED_NMI_EXITING                   (1u << 3)
#define PIN_BASED_VIRTUAL_NMIS                  (1u << 5)
#define PIN_BASED_ACTIVATE_PREEMPTION_TIMER     (1u << 6)
#define PIN_BASED_PROCESS_POSTED_INTERRUPTS     (1u << 7)
/* Bits 1, 2 and 4 are reserved and default to 1 (SDM A.3.1). */
#define PIN_BASED_DEFAULT1                      0x00000016u

/* ---- Primary processor-based VM-execution controls (SDM 25.6.2, table 25-6) */
#define CPU_BASED_INTERRUPT_WINDOW_EXITING      (1u << 2)
#define CPU_BASED_USE_TSC_OFFSETTING            (1u << 3)
#define CPU_BASED_HLT_EXITING                   (1u << 7)
#define CPU_BASED_INVLPG_EXITING                (1u << 9)
#define CPU_BASED_MWAIT_EXITING                 (1u << 10)
#define CPU_BASED_RDPMC_EXITING                 (1u << 11)
#define CPU_BASED_RDTSC_EXITING                 (1u << 12)
#define CPU_BASED_CR3_LOAD_EXITING              (1u << 15)
#define CPU_BASED_CR3_STORE_EXITING             (1u << 16)
#define CPU_BASED_ACTIVATE_TERTIARY_CONTROLS    (1u << 17)
#define CPU_BASED_CR8_LOAD_EXITING              (1u << 19)
#define CPU_BASED_CR8_STORE_EXITING             (1u << 20)
#define CPU_BASED_USE_TPR_SHADOW                (1u << 21)
#define CPU_BASED_NMI_WINDOW_EXITING            (1u << 22)
#define CPU_BASED_MOV_DR_EXITING                (1u << 23)
#define CPU_BASED_UNCONDITIONAL_IO_EXITING      (1u << 24)
#define CPU_BASED_USE_IO_BITMAPS                (1u << 25)
#define CPU_BASED_MONITOR_TRAP_FLAG             (1u << 27)
#define CPU_BASED_USE_MSR_BITMAPS               (1u << 28)
#define CPU_BASED_MONITOR_EXITING               (1u << 29)
#define CPU_BASED_PAUSE_EXITING                 (1u << 30)
#define CPU_BASED_ACTIVATE_SECONDARY_CONTROLS   (1u << 31)
/* Bits 1, 4-6, 8, 13-16 and 26 default to 1 (SDM A.3.2). */
#define CPU_BASED_DEFAULT1                      0x0401e172u

/* ---- Secondary processor-based VM-execution controls (SDM 25.6.2, table 25-7) */
#define SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES         (1u << 0)
#define SECONDARY_EXEC_ENABLE_EPT                       (1u << 1)
#define SECONDARY_EXEC_DESCRIPTOR_TABLE_EXITING         (1u << 2)
#define SECONDARY_EXEC_ENABLE_RDTSCP                    (1u << 3)
#define SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE           (1u << 4)
#define SECONDARY_EXEC_ENABLE_VPID                      (1u << 5)
#define SECONDARY_EXEC_WBINVD_EXITING                   (1u << 6)
#define SECONDARY_EXEC_UNRESTRICTED_GUEST               (1u << 7)
#define SECONDARY_EXEC_APIC_REGISTER_VIRTUALIZATION     (1u << 8)
#define SECONDARY_EXEC_VIRTUAL_INTERRUPT_DELIVERY       (1u << 9)
#define SECONDARY_EXEC_PAUSE_LOOP_EXITING               (1u << 10)
#define SECONDARY_EXEC_RDRAND_EXITING                   (1u << 11)
#define SECONDARY_EXEC_ENABLE_INVPCID                   (1u << 12)
#define SECONDARY_EXEC_ENABLE_VM_FUNCTIONS              (1u << 13)
#define SECONDARY_EXEC_VMCS_SHADOWING                   (1u << 14)
#define SECONDARY_EXEC_ENABLE_ENCLS_EXITING             (1u << 15)
#define SECONDARY_EXEC_RDSEED_EXITING                   (1u << 16)
#define SECONDARY_EXEC_ENABLE_PML                       (1u << 17)
#define SECONDARY_EXEC_EPT_VIOLATION_VE                 (1u << 18)
#define SECONDARY_EXEC_CONCEAL_VMX_FROM_PT              (1u << 19)
#define SECONDARY_EXEC_ENABLE_XSAVES_XRSTORS            (1u << 20)
#define SECONDARY_EXEC_MODE_BASED_EXECUTE_CONTROL_EPT   (1u << 22)
#define SECONDARY_EXEC_SUB_PAGE_WRITE_PERMISSIONS_EPT   (1u << 23)
#define SECONDARY_EXEC_PT_USES_GUEST_PHYSICAL_ADDRESSES (1u << 24)
#define SECONDARY_EXEC_USE_TSC_SCALING                  (1u << 25)
#define SECONDARY_EXEC_ENABLE_USER_WAIT_AND_PAUSE       (1u << 26)
#define SECONDARY_EXEC_ENABLE_PCONFIG                   (1u << 27)
#define SECONDARY_EXEC_ENABLE_ENCLV_EXITING             (1u << 28)
#define SECONDARY_EXEC_VMM_BUS_LOCK_DETECTION           (1u << 30)
#define SECONDARY_EXEC_INSTRUCTION_TIMEOUT              (1u << 31)

/* ---- Tertiary processor-based VM-execution controls (SDM 25.6.2, table 25-8).
 * A 64-bit field; its capability MSR is IA32_VMX_PROCBASED_CTLS3 (492H),
 * which reports allowed 1-settings only. */
#define TERTIARY_EXEC_LOADIWKEY_EXITING                 (1ull << 0)
#define TERTIARY_EXEC_ENABLE_HLAT                       (1ull << 1)
#define TERTIARY_EXEC_EPT_PAGING_WRITE_CONTROL          (1ull << 2)
#define TERTIARY_EXEC_GUEST_PAGING_VERIFICATION         (1ull << 3)
#define TERTIARY_EXEC_IPI_VIRTUALIZATION                (1ull << 4)
#define TERTIARY_EXEC_VIRTUALIZE_IA32_SPEC_CTRL         (1ull << 7)

/* ---- VM-function controls (SDM 25.6.14) ------------------------------- */
#define VMX_VMFUNC_EPTP_SWITCHING                       (1ull << 0)

/* ---- VM-exit controls (SDM 25.7.1, table 25-13) ----------------------- */
#define VM_EXIT_SAVE_DEBUG_CONTROLS                     (1u << 2)
#define VM_EXIT_HOST_ADDRESS_SPACE_SIZE                 (1u << 9)
#define VM_EXIT_LOAD_IA32_PERF_GLOBAL_CTRL              (1u << 12)
#define VM_EXIT_ACKNOWLEDGE_INTERRUPT_ON_EXIT           (1u << 15)
#define VM_EXIT_SAVE_IA32_PAT                           (1u << 18)
#define VM_EXIT_LOAD_IA32_PAT                           (1u << 19)
#define VM_EXIT_SAVE_IA32_EFER                          (1u << 20)
#define VM_EXIT_LOAD_IA32_EFER                          (1u << 21)
#define VM_EXIT_SAVE_PREEMPTION_TIMER_VALUE             (1u << 22)
#define VM_EXIT_CLEAR_IA32_BNDCFGS                      (1u << 23)
#define VM_EXIT_CONCEAL_VMX_FROM_PT                     (1u << 24)
#define VM_EXIT_CLEAR_IA32_RTIT_CTL                     (1u << 25)
#define VM_EXIT_CLEAR_IA32_LBR_CTL                      (1u << 26)
#define VM_EXIT_CLEAR_UINV                              (1u << 27)
#define VM_EXIT_LOAD_CET_STATE                          (1u << 28)
#define VM_EXIT_LOAD_PKRS                               (1u << 29)
#define VM_EXIT_SAVE_IA32_PERF_GLOBAL_CTL               (1u << 30)
#define VM_EXIT_ACTIVATE_SECONDARY_CONTROLS             (1u << 31)
/* Bits 0-8, 10, 11, 13, 14, 16 and 17 default to 1 (SDM A.4). */
#define VM_EXIT_DEFAULT1                                0x00036dffu

/* ---- VM-entry controls (SDM 25.8.1, table 25-15) ---------------------- */
#define VM_ENTRY_LOAD_DEBUG_CONTROLS                    (1u << 2)
#define VM_ENTRY_IA32E_MODE_GUEST                       (1u << 9)
#define VM_ENTRY_ENTRY_TO_SMM                           (1u << 10)
#define VM_ENTRY_DEACTIVATE_DUAL_MONITOR_TREATMENT      (1u << 11)
#define VM_ENTRY_LOAD_IA32_PERF_GLOBAL_CTRL             (1u << 13)
#define VM_ENTRY_LOAD_IA32_PAT                          (1u << 14)
#define VM_ENTRY_LOAD_IA32_EFER                         (1u << 15)
#define VM_ENTRY_LOAD_IA32_BNDCFGS                      (1u << 16)
#define VM_ENTRY_CONCEAL_VMX_FROM_PT                    (1u << 17)
#define VM_ENTRY_LOAD_IA32_RTIT_CTL                     (1u << 18)
#define VM_ENTRY_LOAD_UINV                              (1u << 19)
#define VM_ENTRY_LOAD_CET_STATE                         (1u << 20)
#define VM_ENTRY_LOAD_GUEST_IA32_LBR_CTL                (1u << 21)
#define VM_ENTRY_LOAD_PKRS                              (1u << 22)
/* Bits 0-8 and 12 default to 1 (SDM A.5). */
#define VM_ENTRY_DEFAULT1                               0x000011ffu

/* ---- Control capability MSRs (SDM A.3-A.5) ----------------------------
 * Each IA32_VMX_*_CTLS MSR reports, for one 32-bit control field:
 *   bits 31:0  allowed 0-settings: a 1 here means the control must be 1;
 *   bits 63:32 allowed 1-settings: a 0 here means the control must be 0. */
#define VMX_CTLS_ALLOWED0_MASK                  0x00000000ffffffffull
#define VMX_CTLS_ALLOWED1_SHIFT                 32

/* ---- IA32_VMX_BASIC (SDM A.1) ------------------------------------------ */
#define VMX_BASIC_REVISION_ID_MASK              0x000000007fffffffull  /* 30:0 */
#define VMX_BASIC_REGION_SIZE_SHIFT             32                     /* 44:32 */
#define VMX_BASIC_REGION_SIZE_MASK              0x1fffull
#define VMX_BASIC_PHYS_ADDR_WIDTH_32            (1ull << 48)
#define VMX_BASIC_DUAL_MONITOR_SMM              (1ull << 49)
#define VMX_BASIC_MEMORY_TYPE_SHIFT             50                     /* 53:50 */
#define VMX_BASIC_MEMORY_TYPE_MASK              0xfull
#define VMX_BASIC_INS_OUTS_INFO                 (1ull << 54)
#define VMX_BASIC_TRUE_CTLS                     (1ull << 55)
#define VMX_BASIC_NO_HW_EXCEPTION_ERRCODE_CHECK (1ull << 56)
/* The largest VMXON/VMCS region a processor may ask for (SDM A.1). */
#define VMX_BASIC_REGION_SIZE_MAX               4096u

/* Memory types, as IA32_VMX_BASIC[53:50] and EPT entries encode them
 * (SDM A.1 and 11.3). */
#define VMX_MEMORY_TYPE_UC                      0u
#define VMX_MEMORY_TYPE_WB                      6u

/* ---- IA32_VMX_MISC (SDM A.6) ------------------------------------------- */
#define VMX_MISC_PREEMPTION_TIMER_RATE_MASK     0x1full     /* 4:0, TSC bit that ticks it */
#define VMX_MISC_STORE_EFER_LMA                 (1ull << 5)
#define VMX_MISC_ACTIVITY_HLT                   (1ull << 6)
#define VMX_MISC_ACTIVITY_SHUTDOWN              (1ull << 7)
#define VMX_MISC_ACTIVITY_WAIT_FOR_SIPI         (1ull << 8)
#define VMX_MISC_PT_IN_VMX                      (1ull << 14)
#define VMX_MISC_RDMSR_SMBASE_IN_SMM            (1ull << 15)
#define VMX_MISC_CR3_TARGET_COUNT_SHIFT         16          /* 24:16 */
#define VMX_MISC_CR3_TARGET_COUNT_MASK          0x1ffull
#define VMX_MISC_MAX_MSR_LIST_SHIFT             25          /* 27:25: 512 * (N + 1) */
#define VMX_MISC_MAX_MSR_LIST_MASK              0x7ull
#define VMX_MISC_SMM_MONITOR_CTL_BIT2           (1ull << 28)
#define VMX_MISC_VMWRITE_ANY_FIELD              (1ull << 29)
#define VMX_MISC_INJECT_ZERO_LENGTH_INSTRUCTION (1ull << 30)
#define VMX_MISC_MSEG_REVISION_SHIFT            32          /* 63:32 */

/* ---- IA32_VMX_EPT_VPID_CAP (SDM A.10) ----------------------------------- */
#define VMX_EPT_EXECUTE_ONLY                    (1ull << 0)
#define VMX_EPT_PAGE_WALK_4                     (1ull << 6)
#define VMX_EPT_PAGE_WALK_5                     (1ull << 7)
#define VMX_EPT_MEMORY_TYPE_UC                  (1ull << 8)
#define VMX_EPT_MEMORY_TYPE_WB                  (1ull << 14)
#define VMX_EPT_PDE_2MB                         (1ull << 16)
#define VMX_EPT_PDPTE_1GB                       (1ull << 17)
#define VMX_EPT_INVEPT                          (1ull << 20)
#define VMX_EPT_ACCESSED_DIRTY                  (1ull << 21)
#define VMX_EPT_ADVANCED_EXIT_INFO              (1ull << 22)
#define VMX_EPT_SUPERVISOR_SHADOW_STACK         (1ull << 23)
#define VMX_EPT_INVEPT_SINGLE_CONTEXT           (1ull << 25)
#define VMX_EPT_INVEPT_ALL_CONTEXT              (1ull << 26)
#define VMX_VPID_INVVPID                        (1ull << 32)
#define VMX_VPID_INVVPID_INDIVIDUAL_ADDRESS     (1ull << 40)
#define VMX_VPID_INVVPID_SINGLE_CONTEXT         (1ull << 41)
#define VMX_VPID_INVVPID_ALL_CONTEXT            (1ull << 42)
#define VMX_VPID_INVVPID_SINGLE_CONTEXT_GLOBALS (1ull << 43)  /* "retaining globals" */

#endif
