namespace Gateway.Tests.Shared;

/// <summary>
/// Tests that read ../shared (the corpora and the conformance suites, beside the clone and not in it) skip
/// with one line saying what is missing, so a fresh clone's test command passes; CI sets
/// GATEWAY_REQUIRE_SHARED=1 and there a missing folder fails the test instead, so nothing is skipped unseen.
/// </summary>
internal static class SharedData
{
    public const string RequireVariable = "GATEWAY_REQUIRE_SHARED";

    /// <summary>Whether ../shared/<paramref name="relative"/> is there.</summary>
    public static bool Has(string relative) => Directory.Exists(Path.Combine(RepositoryRoot.Shared, relative)) || File.Exists(Path.Combine(RepositoryRoot.Shared, relative));

    /// <summary>Skips the test (fails it under GATEWAY_REQUIRE_SHARED=1) unless every folder or file is there.</summary>
    public static void Require(params string[] relative)
    {
        var missing = relative.FirstOrDefault(path => !Has(path));
        if (missing is null)
        {
            return;
        }

        var what = $"needs ../shared/{missing} (the corpora and conformance suites beside the clone)";
        if (Environment.GetEnvironmentVariable(RequireVariable) == "1")
        {
            throw new InvalidOperationException($"{what}; {RequireVariable}=1 does not let it skip");
        }

        Skip.If(true, what);
    }
}
