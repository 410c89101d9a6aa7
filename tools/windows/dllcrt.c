/*
 * What MSVC's static runtime (vcruntime + the CRT start-up objects) would have put into the
 * add-in's DLL, for a cross-link on Linux with lld-link where those libraries do not exist.
 *
 * The NativeAOT runtime's .lib files were compiled by MSVC against its static start-up code:
 * after `/NODEFAULTLIB:libcmt.lib ...` exactly these symbols are left undefined, and nothing
 * else of libcmt/libvcruntime is wanted. Everything here is small on purpose; what can come
 * from a DLL that every Windows 10 / Server 2016 has does (the Universal CRT's
 * api-ms-win-crt-* for malloc/free and the atexit table, kernel32 for the cookie's entropy,
 * ntdll for memcpy & co. through ntdll-crt.def), so the DLL never needs vcruntime140.dll.
 *
 * Built by tools/windows/windows-cross.targets with
 *   clang --target=x86_64-pc-windows-msvc -ffreestanding -fasynchronous-unwind-tables ...
 * x64 only: the 32-bit runtime pack is not served here, and x86 would need other symbols
 * (_tls_used is __tls_used there, the safe-SEH table, __chkstk is _chkstk, ...).
 */
#include <stddef.h>
#include <stdint.h>

#if !defined(__x86_64__) || !defined(_WIN64)
#error "dllcrt.c is for x86_64-pc-windows-msvc"
#endif

/* ---- the few Windows declarations needed (no Windows SDK headers exist here) ---------------- */
typedef int BOOL;
typedef unsigned long DWORD; /* 4 bytes: LLP64 */
typedef void *HINSTANCE;
#define WINAPI __stdcall /* ignored on x64, kept for the reader */
#define DLL_PROCESS_DETACH 0
#define DLL_PROCESS_ATTACH 1
#define DLL_THREAD_ATTACH 2

__declspec(dllimport) void WINAPI GetSystemTimeAsFileTime(uint64_t *file_time);
__declspec(dllimport) DWORD WINAPI GetCurrentProcessId(void);
__declspec(dllimport) DWORD WINAPI GetCurrentThreadId(void);
__declspec(dllimport) BOOL WINAPI QueryPerformanceCounter(int64_t *count);

/* The Universal CRT (ucrt.lib -> api-ms-win-crt-heap / api-ms-win-crt-runtime). */
__declspec(dllimport) void *malloc(size_t size);
__declspec(dllimport) void free(void *block);
typedef int (*onexit_fn)(void);
typedef struct {
    onexit_fn *first, *last, *end; /* the UCRT's _onexit_table_t; it encodes these itself */
} onexit_table;
__declspec(dllimport) int _initialize_onexit_table(onexit_table *table);
__declspec(dllimport) int _register_onexit_function(onexit_table *table, onexit_fn function);
__declspec(dllimport) int _execute_onexit_table(onexit_table *table);

/* The NativeAOT runtime's own DllMain (dllmain.obj). It does nothing today: the runtime starts
 * on the first call of an export, through a callback that a C++ static initializer registers. */
BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, void *reserved);

/* ---- fail fast ---------------------------------------------------------------------------------
 * The CRT's reports of a smashed stack or a pure call end the process at once through
 * __fastfail (int 0x29, Windows 8 and later): nothing on a corrupted stack may run. */
#define FAST_FAIL_STACK_COOKIE_CHECK_FAILURE 2
#define FAST_FAIL_FATAL_APP_EXIT 7
#define FAST_FAIL_RANGE_CHECK_FAILURE 8

__attribute__((noreturn)) static void fail_fast(unsigned code) {
    __asm__ volatile("int $0x29" : : "c"(code) : "memory");
    __builtin_unreachable();
}

/* ---- start-up tables -----------------------------------------------------------------------
 * MSVC's compiler puts pointers to the initializers of every object file into .CRT$X??
 * sections; the linker sorts sections of one name by what follows the '$', so the A and Z
 * entries we place bracket every entry of the runtime's objects (.CRT$XCU, .CRT$XDU, .CRT$XLB
 * ...). The linker merges .CRT into .rdata (/MERGE:.CRT=.rdata): read-only after load.
 *   XI  C initializers, int (*)(void), non-zero = failure
 *   XC  C++ constructors of globals, void (*)(void)     (NativeAOT registers its start-up here)
 *   XD  constructors of thread_local variables, run per thread by __dyn_tls_init
 *   XL  TLS callbacks, called by the loader for every thread (IMAGE_TLS_DIRECTORY)
 * The terminator tables (XP, XT) are filled only by the CRT's own objects, which are not here:
 * C++ destructors of globals are registered with atexit() instead. */
typedef void (*void_fn)(void);
typedef int (*int_fn)(void);
typedef void (WINAPI *tls_callback)(void *instance, DWORD reason, void *reserved);

#define CRT_SECTION(name) __attribute__((section(name), used))
CRT_SECTION(".CRT$XIA") static const int_fn xi_a = 0;
CRT_SECTION(".CRT$XIZ") static const int_fn xi_z = 0;
CRT_SECTION(".CRT$XCA") static const void_fn xc_a = 0;
CRT_SECTION(".CRT$XCZ") static const void_fn xc_z = 0;
CRT_SECTION(".CRT$XDA") static const void_fn xd_a = 0;
CRT_SECTION(".CRT$XDZ") static const void_fn xd_z = 0;
CRT_SECTION(".CRT$XLA") static const tls_callback xl_a = 0;
CRT_SECTION(".CRT$XLZ") static const tls_callback xl_z = 0;

/* Walking from one object to another is beyond what C promises: hide the origin of the pointer
 * from the optimizer so that it cannot assume the range is empty. */
#define LAUNDER(p) ({ __typeof__(p) q_ = (p); __asm__("" : "+r"(q_)); q_; })

static void run_void(const void_fn *from, const void_fn *to) {
    for (const void_fn *p = LAUNDER(from) + 1; p < to; ++p)
        if (*p) (*p)();
}

/* ---- thread-local storage ----------------------------------------------------------------------
 * The loader finds implicit TLS through the TLS directory, which lld-link points at the symbol
 * _tls_used. Its template is the .tls section, bracketed by _tls_start (.tls, sorted first) and
 * _tls_end (.tls$ZZZ, sorted last) around the runtime's .tls$ data; the loader stores the
 * module's TLS slot in _tls_index, which compiled code reads on every thread_local access. */
typedef struct {
    uint64_t start_of_raw_data, end_of_raw_data, address_of_index, address_of_callbacks;
    uint32_t size_of_zero_fill, characteristics;
} tls_directory64;

__attribute__((section(".tls"), used)) char _tls_start = 0;
__attribute__((section(".tls$ZZZ"), used)) char _tls_end = 0;
DWORD _tls_index = 0;
__attribute__((used)) const tls_directory64 _tls_used = {
    (uint64_t)&_tls_start, (uint64_t)&_tls_end, (uint64_t)&_tls_index,
    (uint64_t)(&xl_a + 1), /* null-terminated by xl_z */
    0, 0,
};

/* thread_local variables with a dynamic initializer: MSVC-compiled code tests __tls_guard on each
 * access and calls __dyn_tls_on_demand_init while it is still false (threads that existed
 * before the DLL was loaded never get a TLS callback). __dyn_tls_init runs the XD
 * constructors once per thread; it is also the XL callback for threads started later. */
_Thread_local _Bool __tls_guard = 0;

void WINAPI __dyn_tls_init(void *instance, DWORD reason, void *reserved) {
    (void)instance, (void)reserved;
    if (reason != DLL_THREAD_ATTACH || __tls_guard) return;
    __tls_guard = 1; /* first, so that an initializer touching another thread_local does not recurse */
    run_void(&xd_a, &xd_z);
}

void __dyn_tls_on_demand_init(void) { __dyn_tls_init(0, DLL_THREAD_ATTACH, 0); }

/* The loader calls it for each new thread (DLL_THREAD_ATTACH); at DLL_PROCESS_ATTACH it is
 * ignored and _DllMainCRTStartup calls it after the C++ constructors, as MSVC's start-up does. */
CRT_SECTION(".CRT$XLC") static const tls_callback dyn_tls_init_callback = __dyn_tls_init;

/* ---- /GS stack cookies -------------------------------------------------------------------------
 * Every MSVC function with a local buffer stores __security_cookie ^ its frame in the prologue
 * and calls __security_check_cookie with the same value before it returns. With no load
 * configuration directory the loader does not set the cookie: init_security_cookie does,
 * before any other code of the module runs (the value must never change under a frame that
 * stored it). The initial value is MSVC's documented default, recognised to detect a missing
 * initialisation. */
#define DEFAULT_SECURITY_COOKIE 0x00002B992DDFA232ull
uintptr_t __security_cookie = DEFAULT_SECURITY_COOKIE;

/* __attribute__((no_stack_protector)) is implied by -fno-stack-protector on the command line. */
static void init_security_cookie(void) {
    /* No randomness API is safe to call under the loader lock, so mix what differs between
     * processes and runs (as MSVC does): time, ids, the performance counter, an ASLR'd stack
     * address. The top 16 bits are zeroed, as MSVC does on x64, so that a cookie can never be
     * a canonical user-mode pointer a copied string would end with. */
    uint64_t time = 0;
    int64_t counter = 0;
    GetSystemTimeAsFileTime(&time);
    QueryPerformanceCounter(&counter);
    uintptr_t cookie = (uintptr_t)time ^ ((uintptr_t)GetCurrentProcessId() << 32)
        ^ GetCurrentThreadId() ^ ((uintptr_t)counter << 32) ^ (uintptr_t)counter
        ^ (uintptr_t)&cookie;
    cookie &= 0x0000FFFFFFFFFFFFull;
    if (cookie == DEFAULT_SECURITY_COOKIE || cookie == 0) cookie = DEFAULT_SECURITY_COOKIE + 1;
    __security_cookie = cookie;
}

__attribute__((noreturn)) void __report_gsfailure(uintptr_t cookie) {
    (void)cookie;
    fail_fast(FAST_FAIL_STACK_COOKIE_CHECK_FAILURE);
}

/* Called from epilogues where the function's return value is already in RAX/XMM0: it must
 * touch nothing but RCX and the flags, so it is written in assembly. */
__asm__(
    ".text\n"
    ".globl __security_check_cookie\n"
    ".p2align 4\n"
    "__security_check_cookie:\n"
    "  cmpq __security_cookie(%rip), %rcx\n"
    "  jne 1f\n"
    "  retq\n"
    "1:\n"
    "  jmp __report_gsfailure\n");

/* Raised by MSVC's range checks of buffers (e.g. a string copy past its end). */
__attribute__((noreturn)) void __report_rangecheckfailure(void) {
    fail_fast(FAST_FAIL_RANGE_CHECK_FAILURE);
}

/* The language-specific handler that MSVC names in the unwind information of a function with a
 * cookie and no other exception handler: when an exception is dispatched or unwinds through
 * such a frame, the cookie is checked first, so that a smashed frame is never unwound.
 * Its handler data is the cookie's offset from the establisher frame (the low 3 bits are flags;
 * bit 2: the cookie lies in an aligned sub-frame, with the base offset and alignment
 * following), and the cookie was XORed with the frame register's value (RSP after the
 * prologue, or RBP = establisher frame + FrameOffset * 16 when the function has one).
 * Read off the prologues of the runtime's own objects: RhConfig.cpp.obj (plain), gcwks.cpp.obj
 * (RBP frame), zlib-ng's crc32_vpclmulqdq.c.obj (aligned: the only one of the 430 uses in the
 * runtime packs 10.0.12 with a flag set). */
typedef struct {
    uint32_t begin, end, unwind_info;
} runtime_function;
typedef struct {
    uint64_t control_pc, image_base;
    runtime_function *function_entry;
    uint64_t establisher_frame, target_ip;
    void *context_record, *language_handler, *handler_data;
    /* history table, scope index, ...: not read */
} dispatcher_context;
typedef struct {
    int32_t cookie_offset; /* low 3 bits: flags */
    int32_t aligned_base_offset;
    int32_t alignment;
} gs_handler_data;
#define GS_HAS_ALIGNMENT 4
#define EXCEPTION_CONTINUE_SEARCH 1 /* EXCEPTION_DISPOSITION ExceptionContinueSearch */

int __GSHandlerCheck(void *exception_record, void *establisher_frame, void *context, dispatcher_context *dispatcher) {
    (void)exception_record, (void)context;
    const gs_handler_data *data = dispatcher->handler_data;
    uintptr_t frame = (uintptr_t)establisher_frame;
    uintptr_t base = frame;
    if (data->cookie_offset & GS_HAS_ALIGNMENT)
        base = (frame + data->aligned_base_offset) & (uintptr_t)-(intptr_t)data->alignment;
    const uint8_t *unwind_info = (const uint8_t *)(dispatcher->image_base + dispatcher->function_entry->unwind_info);
    uintptr_t xor_with = frame;
    if ((unwind_info[3] & 0x0f) != 0)           /* FrameRegister */
        xor_with += (uintptr_t)(unwind_info[3] >> 4) * 16; /* FrameOffset, scaled */
    uintptr_t stored = *(const uintptr_t *)(base + (intptr_t)(data->cookie_offset & ~7));
    if ((stored ^ xor_with) != __security_cookie) __report_gsfailure(stored ^ xor_with);
    return EXCEPTION_CONTINUE_SEARCH;
}

/* ---- __chkstk ----------------------------------------------------------------------------------
 * A function whose frame exceeds a page calls __chkstk with the size in RAX before it moves
 * RSP: each page between the caller's RSP and the new bottom must be touched in order, so
 * that the stack's guard page grows it instead of the access faulting past it. It must keep
 * every register but R10, R11 and the flags (RAX is used by the caller right after). A leaf
 * that does not move RSP, so it needs no unwind information. */
__asm__(
    ".text\n"
    ".globl __chkstk\n"
    ".p2align 4\n"
    "__chkstk:\n"
    "  leaq 8(%rsp), %r10\n"   /* the caller's RSP, above our return address */
    "  movq %r10, %r11\n"
    "  subq %rax, %r11\n"      /* the new bottom of the stack */
    "  jae 1f\n"
    "  xorl %r11d, %r11d\n"    /* a size larger than the address: fault on the way down */
    "1:\n"
    "  subq $0x1000, %r10\n"
    "  cmpq %r11, %r10\n"
    "  jb 2f\n"
    "  testq %r10, (%r10)\n"  /* touch the next page down */
    "  jmp 1b\n"
    "2:\n"
    "  testq %r11, (%r11)\n"  /* and the bottom itself */
    "  retq\n");

/* ---- Control Flow Guard ------------------------------------------------------------------------
 * The runtime was compiled with /guard:cf: its indirect calls go through this pointer with the
 * target in RAX. The DLL is not linked with /guard:cf (no load configuration), so no loader
 * replaces it and it must simply jump to the target. Const: it lives in read-only memory, like
 * MSVC's (.00cfg). */
__asm__(
    ".text\n"
    ".p2align 4\n"
    "guard_dispatch_icall_nop:\n"
    "  jmpq *%rax\n");
extern char guard_dispatch_icall_nop[];
const void *const __guard_dispatch_icall_fptr = guard_dispatch_icall_nop;

/* ---- odds and ends -----------------------------------------------------------------------------*/
/* Any object that uses floating point references _fltused (once: "link the FP support"). */
int _fltused = 0x9875;

/* A call of a pure virtual function: a bug, end the process. */
__attribute__((noreturn)) void _purecall(void) { fail_fast(FAST_FAIL_FATAL_APP_EXIT); }

/* The runtime allocates only with the non-throwing forms of operator new (it is built without
 * C++ exceptions) and frees with these forms of delete. MSVC-mangled names, as C. */
struct nothrow_t { char unused; };
const struct nothrow_t std_nothrow __asm__("?nothrow@std@@3Unothrow_t@1@B") = {0};

void *new_nothrow(size_t size, const struct nothrow_t *tag) __asm__("??2@YAPEAX_KAEBUnothrow_t@std@@@Z");
void *new_array_nothrow(size_t size, const struct nothrow_t *tag) __asm__("??_U@YAPEAX_KAEBUnothrow_t@std@@@Z");
void delete_sized(void *block, size_t size) __asm__("??3@YAXPEAX_K@Z");
void delete_array(void *block) __asm__("??_V@YAXPEAX@Z");

/* new never returns the same pointer twice, even for 0 bytes. */
void *new_nothrow(size_t size, const struct nothrow_t *tag) { (void)tag; return malloc(size ? size : 1); }
void *new_array_nothrow(size_t size, const struct nothrow_t *tag) { (void)tag; return malloc(size ? size : 1); }
void delete_sized(void *block, size_t size) { (void)size; free(block); }
void delete_array(void *block) { free(block); }

/* ---- atexit and the entry point ----------------------------------------------------------------
 * In a DLL, atexit registers with the module's own table, run when the DLL is unloaded or the
 * process ends (DLL_PROCESS_DETACH). NativeAOT registers its process-exit handler and the C++
 * destructors of its globals here; it asks RtlDllShutdownInProgress itself whether the process
 * is ending. The UCRT keeps the table (growing, thread-safe): RhInitialize registers from
 * whichever thread first calls into the add-in. */
static onexit_table module_atexit_table;

int atexit(void_fn function) {
    return _register_onexit_function(&module_atexit_table, (onexit_fn)function) == 0 ? 0 : -1;
}

/* The attach that succeeded, so that a detach after a failed attach (the loader sends one
 * when attach returns FALSE) runs nothing. */
static _Bool attached;

/* lld-link's default entry point for /DLL. MSVC's order: cookie, C then C++ initializers,
 * the first thread's thread_local constructors, then DllMain; on detach DllMain first, then
 * the atexit table. */
BOOL WINAPI _DllMainCRTStartup(HINSTANCE instance, DWORD reason, void *reserved) {
    if (reason == DLL_PROCESS_ATTACH) {
        init_security_cookie();
        if (_initialize_onexit_table(&module_atexit_table) != 0) return 0;
        for (const int_fn *p = LAUNDER(&xi_a) + 1; p < &xi_z; ++p)
            if (*p && (*p)() != 0) return 0;
        run_void(&xc_a, &xc_z);
        __dyn_tls_init(instance, DLL_THREAD_ATTACH, reserved);
        if (!DllMain(instance, reason, reserved)) {
            _execute_onexit_table(&module_atexit_table);
            return 0;
        }
        attached = 1;
        return 1;
    }
    if (reason == DLL_PROCESS_DETACH && !attached) return 0;
    BOOL result = DllMain(instance, reason, reserved);
    if (reason == DLL_PROCESS_DETACH) {
        _execute_onexit_table(&module_atexit_table);
        attached = 0;
    }
    return result;
}
