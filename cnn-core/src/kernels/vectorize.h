/* vectorize.h — how hot loops are compiled.
 *
 * Loops marked CNN_VECTORIZE are compiled for AVX-512, AVX2+FMA and baseline x86-64, picked at
 * load time (the build itself targets baseline x86-64 so the library runs on any machine). GCC
 * only: clang 14 cannot link calls to a target_clones function from another file (the fuzz
 * build uses clang, and gets the baseline loops).
 */
#ifndef CNN_VECTORIZE_H
#define CNN_VECTORIZE_H

#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__)
#define CNN_VECTORIZE \
  __attribute__ ((target_clones ("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CNN_VECTORIZE
#endif

#endif /* CNN_VECTORIZE_H */
