using System.Runtime.Versioning;

// These tests drive Debian programs (Postfix's smtp-sink, swaks): Linux only.
[assembly: SupportedOSPlatform("linux")]
