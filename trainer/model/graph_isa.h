// The instruction set the native graphs are compiled for: an x86-64 micro-architecture
// level of the x86-64 psABI (x86-64 = SSE2; -v2 adds SSE4.2 and POPCNT; -v3 AVX2, FMA
// and BMI2; -v4 AVX-512 F/BW/CD/DQ/VL), passed to the host compiler as -march and so
// part of every graph's cache key: a node never loads a graph built for features its
// CPU lacks, and nodes of one level share their graphs (compiled once across the
// cluster). A level rather than -march=native: two CPUs of the same level run the
// same graph, and -march=native would hide the difference in the key.
#pragma once

#include <string>

namespace trn::native {

// 1 to 4 on x86-64 (the highest level this CPU supports, from cpuid), 0 elsewhere.
int host_isa_level();
// "x86-64", "x86-64-v2", "x86-64-v3", "x86-64-v4" for 1 to 4; "" for 0 (no -march).
std::string isa_name(int level);
// The level the graphs are built for: the host's own, or the lower one `requested`
// names (TRN_NATIVE_ISA: hold the engine to AVX2 on an AVX-512 host, to compare).
// *isa is its isa_name; false with *error ("TRN_NATIVE_ISA = value: fix") when
// `requested` is not a level or is above the host's.
bool choose_graph_isa(int host_level, const std::string& requested, std::string* isa, std::string* error);
// choose_graph_isa(host_isa_level(), $TRN_NATIVE_ISA, ...).
bool graph_isa(std::string* isa, std::string* error);

}  // namespace trn::native
