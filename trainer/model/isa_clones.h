// Run-time instruction-set dispatch for the loops the trainer binary runs itself (the
// optimizer, the gradient norm): GCC builds the function marked TRN_ISA_CLONES once
// per x86-64 level (AVX-512, AVX2, baseline) and picks one when the program loads
// (an ifunc on this CPU's cpuid), so one binary runs everywhere and uses what each
// node has. The layer kernels get the same through their compiled graphs
// (trainer/model/graph_isa.h). Plain functions elsewhere (clang, other machines).
//
// A marked function is called from inside the OpenMP region, never holds one: GCC
// outlines a parallel region's body into a function of its own, which the clones
// would not cover.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TRN_ISA_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define TRN_ISA_CLONES
#endif
