/*
 * memlayout.h - the guest kernel's physical and virtual memory map.
 *
 * Physical (guest RAM starts at 0, vmb_abi.h has the loader's addresses):
 *
 *   0x0000_1000  boot_info (vmbench loader)        \
 *   0x0000_2000  boot GDT (vmbench loader)          | only read at boot
 *   0x0001_0000  boot page tables (vmbench loader)  /
 *   0x0010_0000  kernel image: text, rodata (incl. embedded user programs),
 *                data, bss (boot stack, PVH page tables, process table)
 *   end          free pages, handed out by kalloc up to the RAM top
 *   0xC000_0000  null MMIO page (device, not RAM)
 *   0xFEE0_0000  xAPIC registers (only used when CPUID lacks x2APIC)
 *
 * Virtual (one layout in every address space; the bt engine needs every
 * address to have distinct low 32 bits, hence the two 2 GiB halves):
 *
 *   0x0000_0000_0000_0000  unmapped (null pointers fault)
 *   0x0000_0000_0040_0000  user program (ELF, linked at USER_BASE)
 *   0x0000_0000_1000_0000  mmap area, grows up (demand-zero)
 *   0x0000_0000_7FFF_F000  USER_STACK_TOP, stack grows down (demand-zero)
 *   0x0000_0000_8000_0000  USER_TOP: nothing user-visible at or above
 *   ...
 *   0xFFFF_FFFF_8000_0000  KERNBASE: direct map of RAM, VA = KERNBASE + PA,
 *                          2 MiB pages, up to DIRECT_MAP_MAX bytes
 *   0xFFFF_FFFF_FFE0_0000  DEVBASE: device window, 4 KiB uncached pages
 *
 * Invariant: every address space shares the kernel half (PML4 entry 511)
 * with kernel_pml4, so a CR3 switch never changes kernel mappings.
 */
#ifndef KERNEL_MEMLAYOUT_H
#define KERNEL_MEMLAYOUT_H

#include "vmb_abi.h"

#define PGSIZE 4096ull
#define HUGE_PGSIZE (2ull << 20)
#define PGROUNDUP(a) (((a) + PGSIZE - 1) & ~(PGSIZE - 1))
#define PGROUNDDOWN(a) ((a) & ~(PGSIZE - 1))

#define KERNBASE VMB_KERNEL_VBASE
#define DEVBASE 0xFFFFFFFFFFE00000ull
#define DIRECT_MAP_MAX (DEVBASE - KERNBASE) /* 2 GiB - 2 MiB of RAM */

/* Device window slots (one 4 KiB page each). */
#define DEV_MMIO_NULL (DEVBASE + 0x0000)
#define DEV_XAPIC (DEVBASE + 0x1000)
#define XAPIC_PHYS 0xFEE00000ull

#define USER_BASE 0x400000ull
#define USER_MMAP_BASE 0x10000000ull
#define USER_STACK_TOP 0x7FFFF000ull
#define USER_STACK_MAX (8ull << 20)
#define USER_TOP 0x80000000ull

#define P2V(pa) ((void *)((uint64_t)(pa) + KERNBASE))
#define V2P(va) ((uint64_t)(va) - KERNBASE)

#endif
