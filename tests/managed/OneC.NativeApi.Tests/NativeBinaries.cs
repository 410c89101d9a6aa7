using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;

namespace OneC.NativeApi.Tests;

/// <summary>What the package test needs to know of a native library, read from its bytes (no binutils).</summary>
internal sealed record NativeBinary(string Format, string Machine, bool IsSharedLibrary, IReadOnlySet<string> Exports)
{
    public const string Elf = "ELF";
    public const string Pe = "PE";
    public const string MachO = "Mach-O";

    /// <summary>The package's arch value for a machine type: i386, x86_64 (or the raw machine number).</summary>
    public static NativeBinary Read(ReadOnlySpan<byte> file)
    {
        if (file.Length >= 4 && file[0] == 0x7f && file[1] == (byte)'E' && file[2] == (byte)'L' && file[3] == (byte)'F')
        {
            return ElfReader.Read(file);
        }

        if (file.Length >= 0x40 && file[0] == (byte)'M' && file[1] == (byte)'Z')
        {
            return PeReader.Read(file);
        }

        if (file.Length >= 4)
        {
            var magic = BinaryPrimitives.ReadUInt32BigEndian(file);
            if (magic is 0xcafebabe)
            {
                return new NativeBinary(MachO, "Universal", true, new HashSet<string>());
            }

            if (magic is 0xcffaedfe or 0xcefaedfe)
            {
                var cpu = BinaryPrimitives.ReadUInt32LittleEndian(file[4..]);
                return new NativeBinary(MachO, cpu switch { 0x01000007 => "x86_64", 7 => "i386", 0x0100000c => "arm64", _ => $"cpu {cpu:x}" }, true, new HashSet<string>());
            }
        }

        return new NativeBinary("unknown", "unknown", false, new HashSet<string>());
    }
}

/// <summary>ELF header and the defined global symbols of .dynsym (what dlsym can find).</summary>
internal static class ElfReader
{
    private const int ElfClass32 = 1;
    private const int ElfClass64 = 2;
    private const uint ShtDynsym = 11;
    private const uint ShtGnuVerdef = 0x6ffffffd;
    private const int ShnAbs = 0xfff1;

    public static NativeBinary Read(ReadOnlySpan<byte> f)
    {
        var elfClass = f[4];
        if (f[5] != 1)
        {
            throw new FormatException("big-endian ELF");
        }

        var is64 = elfClass == ElfClass64;
        if (!is64 && elfClass != ElfClass32)
        {
            throw new FormatException($"ELF class {elfClass}");
        }

        var type = U16(f, 16);
        var machine = U16(f, 18) switch
        {
            62 => "x86_64",
            3 => "i386",
            183 => "aarch64",
            var m => $"e_machine {m}",
        };
        var shoff = is64 ? (long)U64(f, 0x28) : U32(f, 0x20);
        var shentsize = U16(f, is64 ? 0x3a : 0x2e);
        var shnum = U16(f, is64 ? 0x3c : 0x30);

        // A version script's node names (e.g. V1.0) appear in .dynsym as absolute symbols: not functions.
        var versionNames = VersionDefinitions(f, is64, shoff, shentsize, shnum);
        var exports = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < shnum; i++)
        {
            var sh = (int)(shoff + (i * shentsize));
            if (U32(f, sh + 4) != ShtDynsym)
            {
                continue;
            }

            var offset = is64 ? (long)U64(f, sh + 24) : U32(f, sh + 16);
            var size = is64 ? (long)U64(f, sh + 32) : U32(f, sh + 20);
            var link = (int)U32(f, sh + (is64 ? 40 : 24));
            var entsize = is64 ? (long)U64(f, sh + 56) : U32(f, sh + 36);
            var strSh = (int)(shoff + (link * shentsize));
            var strOffset = is64 ? (long)U64(f, strSh + 24) : U32(f, strSh + 16);
            for (var sym = offset + entsize; sym < offset + size; sym += entsize)
            {
                var s = (int)sym;
                var name = U32(f, s);
                var info = is64 ? f[s + 4] : f[s + 12];
                var other = is64 ? f[s + 5] : f[s + 13];
                var shndx = is64 ? U16(f, s + 6) : U16(f, s + 14);
                var binding = info >> 4;
                var visibility = other & 3;
                if ((binding == 1 || binding == 2) && shndx != 0 && (visibility == 0 || visibility == 3))
                {
                    var symbol = CString(f, (int)(strOffset + name));
                    if (shndx != ShnAbs || !versionNames.Contains(symbol))
                    {
                        exports.Add(symbol);
                    }
                }
            }
        }

        if (shnum == 0)
        {
            throw new FormatException("ELF without section headers: cannot list .dynsym");
        }

        return new NativeBinary(NativeBinary.Elf, machine, type == 3, exports);
    }

    /// <summary>The names defined in .gnu.version_d (Elf_Verdef chain, first Elf_Verdaux of each).</summary>
    private static HashSet<string> VersionDefinitions(ReadOnlySpan<byte> f, bool is64, long shoff, int shentsize, int shnum)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < shnum; i++)
        {
            var sh = (int)(shoff + (i * shentsize));
            if (U32(f, sh + 4) != ShtGnuVerdef)
            {
                continue;
            }

            var offset = is64 ? (long)U64(f, sh + 24) : U32(f, sh + 16);
            var link = (int)U32(f, sh + (is64 ? 40 : 24));
            var strSh = (int)(shoff + (link * shentsize));
            var strOffset = is64 ? (long)U64(f, strSh + 24) : U32(f, strSh + 16);
            for (var at = (int)offset; ;)
            {
                var aux = at + (int)U32(f, at + 12);
                names.Add(CString(f, (int)(strOffset + U32(f, aux))));
                var next = U32(f, at + 16);
                if (next == 0)
                {
                    break;
                }

                at += (int)next;
            }
        }

        return names;
    }

    private static ushort U16(ReadOnlySpan<byte> f, int at) => BinaryPrimitives.ReadUInt16LittleEndian(f[at..]);

    private static uint U32(ReadOnlySpan<byte> f, int at) => BinaryPrimitives.ReadUInt32LittleEndian(f[at..]);

    private static ulong U64(ReadOnlySpan<byte> f, int at) => BinaryPrimitives.ReadUInt64LittleEndian(f[at..]);

    internal static string CString(ReadOnlySpan<byte> f, int at)
    {
        var end = f[at..].IndexOf((byte)0);
        return Encoding.ASCII.GetString(f.Slice(at, end));
    }
}

/// <summary>PE/COFF header and the names in the export directory (what GetProcAddress can find).</summary>
internal static class PeReader
{
    private const ushort ImageFileDll = 0x2000;

    public static NativeBinary Read(ReadOnlySpan<byte> f)
    {
        var pe = (int)U32(f, 0x3c);
        if (U32(f, pe) != 0x00004550)
        {
            throw new FormatException("MZ file without a PE signature");
        }

        var machine = U16(f, pe + 4) switch
        {
            0x8664 => "x86_64",
            0x14c => "i386",
            0xaa64 => "aarch64",
            var m => $"machine 0x{m:x}",
        };
        var sectionCount = U16(f, pe + 6);
        var optionalSize = U16(f, pe + 20);
        var characteristics = U16(f, pe + 22);
        var optional = pe + 24;
        var isPe32Plus = U16(f, optional) == 0x20b;
        var directories = optional + (isPe32Plus ? 112 : 96);
        var exportRva = U32(f, directories);
        var sections = optional + optionalSize;

        var exports = new HashSet<string>(StringComparer.Ordinal);
        if (exportRva != 0)
        {
            var directory = ToOffset(f, sections, sectionCount, exportRva);
            var nameCount = U32(f, directory + 24);
            var names = ToOffset(f, sections, sectionCount, U32(f, directory + 32));
            for (var i = 0; i < nameCount; i++)
            {
                exports.Add(ElfReader.CString(f, ToOffset(f, sections, sectionCount, U32(f, names + (i * 4)))));
            }
        }

        return new NativeBinary(NativeBinary.Pe, machine, (characteristics & ImageFileDll) != 0, exports);
    }

    /// <summary>The file offset of a relative virtual address, through the section table.</summary>
    private static int ToOffset(ReadOnlySpan<byte> f, int sections, int sectionCount, uint rva)
    {
        for (var i = 0; i < sectionCount; i++)
        {
            var s = sections + (i * 40);
            var virtualSize = U32(f, s + 8);
            var virtualAddress = U32(f, s + 12);
            var rawSize = U32(f, s + 16);
            var rawPointer = U32(f, s + 20);
            if (rva >= virtualAddress && rva < virtualAddress + Math.Max(virtualSize, rawSize))
            {
                return (int)(rva - virtualAddress + rawPointer);
            }
        }

        throw new FormatException($"RVA 0x{rva:x} is in no section");
    }

    private static ushort U16(ReadOnlySpan<byte> f, int at) => BinaryPrimitives.ReadUInt16LittleEndian(f[at..]);

    private static uint U32(ReadOnlySpan<byte> f, int at) => BinaryPrimitives.ReadUInt32LittleEndian(f[at..]);
}
