using System;
using OneC.NativeApi.Interop;
using OneC.NativeApi.Platform;

namespace OneC.NativeApi.Components;

/// <summary>
/// The base of every add-in object: dispatches the platform's calls through the object's
/// <see cref="ComponentTable"/>, turns every failure into AddError + false, and keeps the text of
/// the last error for ErrorDescription. Nothing thrown here ever reaches the platform.
/// </summary>
public abstract unsafe class AddInComponent : IDisposable
{
    private const ushort FailCode = 1006;

    private readonly UserLanguageSelector _language = new();
    private bool _disposed;

    // After Done the object is finished: the platform is gone and nothing may start again (a
    // server listening with no one to stop it). Calls fail quietly until DestroyObject.
    private volatile bool _done;

    protected AddInComponent(ComponentTable table, string errorSource)
    {
        Table = table;
        ErrorSource = errorSource;
    }

    public ComponentTable Table { get; }

    /// <summary>Shown by 1C as the source of our errors, e.g. "AddIn.WebSocket.Server".</summary>
    public string ErrorSource { get; }

    public MemoryManager? Memory { get; private set; }

    public PlatformConnection? Platform { get; private set; }

    public UserLanguage Language => _language.Current;

    /// <summary>The text of this object's last error, "" where there was none.</summary>
    public string LastError { get; private set; } = string.Empty;

    public void SetLastError(LocalizedText text) => LastError = text.In(Language);

    /// <summary>Raises a 1C exception with this text: records it for ErrorDescription and calls AddError(1006).</summary>
    public void ReportError(LocalizedText text)
    {
        SetLastError(text);
        Platform?.AddError(FailCode, ErrorSource, LastError);
    }

    public MemoryManager RequireMemory() => Memory ?? throw new AddInException(BridgeMessages.NoMemoryManager);

    internal void AttachPlatform(PlatformConnection platform) => Platform = platform;

    internal void AttachMemory(MemoryManager memory) => Memory = memory;

    internal void SetLocale(ReadOnlySpan<char> locale) => _language.SetLocale(locale);

    internal void SetInterfaceLanguage(ReadOnlySpan<char> code) => _language.SetInterfaceLanguageCode(code);

    internal bool CallMethod(int index, void* arguments, int count, void* result)
    {
        if (_done)
        {
            return false;
        }

        if ((uint)index >= (uint)Table.Methods.Count)
        {
            return false;
        }

        var method = Table.Methods[index];
        try
        {
            var call = new MethodCall(this, method, arguments, count, result);
            call.CheckCount();
            method.Handler(this, ref call);
            return true;
        }
        catch (Exception failure)
        {
            return Fail(failure);
        }
    }

    internal bool GetProperty(int index, void* value)
    {
        if (_done)
        {
            return false;
        }

        if ((uint)index >= (uint)Table.Properties.Count)
        {
            return false;
        }

        var property = Table.Properties[index];
        try
        {
            var access = new PropertyValue(this, property, new Variant(value));
            property.Getter(this, ref access);
            return true;
        }
        catch (Exception failure)
        {
            return Fail(failure);
        }
    }

    internal bool SetProperty(int index, void* value)
    {
        if (_done)
        {
            return false;
        }

        if ((uint)index >= (uint)Table.Properties.Count)
        {
            return false;
        }

        var property = Table.Properties[index];
        try
        {
            if (property.Setter is null)
            {
                throw new AddInException(BridgeMessages.PropertyReadOnly(property));
            }

            var access = new PropertyValue(this, property, new Variant(value));
            property.Setter(this, ref access);
            return true;
        }
        catch (Exception failure)
        {
            return Fail(failure);
        }
    }

    /// <summary>Reports a failed call: our own errors with their text, anything else as an internal error. Always false.</summary>
    private bool Fail(Exception failure)
    {
        ReportError(failure switch
        {
            AddInException known => known.Text,
            PlatformMemoryException refused => BridgeMessages.PlatformOutOfMemory(refused.Bytes),
            OutOfMemoryException => BridgeMessages.OutOfMemory,
            _ => BridgeMessages.Internal(failure),
        });
        return false;
    }

    /// <summary>Writes the declared default of an optional parameter; false where it has none.</summary>
    internal bool GetParameterDefault(int methodIndex, int parameterIndex, void* value)
    {
        if ((uint)methodIndex >= (uint)Table.Methods.Count)
        {
            return false;
        }

        var parameters = Table.Methods[methodIndex].Parameters;
        if ((uint)parameterIndex >= (uint)parameters.Count || parameters[parameterIndex].Default is not { } fallback)
        {
            return false;
        }

        var slot = new Variant(value);
        switch (fallback)
        {
            case DefaultValue.Text text when Memory is not null:
                slot.SetString(Memory, text.Value);
                return true;
            case DefaultValue.Number number:
                slot.SetNumber(Memory, number.Value);
                return true;
            case DefaultValue.Flag flag:
                slot.SetBoolean(Memory, flag.Value);
                return true;
            case DefaultValue.Undefined:
                slot.SetEmpty(Memory);
                return true;
            default:
                return false;
        }
    }

    /// <summary>The platform said Done: stop every background activity; the platform object is gone after this.</summary>
    internal void Done()
    {
        _done = true;
        ReleaseResources();
        Platform?.Disconnect();
    }

    /// <summary>Ends all background work of the object and frees what it holds. Must not throw; may be called twice.</summary>
    protected abstract void ReleaseResources();

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        ReleaseResources();
        Platform?.Disconnect();
        GC.SuppressFinalize(this);
    }
}
