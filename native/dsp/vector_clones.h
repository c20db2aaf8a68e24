// Hot per-sample and per-bin loops are compiled twice, for the x86-64-v3 level (AVX2: 8 floats a
// vector) and the baseline (SSE2: 4), and the loader picks the one the CPU runs: the addon ships
// from npm to machines of every age, so -march cannot be fixed at build time. The v3 clone fuses
// multiply-adds (GCC contracts them in C++ whatever -std says), so the two clones may differ in a
// float's last bit: nothing may depend on bit-exact float results across machines.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__)
#define PARLEY_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
// Read by the addon's vector_clone module, which tells which clone runs.
#define PARLEY_VECTOR_CLONES_BUILT 1
#else
#define PARLEY_VECTOR_CLONES
#endif
