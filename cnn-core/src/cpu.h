/* cpu.h — what this CPU can run, asked once. */
#ifndef CNN_CPU_H
#define CNN_CPU_H

#include <stdbool.h>

/* AVX-512 F, VL, DQ and BW: what our AVX-512 kernels and OpenBLAS's SkylakeX kernels use. */
bool cnn_cpu_has_avx512 (void);

#endif /* CNN_CPU_H */
