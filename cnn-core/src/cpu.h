/* cpu.h — what this CPU can run, asked once. */
#ifndef CNN_CPU_H
#define CNN_CPU_H

#include <stdbool.h>

/* AVX-512 F, VL, DQ and BW: what our AVX-512 kernels and OpenBLAS's SkylakeX kernels use. */
bool cnn_cpu_has_avx512 (void);

/* AVX-512 as above plus AVX512_BF16 (vdpbf16ps): what the bf16 kernels use. */
bool cnn_cpu_has_avx512_bf16 (void);

#endif /* CNN_CPU_H */
