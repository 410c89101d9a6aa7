<#
.SYNOPSIS
  Builds the Windows libraries of the add-in (NativeAOT, win-x64 and win-x86) and writes the 1C
  package dist/WebSocket.zip: MANIFEST.XML, INFO.XML and every library that exists, the Linux one
  included. The Windows counterpart of build.sh; see docs/windows-build.md.

.DESCRIPTION
  Runs on Windows PowerShell 5.1 and PowerShell 7+. Needs the .NET SDK (see global requirements in
  the README) and, for NativeAOT, the MSVC linker and Windows SDK: Visual Studio 2022 (or its Build
  Tools) with the "Desktop development with C++" workload, including "MSVC ... C++ x64/x86 build
  tools" (both architectures are linked by the same toolset).

  The package lists exactly the libraries it carries:
    Windows i386    WebSocket_x86.dll   <- <BuildDir>/win-x86/WebSocketAddIn.dll
    Windows x86_64  WebSocket_x64.dll   <- <BuildDir>/win-x64/WebSocketAddIn.dll
    Linux   x86_64  WebSocket_x64.so    <- -LinuxLibrary FILE, else <BuildDir>/linux-x64/WebSocketAddIn.so
  and a library this run does not find there is taken from the package being replaced (-Output),
  if it has one. build.sh on Linux writes a package with the Windows x64 and Linux libraries (it
  cannot build x86), so `build.ps1 -Runtime win-x86` on that package adds the 32-bit library and
  keeps the other two; a plain `build.ps1` replaces the Windows x64 library with its own.

.PARAMETER Runtime
  Which Windows runtimes to publish (default: win-x64, win-x86).

.PARAMETER LinuxLibrary
  A Linux x86_64 library (WebSocketAddIn.so from build.sh, or WebSocket_x64.so taken out of a
  Linux-built package) to put into the package next to the Windows ones.

.PARAMETER SkipBuild
  Do not publish: package the libraries already in BuildDir (and the Linux one, as above).

.PARAMETER BuildDir
  Where the libraries are published (default: build/native, as build.sh).

.PARAMETER Output
  The package to write (default: dist/WebSocket.zip). An existing file is replaced, after the
  libraries this run keeps from it (see above) have been read.

.EXAMPLE
  ./build.ps1
.EXAMPLE
  ./build.ps1 -Runtime win-x86      # dist/WebSocket.zip from build.sh + the 32-bit library
.EXAMPLE
  ./build.ps1 -LinuxLibrary \\buildhost\share\WebSocketAddIn.so
.EXAMPLE
  powershell -ExecutionPolicy Bypass -File build.ps1 -Runtime win-x64
#>
# Keep this file ASCII: Windows PowerShell 5.1 reads a script without a BOM in the ANSI code page.
[CmdletBinding()]
param(
    [ValidateSet('win-x64', 'win-x86')]
    [string[]] $Runtime = @('win-x64', 'win-x86'),
    [string] $LinuxLibrary,
    [switch] $SkipBuild,
    [string] $BuildDir,
    [string] $Output
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

$Root = $PSScriptRoot
$Bundle = 'WebSocket'
$BundleNamespace = 'http://v8.1c.ru/8.2/addin/bundle'
$RequiredExports = @('DestroyObject', 'GetAttachType', 'GetClassNames', 'GetClassObject', 'SetPlatformCapabilities')
# NativeAOT always exports this data symbol (for debuggers).
$AllowedExtraExports = @('DotNetRuntimeDebugHeader')

# [System.IO.*] resolves relative paths against the process's directory, not PowerShell's location.
function Get-FullPath([string] $Path) {
    $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path)
}

if ($BuildDir) { $BuildDir = Get-FullPath $BuildDir } else { $BuildDir = Join-Path $Root 'build/native' }
if ($Output) { $Output = Get-FullPath $Output } else { $Output = Join-Path $Root 'dist/WebSocket.zip' }
$Version = ([System.IO.File]::ReadAllText((Join-Path $Root 'VERSION'))).Trim()

Add-Type -AssemblyName System.IO.Compression
Add-Type -AssemblyName System.IO.Compression.FileSystem

# ---- what each runtime becomes in the package ---------------------------------------------------
$Targets = @{
    'win-x64' = @{ Os = 'Windows'; Arch = 'x86_64'; Name = 'WebSocket_x64.dll'; Machine = 0x8664 }
    'win-x86' = @{ Os = 'Windows'; Arch = 'i386'; Name = 'WebSocket_x86.dll'; Machine = 0x14c }
}

# Reads a PE file's machine type and export names (no dumpbin needed): the checks 1C would fail on
# otherwise only at run time (wrong architecture, decorated x86 names such as _GetClassObject@8).
function Get-PeExports([byte[]] $b, [string] $Path) {
    if ($b.Length -lt 0x40 -or $b[0] -ne 0x4d -or $b[1] -ne 0x5a) { throw "$Path is not a PE file" }
    $pe = [BitConverter]::ToInt32($b, 0x3c)
    if ([BitConverter]::ToUInt32($b, $pe) -ne 0x4550) { throw "$Path has no PE signature" }
    $machine = [BitConverter]::ToUInt16($b, $pe + 4)
    $sectionCount = [BitConverter]::ToUInt16($b, $pe + 6)
    $optionalSize = [BitConverter]::ToUInt16($b, $pe + 20)
    $characteristics = [BitConverter]::ToUInt16($b, $pe + 22)
    $optional = $pe + 24
    if ([BitConverter]::ToUInt16($b, $optional) -eq 0x20b) { $directories = $optional + 112 } else { $directories = $optional + 96 }
    $sections = $optional + $optionalSize
    $toOffset = {
        param([uint32] $rva)
        for ($i = 0; $i -lt $sectionCount; $i++) {
            $s = $sections + 40 * $i
            $virtualSize = [BitConverter]::ToUInt32($b, $s + 8)
            $virtualAddress = [BitConverter]::ToUInt32($b, $s + 12)
            $rawSize = [BitConverter]::ToUInt32($b, $s + 16)
            $rawPointer = [BitConverter]::ToUInt32($b, $s + 20)
            if ($rva -ge $virtualAddress -and $rva -lt $virtualAddress + [Math]::Max($virtualSize, $rawSize)) {
                return [int]($rva - $virtualAddress + $rawPointer)
            }
        }
        throw "${Path}: RVA $rva is in no section"
    }
    $names = New-Object System.Collections.Generic.List[string]
    $exportRva = [BitConverter]::ToUInt32($b, $directories)
    if ($exportRva -ne 0) {
        $directory = & $toOffset $exportRva
        $count = [BitConverter]::ToUInt32($b, $directory + 24)
        $table = & $toOffset ([BitConverter]::ToUInt32($b, $directory + 32))
        for ($i = 0; $i -lt $count; $i++) {
            $at = & $toOffset ([BitConverter]::ToUInt32($b, $table + 4 * $i))
            $end = [Array]::IndexOf($b, [byte]0, $at)
            $names.Add([System.Text.Encoding]::ASCII.GetString($b, $at, $end - $at))
        }
    }
    [pscustomobject]@{ Machine = [int]$machine; IsDll = (($characteristics -band 0x2000) -ne 0); Exports = @($names | Sort-Object) }
}

function Assert-WindowsLibrary([byte[]] $Bytes, [string] $Path, $Target) {
    $pe = Get-PeExports $Bytes $Path
    if ($pe.Machine -ne $Target.Machine) { throw ("{0}: machine 0x{1:x}, expected 0x{2:x} ({3})" -f $Path, $pe.Machine, $Target.Machine, $Target.Arch) }
    if (-not $pe.IsDll) { throw "${Path}: not a DLL" }
    $exports = @($pe.Exports | Where-Object { $AllowedExtraExports -notcontains $_ })
    if (($exports -join ',') -ne ($RequiredExports -join ',')) {
        throw "${Path}: exports [$($pe.Exports -join ', ')], expected exactly [$($RequiredExports -join ', ')] (+ DotNetRuntimeDebugHeader)"
    }
}

# ---- build -------------------------------------------------------------------------------------
if (-not $SkipBuild) {
    if ([System.Environment]::OSVersion.Platform -ne [System.PlatformID]::Win32NT) {
        throw 'NativeAOT cannot cross-compile to Windows: run build.ps1 on Windows (or use -SkipBuild to only package).'
    }
    if (-not (Get-Command dotnet -ErrorAction SilentlyContinue)) { throw 'dotnet (the .NET SDK) is not on PATH.' }
    foreach ($rid in $Runtime) {
        Write-Host "== publishing the native library (NativeAOT, $rid)"
        $dir = Join-Path $BuildDir $rid
        & dotnet publish (Join-Path $Root 'src/WebSocket.Native') -c Release -r $rid -o $dir "-p:Version=$Version" -nologo -v:q
        if ($LASTEXITCODE -ne 0) {
            throw "dotnet publish -r $rid failed ($LASTEXITCODE). NativeAOT needs Visual Studio 2022 or its Build Tools with the 'Desktop development with C++' workload (MSVC x64/x86 build tools + Windows SDK); see docs/windows-build.md."
        }
    }
}

# ---- collect the libraries ----------------------------------------------------------------------
# A library of the package being replaced (-Output), by its manifest entry: so that a run that
# builds only some libraries (e.g. -Runtime win-x86 on the package of build.sh, which carries
# the Windows x64 and Linux ones) keeps the others.
function Read-PackageLibrary([string] $Package, [string] $Os, [string] $Arch) {
    if (-not [System.IO.File]::Exists($Package)) { return $null }
    $zip = [System.IO.Compression.ZipFile]::OpenRead($Package)
    try {
        $manifestEntry = $zip.Entries | Where-Object { $_.FullName -ieq 'MANIFEST.XML' } | Select-Object -First 1
        if (-not $manifestEntry) { return $null }
        $reader = New-Object System.IO.StreamReader($manifestEntry.Open())
        try { [xml] $old = $reader.ReadToEnd() } finally { $reader.Dispose() }
        $ns = New-Object System.Xml.XmlNamespaceManager($old.NameTable)
        $ns.AddNamespace('b', $BundleNamespace)
        $component = $old.SelectSingleNode("/b:bundle/b:component[@os='$Os' and @arch='$Arch']", $ns)
        if (-not $component) { return $null }
        $name = $component.GetAttribute('path')
        $entry = $zip.Entries | Where-Object { $_.FullName -ieq $name } | Select-Object -First 1
        if (-not $entry) { return $null }
        $buffer = New-Object System.IO.MemoryStream
        $stream = $entry.Open()
        try { $stream.CopyTo($buffer) } finally { $stream.Dispose() }
        return [pscustomobject]@{ Bytes = $buffer.ToArray(); From = "$Package!$name" }
    } finally {
        $zip.Dispose()
    }
}

$entries = New-Object System.Collections.Generic.List[object]
foreach ($rid in @('win-x86', 'win-x64')) {
    $target = $Targets[$rid]
    $file = Join-Path (Join-Path $BuildDir $rid) 'WebSocketAddIn.dll'
    if ([System.IO.File]::Exists($file)) {
        $library = [pscustomobject]@{ Bytes = [System.IO.File]::ReadAllBytes($file); From = $file }
    } elseif ($Runtime -contains $rid -and -not $SkipBuild) {
        throw "$file was not produced"
    } else {
        # Not built by this run: keep the package's own (checked like a new one).
        $library = Read-PackageLibrary $Output $target.Os $target.Arch
        if (-not $library) { continue }
    }
    Assert-WindowsLibrary $library.Bytes $library.From $target
    $entries.Add([pscustomobject]@{ Os = $target.Os; Arch = $target.Arch; Name = $target.Name; Bytes = $library.Bytes; From = $library.From })
}
if ($entries.Count -eq 0) { throw "no Windows library in $BuildDir (win-x64/WebSocketAddIn.dll, win-x86/WebSocketAddIn.dll) nor in $Output" }

$linux = $null
if ($LinuxLibrary) {
    $path = Get-FullPath $LinuxLibrary
    if (-not [System.IO.File]::Exists($path)) { throw "-LinuxLibrary ${path}: no such file" }
    $linux = [pscustomobject]@{ Bytes = [System.IO.File]::ReadAllBytes($path); From = $path }
} elseif ([System.IO.File]::Exists((Join-Path $BuildDir 'linux-x64/WebSocketAddIn.so'))) {
    $path = Join-Path $BuildDir 'linux-x64/WebSocketAddIn.so'
    $linux = [pscustomobject]@{ Bytes = [System.IO.File]::ReadAllBytes($path); From = $path }
} else {
    # Keep the Linux library of the package being replaced (e.g. dist/WebSocket.zip from build.sh).
    $linux = Read-PackageLibrary $Output 'Linux' 'x86_64'
}
if ($linux) {
    $b = $linux.Bytes
    # ELF, 64-bit, little-endian, x86-64 (e_machine 62), shared object (e_type 3).
    if ($b.Length -lt 64 -or $b[0] -ne 0x7f -or $b[1] -ne 0x45 -or $b[2] -ne 0x4c -or $b[3] -ne 0x46 -or $b[4] -ne 2 -or
        [BitConverter]::ToUInt16($b, 16) -ne 3 -or [BitConverter]::ToUInt16($b, 18) -ne 62) {
        throw "$($linux.From) is not an ELF x86-64 shared library"
    }
    $entries.Add([pscustomobject]@{ Os = 'Linux'; Arch = 'x86_64'; Name = 'WebSocket_x64.so'; Bytes = $b; From = $linux.From })
} else {
    Write-Warning 'no Linux library (use -LinuxLibrary, or run ./build.sh first): the package is Windows-only'
}

# ---- write the package: byte for byte what tools/package/make-package.py writes -----------------
function ConvertTo-XmlAttribute([string] $Value) {
    '"' + $Value.Replace('&', '&amp;').Replace('<', '&lt;').Replace('>', '&gt;').Replace('"', '&quot;') + '"'
}

$manifest = New-Object System.Text.StringBuilder
[void] $manifest.Append("<?xml version=`"1.0`" encoding=`"UTF-8`"?>`n")
[void] $manifest.Append("<bundle xmlns=`"$BundleNamespace`" name=$(ConvertTo-XmlAttribute $Bundle)>`n")
foreach ($e in $entries) {
    [void] $manifest.Append("  <component os=$(ConvertTo-XmlAttribute $e.Os) path=$(ConvertTo-XmlAttribute $e.Name) type=`"native`" arch=$(ConvertTo-XmlAttribute $e.Arch)/>`n")
}
[void] $manifest.Append("</bundle>`n")
$info = "<?xml version=`"1.0`" encoding=`"UTF-8`"?>`n<drivers>`n" +
    "  <!-- License: MIT (the LICENSE file of the source repository) -->`n" +
    "  <component progid=`"AddIn.$Bundle`" name=`"WebSocket server and client`" version=$(ConvertTo-XmlAttribute $Version)/>`n" +
    "</drivers>`n"

$utf8 = New-Object System.Text.UTF8Encoding($false)
[void] [System.IO.Directory]::CreateDirectory([System.IO.Path]::GetDirectoryName($Output))
$temp = "$Output.tmp"
if ([System.IO.File]::Exists($temp)) { [System.IO.File]::Delete($temp) }
$zip = [System.IO.Compression.ZipFile]::Open($temp, [System.IO.Compression.ZipArchiveMode]::Create)
try {
    $files = New-Object System.Collections.Generic.List[object]
    $files.Add([pscustomobject]@{ Name = 'MANIFEST.XML'; Bytes = $utf8.GetBytes($manifest.ToString()) })
    $files.Add([pscustomobject]@{ Name = 'INFO.XML'; Bytes = $utf8.GetBytes($info) })
    $files.AddRange($entries)
    foreach ($f in $files) {
        $stream = $zip.CreateEntry($f.Name, [System.IO.Compression.CompressionLevel]::Optimal).Open()
        try { $stream.Write($f.Bytes, 0, $f.Bytes.Length) } finally { $stream.Dispose() }
    }
} finally {
    $zip.Dispose()
}
if ([System.IO.File]::Exists($Output)) { [System.IO.File]::Delete($Output) }
[System.IO.File]::Move($temp, $Output)

Write-Host "== $Output"
foreach ($e in $entries) { Write-Host ("  {0,-8} {1,-7} {2,-18} {3,10:N0} bytes  <- {4}" -f $e.Os, $e.Arch, $e.Name, $e.Bytes.Length, $e.From) }
