using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;

namespace Gateway.Web;

/// <summary>
/// The console's administrators: name -> password hash (ASP.NET Core Identity's PasswordHasher: PBKDF2 with
/// HMAC-SHA512, salted, 100,000 rounds), in a JSON file written by <c>gateway web user add</c>. Read on each
/// sign-in, so an account added or removed counts at once. Failed sign-ins lock the name for a while
/// (<see cref="MaxFailures"/>), and an unknown name costs the same hashing as a known one: neither the
/// answer nor its timing tells which names exist.
/// </summary>
internal sealed class WebUsers(string path, TimeProvider time)
{
    public const int MaxFailures = 5;
    public static readonly TimeSpan Lockout = TimeSpan.FromMinutes(15);
    public const int MinPasswordLength = 12;

    private static readonly PasswordHasher<string> Hasher = new();
    private static readonly string UnknownUserHash = Hasher.HashPassword("unknown", Guid.NewGuid().ToString());
    private readonly ConcurrentDictionary<string, (int Failures, DateTimeOffset Until)> _failures = new(StringComparer.OrdinalIgnoreCase);

    public string Path => path;

    public enum SignIn
    {
        Accepted,
        Refused,
        Locked,
    }

    public SignIn Check(string name, string password)
    {
        var now = time.GetUtcNow();
        if (_failures.TryGetValue(name, out var record) && record.Failures >= MaxFailures && record.Until > now)
        {
            return SignIn.Locked;
        }

        var users = Read(path);
        var hash = users.GetValueOrDefault(name) ?? UnknownUserHash;
        var verified = Hasher.VerifyHashedPassword(name, hash, password) != PasswordVerificationResult.Failed && users.ContainsKey(name);
        if (verified)
        {
            _failures.TryRemove(name, out _);
            return SignIn.Accepted;
        }

        _failures.AddOrUpdate(name, _ => (1, now + Lockout), (_, old) => (old.Until > now ? old.Failures + 1 : 1, now + Lockout));
        return SignIn.Refused;
    }

    /// <summary>Adds or replaces an account (the file is replaced whole, so a reader never sees half of it).</summary>
    public static void Add(string path, string name, string password)
    {
        if (name.Length is 0 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '@'))
        {
            throw new ArgumentException($"'{name}' is not a user name (letters, digits, . - _ @; at most 64)");
        }

        if (password.Length < MinPasswordLength)
        {
            throw new ArgumentException($"the password must have at least {MinPasswordLength} characters");
        }

        var users = new SortedDictionary<string, string>(Read(path), StringComparer.OrdinalIgnoreCase) { [name] = Hasher.HashPassword(name, password) };
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(users, new JsonSerializerOptions { WriteIndented = true }));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temporary, path, overwrite: true);
    }

    private static Dictionary<string, string> Read(string path) =>
        File.Exists(path)
            ? JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path)) is { } users ? new(users, StringComparer.OrdinalIgnoreCase) : []
            : [];
}
