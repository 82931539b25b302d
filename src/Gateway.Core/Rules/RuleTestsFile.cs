namespace Gateway.Core.Rules;

/// <summary>rules/tests/*.yaml: messages with the envelope they arrive with and what the rules must make of them.</summary>
public sealed class RuleTestsFile
{
    public List<RuleTestCase> Tests { get; set; } = [];
}

public sealed class RuleTestCase
{
    public string Name { get; set; } = string.Empty;

    /// <summary>The message file, relative to the tests folder.</summary>
    public string Message { get; set; } = string.Empty;

    public string Ip { get; set; } = "192.0.2.10";

    public string Helo { get; set; } = "mail.remote.test";

    public string? From { get; set; }

    public List<string> Rcpt { get; set; } = ["user@example.test"];

    /// <summary>Results the offline test stands in for: spf, dkim, dmarc (pass, fail, none, ...) and the classifier's probability.</summary>
    public RuleTestFacts Facts { get; set; } = new();

    public RuleExpectation Expect { get; set; } = new();
}

public sealed class RuleTestFacts
{
    public string? Spf { get; set; }

    public string? Dkim { get; set; }

    /// <summary>DMARC's result (pass, fail, none, ...), for rules that test auth.dmarc.</summary>
    public string? Dmarc { get; set; }

    public double? SpamProbability { get; set; }

    /// <summary>Symbols other checks would report (VIRUS_FOUND from clamd, a DNS list's), for rules that test them.</summary>
    public List<string> Symbols { get; set; } = [];
}

public sealed class RuleExpectation
{
    /// <summary>accept, tag, reject or tempfail; empty means any.</summary>
    public string? Action { get; set; }

    public List<string> Symbols { get; set; } = [];

    public List<string> Absent { get; set; } = [];
}
