// Peak arithmetic rate of one core for the instructions BERT's products run on: float32 FMA on 8 and 16 lanes
// (vfmadd231ps ymm/zmm), bfloat16 dot products (vdpbf16ps zmm, avx512_bf16) and float16 FMA (vfmadd231ph zmm,
// avx512_fp16), 12 independent accumulators each (more
// than latency x ports), so each figure is the issue rate the core sustains. Prints one JSON line.
//   gcc -O3 bench/isa_peak.c -o /tmp/isa_peak && taskset -c 0 /tmp/isa_peak
// Why: whether bfloat16 can be faster than float32 on a CPU is decided by these two rates, not by the flag alone.
// On a 2-core Intel Xeon (family 6, model 207, no AMX exposed, 2026-12-01) one core gave 173-175 GFLOP/s float32 zmm
// FMA and 84-86 GFLOP/s bfloat16 vdpbf16ps (24 accumulators: the same), so bfloat16 products there run at half the
// float32 rate. The same CPU, 2026-12-02: 166-168 float32 against 355 GFLOP/s float16 vfmadd231ph (32 lanes at the full
// float32 issue rate), but libtorch does not use that rate: its float16 linear ran at 231-248 against 242-264 GFLOP/s
// float32 on two threads (`--mode ops`, linear_h_i_fp16_ms), i.e. it widens to float32 inside.
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

#define N 50000000L
#define R(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

__attribute__((target("avx2,fma"))) static double fma256(float v) {
  __m256 a = _mm256_set1_ps(v), b = _mm256_set1_ps(v);
#define D(i) __m256 c##i = _mm256_set1_ps((float)i * v);
  R(D)
  double t = now();
  for (long n = 0; n < N; n++) {
#define F(i) c##i = _mm256_fmadd_ps(a, b, c##i);
    R(F)
    __asm__ volatile("" : "+x"(a));   // keeps the loop from being folded
  }
  t = now() - t;
  float s = 0;
#define S(i) s += _mm256_cvtss_f32(c##i);
  R(S)
  return s == 12345.f ? 0 : N * 12.0 * 8 * 2 / t / 1e9;
}

__attribute__((target("avx512f"))) static double fma512(float v) {
  __m512 a = _mm512_set1_ps(v), b = _mm512_set1_ps(v);
#define D5(i) __m512 c##i = _mm512_set1_ps((float)i * v);
  R(D5)
  double t = now();
  for (long n = 0; n < N; n++) {
#define F5(i) c##i = _mm512_fmadd_ps(a, b, c##i);
    R(F5)
    __asm__ volatile("" : "+v"(a));
  }
  t = now() - t;
  float s = 0;
#define S5(i) s += _mm512_reduce_add_ps(c##i);
  R(S5)
  return s == 12345.f ? 0 : N * 12.0 * 16 * 2 / t / 1e9;
}

__attribute__((target("avx512f,avx512bf16"))) static double dpbf16(float v) {
  __m512bh a = (__m512bh)_mm512_set1_epi16(0x3c00), b = (__m512bh)_mm512_set1_epi16(0x3c00);
  R(D5)
  double t = now();
  for (long n = 0; n < N; n++) {
#define B5(i) c##i = _mm512_dpbf16_ps(c##i, a, b);
    R(B5)
    __asm__ volatile("" : "+v"(a));
  }
  t = now() - t;
  float s = 0;
  R(S5)
  return s == 12345.f ? 0 : N * 12.0 * 32 * 2 / t / 1e9;   // 16 lanes x 2 products x (multiply + add)
}

__attribute__((target("avx512f,avx512fp16"))) static double fmaph(void) {
  __m512h a = _mm512_set1_ph((_Float16)1.0f), b = _mm512_set1_ph((_Float16)0.0f);
#define DH(i) __m512h c##i = _mm512_set1_ph((_Float16)(float)i);
  R(DH)
  double t = now();
  for (long n = 0; n < N; n++) {
#define FH(i) c##i = _mm512_fmadd_ph(a, b, c##i);
    R(FH)
    __asm__ volatile("" : "+v"(a));
  }
  t = now() - t;
  float s = 0;
#define SH(i) s += (float)_mm512_reduce_add_ph(c##i);
  R(SH)
  return s == 12345.f ? 0 : N * 12.0 * 32 * 2 / t / 1e9;   // 32 lanes x (multiply + add)
}

int main(void) {
  __builtin_cpu_init();
  float v = 1e-9f;
  printf("{\"fma_ymm_gflops\": %.1f", __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? fma256(v) : 0.0);
  printf(", \"fma_zmm_gflops\": %.1f", __builtin_cpu_supports("avx512f") ? fma512(v) : 0.0);
  printf(", \"dpbf16_zmm_gflops\": %.1f", __builtin_cpu_supports("avx512bf16") ? dpbf16(v) : 0.0);
  printf(", \"fmaph_zmm_gflops\": %.1f}\n", __builtin_cpu_supports("avx512fp16") ? fmaph() : 0.0);
  return 0;
}
