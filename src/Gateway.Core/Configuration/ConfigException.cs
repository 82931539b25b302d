namespace Gateway.Core.Configuration;

/// <summary>A configuration or policy file is wrong. The message is already <c>file:line: what is wrong</c>.</summary>
public sealed class ConfigException(string message) : Exception(message);
