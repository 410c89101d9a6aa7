using System;
using System.Collections.Generic;
using System.Linq;

namespace OneC.NativeApi.Components;

/// <summary>
/// Everything 1C can call on one kind of object: methods and properties, each with its English
/// (alias 0) and Russian (alias 1) name. Names match case-insensitively, Cyrillic included.
/// Every table also carries ErrorDescription / ОписаниеОшибки, which every object has.
/// </summary>
public sealed class ComponentTable
{
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _methodsByName;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _propertiesByName;

    public ComponentTable(string className, IEnumerable<MethodDefinition> methods, IEnumerable<PropertyDefinition> properties)
    {
        ClassName = className;
        Methods = [.. methods, ErrorDescriptionMethod];
        Properties = [.. properties];
        _methodsByName = IndexByName(Methods.Select(m => (IReadOnlyList<string>)[m.EnglishName, m.RussianName, .. m.ExtraNames])).GetAlternateLookup<ReadOnlySpan<char>>();
        _propertiesByName = IndexByName(Properties.Select(p => (IReadOnlyList<string>)[p.EnglishName, p.RussianName])).GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public string ClassName { get; }

    public IReadOnlyList<MethodDefinition> Methods { get; }

    public IReadOnlyList<PropertyDefinition> Properties { get; }

    private static MethodDefinition ErrorDescriptionMethod { get; } =
        Declare.Function<AddInComponent>("ErrorDescription", "ОписаниеОшибки", static (component, ref call) => call.ReturnString(component.LastError));

    public int FindMethod(ReadOnlySpan<char> name) => _methodsByName.TryGetValue(name, out var index) ? index : -1;

    public int FindProperty(ReadOnlySpan<char> name) => _propertiesByName.TryGetValue(name, out var index) ? index : -1;

    public static string NameByAlias(string english, string russian, int alias) => alias == 1 ? russian : english;

    private static Dictionary<string, int> IndexByName(IEnumerable<IReadOnlyList<string>> namesOfEach)
    {
        var index = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var position = 0;
        foreach (var names in namesOfEach)
        {
            foreach (var name in names)
            {
                // A duplicate name is a bug in a table: fail at start-up, not at a user's call.
                index.Add(name, position);
            }

            position++;
        }

        return index;
    }
}
