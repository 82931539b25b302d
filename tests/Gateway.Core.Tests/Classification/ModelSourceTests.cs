using Gateway.Core.Classification;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Core.Tests.Classification;

/// <summary>The model file is found and reloaded however it arrives.</summary>
public sealed class ModelSourceTests
{
    /// <summary>A first-day mistake: the model's folder was made (and the model copied in) after the gateway started; it was never watched.</summary>
    [Fact]
    public async Task A_model_copied_into_a_folder_made_after_start_is_loaded()
    {
        var folder = Path.Combine(Directory.CreateTempSubdirectory("models-").FullName, "later");
        using var models = new ModelSource(Path.Combine(folder, "spam.zip"), NullLogger.Instance, folderPoll: TimeSpan.FromMilliseconds(50));
        Assert.Null(models.Current);

        Directory.CreateDirectory(folder);
        File.Copy(Path.Combine(RepositoryRoot.Path, "models", "spam.zip"), Path.Combine(folder, "spam.zip"));

        // Waits for the event (polled), bounded: not an assertion on how long it takes.
        for (var waited = 0; models.Current is null && waited < 300; waited++)
        {
            await Task.Delay(100);
        }

        Assert.NotNull(models.Current);
    }
}
