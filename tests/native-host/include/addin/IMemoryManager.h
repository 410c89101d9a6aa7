// 1C:Enterprise Native API — the platform's memory manager (IMemoryManager.h, re-declared).
#ifndef ADDIN_IMEMORYMANAGER_H
#define ADDIN_IMEMORYMANAGER_H

#include "types.h"

class IMemoryManager {
public:
    ADDIN_VIRTUAL_DESTRUCTOR(IMemoryManager)
    /// Allocates ulCountByte bytes into *pMemory; false on failure.
    virtual bool ADDIN_API AllocMemory(void** pMemory, unsigned long ulCountByte) = 0;
    /// Frees *pMemory (allocated by AllocMemory) and sets it to null.
    virtual void ADDIN_API FreeMemory(void** pMemory) = 0;
};

#endif  // ADDIN_IMEMORYMANAGER_H
