using System;
using System.Runtime.InteropServices;
using System.Threading;
using OneC.NativeApi.Abi;

namespace OneC.NativeApi.Platform;

/// <summary>
/// The platform object passed to Init (IAddInDefBase, or IAddInDefBaseEx with capabilities >= 1).
/// ExternalEvent may be called from background threads, so every use goes through a lock that
/// <see cref="Disconnect"/> takes too: after Done no thread can touch the platform's pointer.
/// </summary>
public sealed unsafe class PlatformConnection
{
    private const int PlatformInfoInterface = 1;

    private readonly Lock _gate = new();
    private void* _platform;

    public PlatformConnection(void* platform, bool hasExtendedInterface)
    {
        _platform = platform;
        ApplicationKind = hasExtendedInterface ? ReadApplicationKind(platform) : ApplicationKind.Unknown;
    }

    public ApplicationKind ApplicationKind { get; }

    public void Disconnect()
    {
        lock (_gate)
        {
            _platform = null;
        }
    }

    /// <summary>Raises a 1C error (code 1006 = fail) or message. Returns false when the platform is gone.</summary>
    public bool AddError(ushort code, string source, string description)
    {
        lock (_gate)
        {
            if (_platform == null)
            {
                return false;
            }

            var call = (delegate* unmanaged[Stdcall]<void*, ushort, char*, char*, CLong, byte>)Method(AddInDefMethod.AddError);
            fixed (char* sourceText = source)
            fixed (char* descriptionText = description)
            {
                return call(_platform, code, sourceText, descriptionText, new CLong(1)) != 0;
            }
        }
    }

    /// <summary>Posts ОбработкаВнешнегоСобытия(source, name, data). False when the platform's event queue is full or it is gone.</summary>
    public bool ExternalEvent(string source, string name, string data)
    {
        lock (_gate)
        {
            if (_platform == null)
            {
                return false;
            }

            var call = (delegate* unmanaged[Stdcall]<void*, char*, char*, char*, byte>)Method(AddInDefMethod.ExternalEvent);
            fixed (char* sourceText = source)
            fixed (char* nameText = name)
            fixed (char* dataText = data)
            {
                return call(_platform, sourceText, nameText, dataText) != 0;
            }
        }
    }

    public bool SetEventBufferDepth(int depth)
    {
        lock (_gate)
        {
            if (_platform == null)
            {
                return false;
            }

            var call = (delegate* unmanaged[Stdcall]<void*, CLong, byte>)Method(AddInDefMethod.SetEventBufferDepth);
            return call(_platform, new CLong(depth)) != 0;
        }
    }

    public int GetEventBufferDepth()
    {
        lock (_gate)
        {
            if (_platform == null)
            {
                return 0;
            }

            var call = (delegate* unmanaged[Stdcall]<void*, CLong>)Method(AddInDefMethod.GetEventBufferDepth);
            return (int)call(_platform).Value;
        }
    }

    private void* Method(AddInDefMethod method) => (*(void***)_platform)[AbiLayout.Current.Slot((int)method)];

    private static ApplicationKind ReadApplicationKind(void* platform)
    {
        var getInterface = (delegate* unmanaged[Stdcall]<void*, int, void*>)(*(void***)platform)[AbiLayout.Current.Slot((int)AddInDefMethod.GetInterface)];
        var info = getInterface(platform, PlatformInfoInterface);
        if (info == null)
        {
            return ApplicationKind.Unknown;
        }

        // IPlatformInfo has no destructor slot: GetPlatformInfo is slot 0.
        var getPlatformInfo = (delegate* unmanaged[Stdcall]<void*, void*>)(*(void***)info)[0];
        var appInfo = (byte*)getPlatformInfo(info);
        if (appInfo == null)
        {
            return ApplicationKind.Unknown;
        }

        // AppInfo { const WCHAR_T* AppVersion; const WCHAR_T* UserAgentInformation; int Application; }
        var kind = *(int*)(appInfo + (2 * IntPtr.Size));
        return Enum.IsDefined((ApplicationKind)kind) ? (ApplicationKind)kind : ApplicationKind.Unknown;
    }
}
