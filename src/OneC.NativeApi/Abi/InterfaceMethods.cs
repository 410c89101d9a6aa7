namespace OneC.NativeApi.Abi;

// The order of the virtual methods in each interface of the 1C SDK headers, after the destructor
// slot(s). A vtable slot is AbiLayout.Slot(index). These numbers are the ABI: never reorder.

/// <summary>IInitDoneBase, the component's base #0.</summary>
public enum InitDoneMethod
{
    Init,
    SetMemManager,
    GetInfo,
    Done,
}

/// <summary>ILanguageExtenderBase, the component's base #1.</summary>
public enum LanguageExtenderMethod
{
    RegisterExtensionAs,
    GetNProps,
    FindProp,
    GetPropName,
    GetPropVal,
    SetPropVal,
    IsPropReadable,
    IsPropWritable,
    GetNMethods,
    FindMethod,
    GetMethodName,
    GetNParams,
    GetParamDefValue,
    HasRetVal,
    CallAsProc,
    CallAsFunc,
}

/// <summary>LocaleBase (base #2) and UserLanguageBase (base #3) have one method each.</summary>
public enum LocaleMethod
{
    SetLocale,
}

public enum UserLanguageMethod
{
    SetUserInterfaceLanguageCode,
}

/// <summary>IAddInDefBase and, after it, IAddInDefBaseEx's GetInterface: the platform object.</summary>
public enum AddInDefMethod
{
    AddError,
    Read,
    Write,
    RegisterProfileAs,
    SetEventBufferDepth,
    GetEventBufferDepth,
    ExternalEvent,
    CleanEventBuffer,
    SetStatusLine,
    ResetStatusLine,
    GetInterface,
}

/// <summary>IMemoryManager.</summary>
public enum MemoryManagerMethod
{
    AllocMemory,
    FreeMemory,
}
