/* cpu.c — CPU feature checks (see cpu.h). */
#include "cpu.h"

bool
cnn_cpu_has_avx512 (void)
{
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init ();      /* needed if we run before the constructors */
  return __builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx512vl")
      && __builtin_cpu_supports ("avx512dq") && __builtin_cpu_supports ("avx512bw");
#else
  return false;
#endif
}
