/*
 * Binds libm functions that glibc 2.29 re-versioned to their first (GLIBC_2.2.5) versions, so the
 * add-in loads on every glibc from 2.17 up (RHEL/CentOS 7, Astra Linux SE 1.7, Debian 10, Ubuntu 18.04).
 *
 * Linked against Debian 11's glibc, `log` and `pow` (from the NativeAOT runtime and from compiled
 * managed code) bind to log@@GLIBC_2.29 and pow@@GLIBC_2.29: the new implementations that stopped
 * going through the SVID error-handling wrapper. The old symbols are still exported by every newer
 * glibc as compatibility versions and compute the same values; they only differ in setting errno
 * through the old wrapper. Nothing in the add-in reads errno after a math call.
 *
 * How: the link wraps every reference with -Wl,--wrap=NAME (bullseye-sysroot.targets passes one per
 * function below, from the same list), so `log` becomes `__wrap_log`, defined here as a call to a
 * local alias that `.symver` binds to log@GLIBC_2.2.5. Only the functions glibc re-versioned at
 * 2.29 are listed; tests/compat/check-glibc-symbols.sh fails the build on anything newer than
 * GLIBC_2.17 and names the symbol, which is then added here and to GlibcCompatSymbol in the targets.
 */

#define GLIBC_COMPAT_UNARY(name)                                            \
    double glibc_compat_##name(double);                                     \
    __asm__(".symver glibc_compat_" #name "," #name "@GLIBC_2.2.5");        \
    double __wrap_##name(double x) { return glibc_compat_##name(x); }

#define GLIBC_COMPAT_BINARY(name)                                           \
    double glibc_compat_##name(double, double);                             \
    __asm__(".symver glibc_compat_" #name "," #name "@GLIBC_2.2.5");        \
    double __wrap_##name(double x, double y) { return glibc_compat_##name(x, y); }

GLIBC_COMPAT_UNARY(exp)
GLIBC_COMPAT_UNARY(exp2)
GLIBC_COMPAT_UNARY(log)
GLIBC_COMPAT_UNARY(log2)
GLIBC_COMPAT_BINARY(pow)
