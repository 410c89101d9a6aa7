namespace OneC.NativeApi.Platform;

/// <summary>Where 1C runs the add-in (IPlatformInfo's AppType).</summary>
public enum ApplicationKind
{
    Unknown = -1,
    ThinClient = 0,
    ThickClient = 1,
    WebClient = 2,
    Server = 3,
    ExternalConnection = 4,
    MobileClient = 5,
    MobileServer = 6,
}
