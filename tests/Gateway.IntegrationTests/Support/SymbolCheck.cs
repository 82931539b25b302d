using Gateway.Core.Pipeline;

namespace Gateway.IntegrationTests.Support;

/// <summary>A check that reports a fixed symbol, or fails: it lets a test reach each verdict through the real pipeline.</summary>
internal sealed class SymbolCheck(string symbol, bool throws = false) : IMessageCheck
{
    public string Name => "test";

    public IReadOnlyList<string> DependsOn => [];

    public ValueTask<CheckStatus> RunAsync(MessageContext message, CancellationToken cancellationToken)
    {
        if (throws)
        {
            throw new InvalidOperationException("the test check failed on purpose");
        }

        message.Add(new SymbolHit(symbol, 1.0, "from the test"));
        return ValueTask.FromResult(CheckStatus.Completed);
    }

    /// <summary>A rules folder where TEST_TAG scores 7 (tag) and TEST_REJECT 20 (reject).</summary>
    public static string RulesFolder(string onCheckError = "accept")
    {
        var folder = Directory.CreateTempSubdirectory("rules-").FullName;
        File.WriteAllText(Path.Combine(folder, "actions.yaml"), $"actions:\n  tag: 6\n  reject: 15\non_check_error: {onCheckError}\n");
        File.WriteAllText(Path.Combine(folder, "symbols.yaml"), "symbols:\n  TEST_TAG: {weight: 7}\n  TEST_REJECT: {weight: 20}\n  CHECK_ERROR: {weight: 0}\n");
        return folder;
    }
}
