/* cpu.c — CPU feature checks (see cpu.h) and the public cnn_cpu_description. */
#include "cpu.h"

#include "cnn/cnn.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#endif

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

bool
cnn_cpu_has_avx512_bf16 (void)
{
#if defined(__x86_64__) && defined(__GNUC__)
  unsigned a, b, c, d;
  /* Leaf 7 sub-leaf 1, EAX bit 5: AVX512_BF16 (GCC 12's __builtin_cpu_supports lacks it). */
  return cnn_cpu_has_avx512 () && __get_cpuid_count (7, 1, &a, &b, &c, &d) && (a & (1u << 5));
#else
  return false;
#endif
}

static char cpu_text[160];
static pthread_once_t cpu_once = PTHREAD_ONCE_INIT;

/* "AMD EPYC (family 25 model 17: Zen 4), AVX-512, AVX512_BF16": the brand string alone says
 * little in a VM, so the family and model are kept, and AMD's are named. */
static void
cpu_describe (void)
{
#if defined(__x86_64__) && defined(__GNUC__)
  unsigned regs[12] = { 0 }, a = 0, b = 0, c = 0, d = 0;
  char brand[49] = "";
  const char *zen = "";

  if (__get_cpuid_max (0x80000000u, NULL) >= 0x80000004u) {
    for (unsigned i = 0; i < 3; i++)
      __get_cpuid (0x80000002u + i, &regs[4 * i], &regs[4 * i + 1], &regs[4 * i + 2],
          &regs[4 * i + 3]);
    memcpy (brand, regs, 48);
  }
  char *s = brand;
  while (*s == ' ')
    s++;
  for (size_t n = strlen (s); n > 0 && s[n - 1] == ' '; n--)
    s[n - 1] = '\0';
  __get_cpuid (1, &a, &b, &c, &d);
  unsigned family = (a >> 8) & 0xf, model = (a >> 4) & 0xf;
  if (family == 0xf)
    family += (a >> 20) & 0xff;
  if (family >= 6)
    model |= ((a >> 16) & 0xf) << 4;
  __get_cpuid (0, &a, &b, &c, &d);
  if (b == 0x68747541u)         /* "Auth"enticAMD */
    zen = family == 0x17 ? ": Zen 1/2" : family == 0x19 ? (cnn_cpu_has_avx512 () ? ": Zen 4"
        : ": Zen 3") : family == 0x1a ? ": Zen 5" : "";
  snprintf (cpu_text, sizeof cpu_text, "%s (family %u model %u%s)%s%s", *s ? s : "x86-64",
      family, model, zen, cnn_cpu_has_avx512 () ? ", AVX-512" : ", no AVX-512",
      cnn_cpu_has_avx512_bf16 () ? ", AVX512_BF16" : "");
#else
  snprintf (cpu_text, sizeof cpu_text, "not x86-64: portable kernels");
#endif
}

const char *
cnn_cpu_description (void)
{
  pthread_once (&cpu_once, cpu_describe);
  return cpu_text;
}
