// Umbrella header: the whole 1C Native API as the SDK declares it.
#ifndef ADDIN_ADDIN_H
#define ADDIN_ADDIN_H
#include "types.h"
#include "ComponentBase.h"
#include "AddInDefBase.h"
#include "IMemoryManager.h"
#endif
