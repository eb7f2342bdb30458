/* winograd-f43.c — the row passes of Winograd F(4×4, 3×3) for AVX-512 CPUs, twins of
 * cnn_winograd_f43_input_rows and cnn_winograd_f43_output_row (kernels/winograd-f43.c).
 *
 * One vector holds one value of 16 tiles, and tile k's patch columns are input columns
 * 4k … 4k + 5: the compiler's vectorised loop gathers them element by element and, on the
 * rows of 14 or 7 tiles of 56×56 and 28×28 maps, runs mostly its scalar remainder. Here four
 * loads and eight two-source permutes split 64 input columns into their four phases (and the
 * output's four phases are interleaved back the same way); a row shorter than 16 tiles is a
 * masked store, and the input's padding columns are masked out of the loads (no padded copy).
 * A 64-channel 3×3 conv on 56×56, 1 thread, Zen 4: 1.34 -> 1.06 ms against the compiler's
 * loops; 0.91 -> 0.83 ms (best of 300) reading the plane with masks rather than copying padded
 * rows. Writing the output rows straight to Y with the epilogue on registers (saving
 * winograd.c's store pass) measured no faster (0.83 ms either way) and was left out.
 */
#include "kernels/winograd-f43.h"

#include "cpu.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include "avx512.h"

bool
cnn_winograd_f43_avx512_available (void)
{
  return cnn_cpu_has_avx512 ();
}

/* d B of one patch row for n tiles, the patches starting at column col0 of a w-wide row:
 * masked loads read only columns inside the row, the rest are the zero padding. */
AVX512 INLINE void
input_row (const float *row, int64_t w, int64_t col0, int64_t n, float *r, size_t ldr)
{
  const __m512i even = _mm512_setr_epi32 (0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26,
      28, 30);
  const __m512i odd = _mm512_setr_epi32 (1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27,
      29, 31);
  /* Lanes 1 … 15 of the first source, then lane 0 (or 1) of the second: the next tile's. */
  const __m512i next0 = _mm512_setr_epi32 (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
      16);
  const __m512i next1 = _mm512_setr_epi32 (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
      17);
  const __m512 four = _mm512_set1_ps (4.0f), five = _mm512_set1_ps (5.0f);
  const __m512 two = _mm512_set1_ps (2.0f);

  for (int64_t k = 0; k < n; k += 16) {
    int64_t c = col0 + 4 * k;
    __mmask16 mask = tail_mask (n - k);
    __m512 a[5];
    for (int j = 0; j < 5; j++)
      a[j] = _mm512_maskz_loadu_ps (lanes (-(c + 16 * j), w - (c + 16 * j)), row + c + 16 * j);
    __m512 t0 = _mm512_permutex2var_ps (a[0], even, a[1]);
    __m512 t1 = _mm512_permutex2var_ps (a[0], odd, a[1]);
    __m512 t2 = _mm512_permutex2var_ps (a[2], even, a[3]);
    __m512 t3 = _mm512_permutex2var_ps (a[2], odd, a[3]);
    /* d_j: column j of the 16 tiles' patch row. */
    __m512 d0 = _mm512_permutex2var_ps (t0, even, t2), d2 = _mm512_permutex2var_ps (t0, odd, t2);
    __m512 d1 = _mm512_permutex2var_ps (t1, even, t3), d3 = _mm512_permutex2var_ps (t1, odd, t3);
    __m512 d4 = _mm512_permutex2var_ps (d0, next0, a[4]);
    __m512 d5 = _mm512_permutex2var_ps (d1, next1, a[4]);

    __m512 p = _mm512_fnmadd_ps (four, d2, d4), q = _mm512_fnmadd_ps (four, d1, d3);
    __m512 e = _mm512_sub_ps (d4, d2), f = _mm512_mul_ps (two, _mm512_sub_ps (d3, d1));
    _mm512_mask_storeu_ps (r + k, mask,
        _mm512_add_ps (_mm512_fmsub_ps (four, d0, _mm512_mul_ps (five, d2)), d4));
    _mm512_mask_storeu_ps (r + ldr + k, mask, _mm512_add_ps (p, q));
    _mm512_mask_storeu_ps (r + 2 * ldr + k, mask, _mm512_sub_ps (p, q));
    _mm512_mask_storeu_ps (r + 3 * ldr + k, mask, _mm512_add_ps (e, f));
    _mm512_mask_storeu_ps (r + 4 * ldr + k, mask, _mm512_sub_ps (e, f));
    _mm512_mask_storeu_ps (r + 5 * ldr + k, mask,
        _mm512_add_ps (_mm512_fmsub_ps (four, d1, _mm512_mul_ps (five, d3)), d5));
  }
}

AVX512 void
cnn_winograd_f43_input_rows_avx512 (const float *plane, int64_t h, int64_t w, int64_t ih0,
    int64_t col0, int64_t n, float *r, size_t ldr, float *buf)
{
  (void) buf;
  for (int64_t ih = ih0; ih < ih0 + 6; ih++) {
    float *ri = r + (size_t) (6 * (ih - ih0)) * ldr;
    if (ih >= 0 && ih < h) {
      input_row (plane + ih * w, w, col0, n, ri, ldr);
      continue;
    }
    /* A row of padding: d B is zero. */
    for (int j = 0; j < 6; j++)
      for (int64_t k = 0; k < n; k += 16)
        _mm512_mask_storeu_ps (ri + (size_t) j * ldr + k, tail_mask (n - k),
            _mm512_setzero_ps ());
  }
}

AVX512 void
cnn_winograd_f43_output_row_avx512 (const float *s, size_t lds, int64_t n, float *y)
{
  /* Interleave the low (high) eight lanes of two vectors. */
  const __m512i lo = _mm512_setr_epi32 (0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7,
      23);
  const __m512i hi = _mm512_setr_epi32 (8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30,
      15, 31);
  const __m512 two = _mm512_set1_ps (2.0f), four = _mm512_set1_ps (4.0f);
  const __m512 eight = _mm512_set1_ps (8.0f);

  for (int64_t k = 0; k < n; k += 16) {
    __mmask16 mask = tail_mask (n - k);
    __m512 m0 = _mm512_maskz_loadu_ps (mask, s + k);
    __m512 m1 = _mm512_maskz_loadu_ps (mask, s + lds + k);
    __m512 m2 = _mm512_maskz_loadu_ps (mask, s + 2 * lds + k);
    __m512 m3 = _mm512_maskz_loadu_ps (mask, s + 3 * lds + k);
    __m512 m4 = _mm512_maskz_loadu_ps (mask, s + 4 * lds + k);
    __m512 m5 = _mm512_maskz_loadu_ps (mask, s + 5 * lds + k);
    __m512 a = _mm512_add_ps (m1, m2), b = _mm512_sub_ps (m1, m2);
    __m512 e = _mm512_add_ps (m3, m4), f = _mm512_sub_ps (m3, m4);
    __m512 o0 = _mm512_add_ps (_mm512_add_ps (m0, a), e);
    __m512 o1 = _mm512_fmadd_ps (two, f, b);
    __m512 o2 = _mm512_fmadd_ps (four, e, a);
    __m512 o3 = _mm512_add_ps (_mm512_fmadd_ps (eight, f, b), m5);
    /* y[4k + j] = o_j[k]: (o0, o2) and (o1, o3) interleaved, then the two pairs. */
    __m512 e02l = _mm512_permutex2var_ps (o0, lo, o2), e02h = _mm512_permutex2var_ps (o0, hi, o2);
    __m512 e13l = _mm512_permutex2var_ps (o1, lo, o3), e13h = _mm512_permutex2var_ps (o1, hi, o3);
    __m512 out[4] = {
      _mm512_permutex2var_ps (e02l, lo, e13l), _mm512_permutex2var_ps (e02l, hi, e13l),
      _mm512_permutex2var_ps (e02h, lo, e13h), _mm512_permutex2var_ps (e02h, hi, e13h),
    };
    int64_t left = 4 * (n - k);
    for (int v = 0; v < 4 && 16 * v < left; v++)
      _mm512_mask_storeu_ps (y + 4 * k + 16 * v, tail_mask (left - 16 * v), out[v]);
  }
}

#else /* not x86-64 */

bool
cnn_winograd_f43_avx512_available (void)
{
  return false;
}

void
cnn_winograd_f43_input_rows_avx512 (const float *plane, int64_t h, int64_t w, int64_t ih0,
    int64_t col0, int64_t n, float *r, size_t ldr, float *buf)
{
  cnn_winograd_f43_input_rows (plane, h, w, ih0, col0, n, r, ldr, buf);
}

void
cnn_winograd_f43_output_row_avx512 (const float *s, size_t lds, int64_t n, float *y)
{
  cnn_winograd_f43_output_row (s, lds, n, y);
}

#endif
