/*
 * wscommon.h - the small pieces bench/tools' clients share with ../shared/bench/wsload.c's design:
 * monotonic time, SHA-1 + base64 for the handshake's Sec-WebSocket-Accept check, the same
 * log-linear latency histogram (<= 0.8% relative error) and /proc readers for the server's
 * CPU time and RSS. Header-only, libc only.
 */
#ifndef BENCH_WSCOMMON_H
#define BENCH_WSCOMMON_H
#pragma GCC diagnostic ignored "-Wunused-function"
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static inline uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static inline uint64_t rng_next(void) {
    uint64_t x = rng_state;
    x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1Dull;
}
static inline void rng_seed(void) {
    if (getrandom(&rng_state, sizeof rng_state, 0) != (ssize_t)sizeof rng_state) rng_state = (uint64_t)now_ns();
    rng_state |= 1;
}

/* ---- SHA-1 and base64, just enough for the handshake ---- */
typedef struct { uint32_t h[5]; uint64_t len; uint8_t buf[64]; size_t blen; } sha1_ctx;
static inline uint32_t rol32(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }
static void sha1_block(sha1_ctx *c, const uint8_t *p) {
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 80; i++) w[i] = rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3], e = c->h[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) { f = (b & cc) | (~b & d); k = 0x5A827999; }
        else if (i < 40) { f = b ^ cc ^ d; k = 0x6ED9EBA1; }
        else if (i < 60) { f = (b & cc) | (b & d) | (cc & d); k = 0x8F1BBCDC; }
        else { f = b ^ cc ^ d; k = 0xCA62C1D6; }
        uint32_t t = rol32(a, 5) + f + e + k + w[i];
        e = d; d = cc; cc = rol32(b, 30); b = a; a = t;
    }
    c->h[0] += a; c->h[1] += b; c->h[2] += cc; c->h[3] += d; c->h[4] += e;
}
static void sha1(const void *data, size_t n, uint8_t out[20]) {
    sha1_ctx c = {{0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0}, 0, {0}, 0};
    const uint8_t *p = data;
    c.len = n;
    for (; n >= 64; n -= 64, p += 64) sha1_block(&c, p);
    uint8_t last[128] = {0};
    memcpy(last, p, n);
    last[n] = 0x80;
    size_t total = n + 1 + 8 <= 64 ? 64 : 128;
    uint64_t bits = c.len * 8;
    for (int i = 0; i < 8; i++) last[total - 1 - i] = (uint8_t)(bits >> (8 * i));
    sha1_block(&c, last);
    if (total == 128) sha1_block(&c, last + 64);
    for (int i = 0; i < 5; i++) {
        out[4 * i] = (uint8_t)(c.h[i] >> 24); out[4 * i + 1] = (uint8_t)(c.h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(c.h[i] >> 8); out[4 * i + 3] = (uint8_t)c.h[i];
    }
}
static size_t b64enc(const uint8_t *in, size_t n, char *out) {
    static const char T[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = T[v >> 18]; out[o++] = T[(v >> 12) & 63]; out[o++] = T[(v >> 6) & 63]; out[o++] = T[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = T[v >> 18]; out[o++] = T[(v >> 12) & 63]; out[o++] = '='; out[o++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = T[v >> 18]; out[o++] = T[(v >> 12) & 63]; out[o++] = T[(v >> 6) & 63]; out[o++] = '=';
    }
    out[o] = 0;
    return o;
}
/* a fresh Sec-WebSocket-Key and the Sec-WebSocket-Accept the server must answer with */
static void ws_new_key(char key[32], char accept[32]) {
    uint8_t raw[16], d[20];
    for (int i = 0; i < 16; i++) raw[i] = (uint8_t)rng_next();
    b64enc(raw, 16, key);
    char buf[96];
    snprintf(buf, sizeof buf, "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
    sha1(buf, strlen(buf), d);
    b64enc(d, 20, accept);
}

/* ---- latency histogram (the same buckets as wsload) ---- */
#define HSUB 128
#define HBUCKETS (256 + 56 * HSUB)
typedef struct { uint64_t b[HBUCKETS]; uint64_t count, max, sum; } hist_t;
static inline int hidx(uint64_t v) {
    if (v < 256) return (int)v;
    int e = 63 - __builtin_clzll(v);
    return 256 + (e - 8) * HSUB + (int)((v >> (e - 7)) & (HSUB - 1));
}
static uint64_t hval(int i) {
    if (i < 256) return (uint64_t)i;
    int e = (i - 256) / HSUB + 8;
    uint64_t sub = (uint64_t)((i - 256) % HSUB);
    uint64_t lo = (HSUB + sub) << (e - 7), w = 1ull << (e - 7);
    return lo + w / 2;
}
static inline void hist_add(hist_t *h, uint64_t v) {
    h->b[hidx(v)]++; h->count++; h->sum += v;
    if (v > h->max) h->max = v;
}
static uint64_t hist_pct(const hist_t *h, double q) {
    if (!h->count) return 0;
    uint64_t target = (uint64_t)ceil(q * (double)h->count), acc = 0;
    if (target < 1) target = 1;
    for (int i = 0; i < HBUCKETS; i++) {
        acc += h->b[i];
        if (acc >= target) { uint64_t v = hval(i); return v > h->max ? h->max : v; }
    }
    return h->max;
}

/* ---- /proc ---- */
static long read_rss_kb(int pid) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) { kb = strtol(line + 6, NULL, 10); break; }
    fclose(f);
    return kb;
}
static double read_cpu_s(int pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p) return -1;
    unsigned long ut = 0, stt = 0;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &stt) != 2) return -1;
    return (double)(ut + stt) / (double)sysconf(_SC_CLK_TCK);
}
static double self_cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}
/* machine-wide busy CPU seconds (all cores, all but idle and iowait) from /proc/stat */
static double sys_irq_s; /* irq + softirq seconds at the last sys_busy_s(): loopback TCP work lands there */
static double sys_busy_s(void) {
    unsigned long long v[8] = {0};
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return -1;
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    if (n < 5) return -1;
    sys_irq_s = (double)(v[5] + v[6]) / (double)sysconf(_SC_CLK_TCK);
    return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)sysconf(_SC_CLK_TCK);
}
static double load1(void) {
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) { if (fscanf(f, "%lf", &l) != 1) l = -1; fclose(f); }
    return l;
}
static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}
#endif
