using Microsoft.Playwright;

namespace Gateway.IntegrationTests.Web;

/// <summary>Debian's Chromium, headless, as the console's browser tests drive it (Playwright; --no-sandbox as root).</summary>
internal static class Browsers
{
    public const string Chromium = "/usr/bin/chromium";

    public static async Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing (apt-get install chromium; tests/run installs it)");
        return await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        });
    }
}
