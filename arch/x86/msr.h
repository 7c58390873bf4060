/* Model-specific register numbers, named as the Intel SDM vol. 4 names them. */
#ifndef KEEL_ARCH_X86_MSR_H
#define KEEL_ARCH_X86_MSR_H

#include <stdint.h>

#define MSR_IA32_TIME_STAMP_COUNTER     0x00000010
#define MSR_IA32_APIC_BASE              0x0000001b
#define MSR_IA32_FEATURE_CONTROL        0x0000003a
#define MSR_IA32_TSC_ADJUST             0x0000003b
#define MSR_IA32_SYSENTER_CS            0x00000174
#define MSR_IA32_SYSENTER_ESP           0x00000175
#define MSR_IA32_SYSENTER_EIP           0x00000176
#define MSR_IA32_MTRRCAP                0x000000fe
#define MSR_IA32_MTRR_PHYSBASE0         0x00000200
#define MSR_IA32_MTRR_PHYSMASK0         0x00000201
#define MSR_IA32_MTRR_FIX64K_00000      0x00000250
#define MSR_IA32_MTRR_FIX16K_80000      0x00000258
#define MSR_IA32_MTRR_FIX16K_A0000      0x00000259
#define MSR_IA32_MTRR_FIX4K_C0000       0x00000268
#define MSR_IA32_MTRR_FIX4K_F8000       0x0000026f
#define MSR_IA32_PAT                    0x00000277
#define MSR_IA32_MTRR_DEF_TYPE          0x000002ff
#define MSR_IA32_DEBUGCTL               0x000001d9
#define MSR_IA32_MCG_CAP                0x00000179
#define MSR_IA32_MCG_STATUS             0x0000017a
#define MSR_IA32_MISC_ENABLE            0x000001a0

#define MSR_IA32_VMX_BASIC              0x00000480
#define MSR_IA32_VMX_PINBASED_CTLS      0x00000481
#define MSR_IA32_VMX_PROCBASED_CTLS     0x00000482
#define MSR_IA32_VMX_EXIT_CTLS          0x00000483
#define MSR_IA32_VMX_ENTRY_CTLS         0x00000484
#define MSR_IA32_VMX_MISC               0x00000485
#define MSR_IA32_VMX_CR0_FIXED0         0x00000486
#define MSR_IA32_VMX_CR0_FIXED1         0x00000487
#define MSR_IA32_VMX_CR4_FIXED0         0x00000488
#define MSR_IA32_VMX_CR4_FIXED1         0x00000489
#define MSR_IA32_VMX_VMCS_ENUM          0x0000048a
#define MSR_IA32_VMX_PROCBASED_CTLS2    0x0000048b
#define MSR_IA32_VMX_EPT_VPID_CAP       0x0000048c
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x0000048d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x0000048e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS     0x0000048f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS    0x00000490
#define MSR_IA32_VMX_VMFUNC             0x00000491

#define MSR_IA32_EFER                   0xc0000080
#define MSR_IA32_STAR                   0xc0000081
#define MSR_IA32_LSTAR                  0xc0000082
#define MSR_IA32_CSTAR                  0xc0000083
#define MSR_IA32_FMASK                  0xc0000084
#define MSR_IA32_FS_BASE                0xc0000100
#define MSR_IA32_GS_BASE                0xc0000101
#define MSR_IA32_KERNEL_GS_BASE         0xc0000102
#define MSR_IA32_TSC_AUX                0xc0000103

/* IA32_FEATURE_CONTROL bits (SDM vol. 3C 23.7 "Enabling and entering VMX operation"). */
#define FEATURE_CONTROL_LOCKED                  (UINT64_C(1) << 0)
#define FEATURE_CONTROL_VMXON_INSIDE_SMX        (UINT64_C(1) << 1)
#define FEATURE_CONTROL_VMXON_OUTSIDE_SMX       (UINT64_C(1) << 2)

/* IA32_EFER bits. */
#define EFER_SCE (UINT64_C(1) << 0)
#define EFER_LME (UINT64_C(1) << 8)
#define EFER_LMA (UINT64_C(1) << 10)
#define EFER_NXE (UINT64_C(1) << 11)

#endif
