using System.Collections;
using System.Reflection;

namespace Gateway.Core.Configuration;

/// <summary>
/// A key written with nothing after it (<c>domains:</c>, <c>limits:</c>, <c>lists:</c>) reads as null,
/// and a null where the options type promises a value crashed later with a NullReferenceException. After
/// loading, every property declared non-nullable that came out null gets its default back (an empty list,
/// a default options object); validation then says what is missing, with its line.
/// </summary>
internal static class EmptyKeys
{
    private static readonly Assembly Ours = typeof(EmptyKeys).Assembly;

    public static void Restore(object value) => Restore(value, new NullabilityInfoContext(), depth: 0);

    private static void Restore(object value, NullabilityInfoContext nullability, int depth)
    {
        if (depth > 16)
        {
            return;
        }

        switch (value)
        {
            case string:
                return;
            case IDictionary dictionary:
                RestoreEach(dictionary.Values, nullability, depth);
                return;
            case IEnumerable items:
                RestoreEach(items, nullability, depth);
                return;
        }

        if (value.GetType().Assembly != Ours)
        {
            return;
        }

        foreach (var property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (!property.CanRead || !property.CanWrite || property.GetIndexParameters().Length > 0 || property.PropertyType.IsValueType)
            {
                continue;
            }

            if (property.GetValue(value) is { } current)
            {
                Restore(current, nullability, depth + 1);
            }
            else if (nullability.Create(property).WriteState == NullabilityState.NotNull && property.PropertyType.GetConstructor(Type.EmptyTypes) is { } create)
            {
                property.SetValue(value, create.Invoke(null));
            }
        }
    }

    private static void RestoreEach(IEnumerable items, NullabilityInfoContext nullability, int depth)
    {
        foreach (var item in items)
        {
            if (item is not null && item.GetType().Assembly == Ours)
            {
                Restore(item, nullability, depth + 1);
            }
        }
    }
}
