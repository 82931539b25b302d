namespace Gateway.Core.Authentication.Spf;

/// <summary>A record or macro that RFC 7208 says is a permerror. Only thrown inside the evaluator.</summary>
internal sealed class SpfSyntaxException(string message) : Exception(message);
