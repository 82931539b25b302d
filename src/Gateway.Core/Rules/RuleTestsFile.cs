namespace Gateway.Core.Rules;

/// <summary>rules/tests/*.yaml: messages with the envelope they arrive with and what the rules must make of them.</summary>
public sealed class RuleTestsFile
{
    public List<RuleTestCase> Tests { get; init; } = [];
}

public sealed class RuleTestCase
{
    public string Name { get; init; } = string.Empty;

    /// <summary>The message file, relative to the tests folder.</summary>
    public string Message { get; init; } = string.Empty;

    public string Ip { get; init; } = "192.0.2.10";

    public string Helo { get; init; } = "mail.remote.test";

    public string? From { get; init; }

    public List<string> Rcpt { get; init; } = ["user@example.test"];

    /// <summary>Results the offline test stands in for: spf, dkim, dmarc (pass, fail, none, ...) and the classifier's probability.</summary>
    public RuleTestFacts Facts { get; init; } = new();

    public RuleExpectation Expect { get; init; } = new();
}

public sealed class RuleTestFacts
{
    public string? Spf { get; init; }

    public string? Dkim { get; init; }

    /// <summary>DMARC's result (pass, fail, none, ...), for rules that test auth.dmarc.</summary>
    public string? Dmarc { get; init; }

    public double? SpamProbability { get; init; }

    /// <summary>Symbols other checks would report (VIRUS_FOUND from clamd, a DNS list's), for rules that test them.</summary>
    public List<string> Symbols { get; init; } = [];
}

public sealed class RuleExpectation
{
    /// <summary>accept, tag, reject or tempfail; empty means any.</summary>
    public string? Action { get; init; }

    public List<string> Symbols { get; init; } = [];

    public List<string> Absent { get; init; } = [];
}
