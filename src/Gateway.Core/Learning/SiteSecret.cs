using System.Security.Cryptography;

namespace Gateway.Core.Learning;

/// <summary>
/// The site's secret (learning.secret_file): 32 random bytes, created on first start with mode 0600, the
/// same file for every instance of a site. Two keys are derived from it, one per use, so neither can stand
/// in for the other: the credential `gateway learn` shows the /learn endpoint, and the key that seals the
/// Authentication-Results this gateway stamps (<see cref="Headers.ResultsSeal"/>).
/// </summary>
public sealed class SiteSecret
{
    private readonly byte[] _key;

    private SiteSecret(byte[] key) => _key = key;

    /// <summary>What `gateway learn` sends as "Authorization: Bearer …" to the running gateway's /learn.</summary>
    public string LearnToken => Convert.ToHexStringLower(Derive("gateway /learn credential v1"));

    /// <summary>The key of <see cref="Headers.ResultsSeal"/>.</summary>
    public byte[] SealKey => Derive("gateway results seal v1");

    public static SiteSecret FromKey(byte[] key) => new(key);

    /// <summary>Reads the file; creates it (0600) when it does not exist yet. <see cref="IOException"/> says why not.</summary>
    public static SiteSecret LoadOrCreate(string path)
    {
        if (File.Exists(path))
        {
            return Load(path);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var key = RandomNumberGenerator.GetBytes(32);
        try
        {
            var file = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                file.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var writer = new StreamWriter(path, file))
            {
                writer.WriteLine(Convert.ToHexStringLower(key));
            }

            return new SiteSecret(key);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another instance on the same volume made it first: theirs is the site's.
            return Load(path);
        }
    }

    /// <summary>Reads an existing file (the CLI never creates one: it must match the running gateway's).</summary>
    public static SiteSecret Load(string path)
    {
        var text = File.ReadAllText(path).Trim();
        try
        {
            var key = Convert.FromHexString(text);
            return key.Length >= 16 ? new SiteSecret(key) : throw new IOException($"{path}: the site secret is shorter than 16 bytes (32 hex digits)");
        }
        catch (FormatException)
        {
            throw new IOException($"{path}: the site secret is not hex digits");
        }
    }

    private byte[] Derive(string purpose) => HMACSHA256.HashData(_key, System.Text.Encoding.ASCII.GetBytes(purpose));
}
