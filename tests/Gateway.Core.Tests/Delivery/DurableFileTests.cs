using Gateway.Core.Delivery;

namespace Gateway.Core.Tests.Delivery;

public sealed class DurableFileTests
{
    [Fact] // Linux: CI and production both run there
    public async Task Mail_on_disk_is_readable_by_owner_and_group_only_whatever_the_umask()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("durable-").FullName, "message.eml");

        await DurableFile.WriteAsync(path, "Subject: private\r\n\r\nbody\r\n"u8.ToArray(), CancellationToken.None);

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(path));
        }
    }
}
