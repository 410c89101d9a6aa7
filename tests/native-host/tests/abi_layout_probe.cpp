// Instantiates every Native API type so that clang's -fdump-record-layouts and
// -fdump-vtable-layouts print them (used by tools/dump-windows-layouts.sh linux).
#include "addin/addin.h"
#include "addin/empty_component.h"

using Impl = EmptyComponent;
int probe() {
    Impl i;
    tVariant v{};
    IPlatformInfo::AppInfo a{};
    return int(sizeof i + sizeof v + sizeof a) + (static_cast<IAddInDefBaseEx*>(nullptr) ? 1 : 0) +
           (static_cast<IMemoryManager*>(nullptr) ? 1 : 0);
}
