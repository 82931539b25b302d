using System.Security.Cryptography;

namespace Gateway.Tests.Shared;

/// <summary>
/// Inputs that broke a fuzz property, saved to tests/fuzz/findings/KIND/ (ignored by git) as the fuzzer
/// shrinks them, so the smallest can be moved into the regression corpus tests/fuzz/KIND/ that CI runs.
/// </summary>
internal static class FuzzFindings
{
    public static void Keep(string kind, string extension, byte[] input, Action property)
    {
        try
        {
            property();
        }
        catch
        {
            Save(kind, extension, input);
            throw;
        }
    }

    public static async Task KeepAsync(string kind, string extension, byte[] input, Func<Task> property)
    {
        try
        {
            await property();
        }
        catch
        {
            Save(kind, extension, input);
            throw;
        }
    }

    private static void Save(string kind, string extension, byte[] input)
    {
        var folder = Path.Combine(RepositoryRoot.Path, "tests", "fuzz", "findings", kind);
        Directory.CreateDirectory(folder);
        var name = $"{input.Length:D8}-{Convert.ToHexStringLower(SHA256.HashData(input))[..12]}{extension}";
        File.WriteAllBytes(Path.Combine(folder, name), input);
    }
}
