/* The Windows DLL's smallest sign of life, under Wine: load it as 1C does (LoadLibraryW), call
 * the Native API exports that need no platform objects, and end the process normally so that
 * DLL_PROCESS_DETACH runs the add-in's exit path too. Not a host: the full MSVC-layout host
 * that calls the components' methods is another stage's.
 *   wine-smoke.exe PATH\TO\WebSocket_x64.dll
 * Prints the class names; exit code 0 only if every step gave what the Native API says. */
#include <stdio.h>
#include <wchar.h>
#include <windows.h>

typedef const WCHAR *(*GetClassNamesFn)(void);
typedef long (*GetClassObjectFn)(const WCHAR *name, void **component);
typedef long (*DestroyObjectFn)(void **component);
typedef int (*SetPlatformCapabilitiesFn)(int capabilities);
typedef int (*GetAttachTypeFn)(void);

static int failures;

static void check(int ok, const char *what) {
    printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    if (!ok) failures++;
}

int wmain(int argc, wchar_t **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: wine-smoke.exe DLL\n");
        return 2;
    }
    HMODULE dll = LoadLibraryW(argv[1]);
    if (!dll) {
        printf("FAIL LoadLibraryW: error %lu\n", GetLastError());
        return 1;
    }
    GetClassNamesFn getClassNames = (GetClassNamesFn)(void *)GetProcAddress(dll, "GetClassNames");
    GetClassObjectFn getClassObject = (GetClassObjectFn)(void *)GetProcAddress(dll, "GetClassObject");
    DestroyObjectFn destroyObject = (DestroyObjectFn)(void *)GetProcAddress(dll, "DestroyObject");
    SetPlatformCapabilitiesFn setCapabilities = (SetPlatformCapabilitiesFn)(void *)GetProcAddress(dll, "SetPlatformCapabilities");
    GetAttachTypeFn getAttachType = (GetAttachTypeFn)(void *)GetProcAddress(dll, "GetAttachType");
    check(getClassNames && getClassObject && destroyObject && setCapabilities && getAttachType, "the five exports are found");
    if (failures) return 1;

    const WCHAR *names = getClassNames();
    printf("GetClassNames: %ls\n", names ? names : L"(null)");
    check(names && wcscmp(names, L"Server|Client") == 0, "GetClassNames is \"Server|Client\"");
    check(setCapabilities(3) == 3, "SetPlatformCapabilities(3) returns 3");
    int attach = getAttachType();
    check(attach >= 1 && attach <= 3, "GetAttachType is NotIsolated, Isolated or Any");

    void *server = NULL;
    check(getClassObject(L"Server", &server) != 0 && server != NULL, "GetClassObject(\"Server\") creates an object");
    void *none = NULL;
    check(getClassObject(L"NoSuchClass", &none) == 0 && none == NULL, "GetClassObject(\"NoSuchClass\") creates none");
    if (server) check(destroyObject(&server) == 0 && server == NULL, "DestroyObject releases it");
    fflush(stdout);
    return failures ? 1 : 0;
}
