using Gateway.Core.Pipeline;

namespace Gateway.Core.Classification;

/// <summary>The spam classifier in the pipeline: ML_SPAM or ML_HAM, with the features that decided it.</summary>
public sealed class ClassifierCheck(ModelSource models, Configuration.ClassifierExplain explain = Configuration.ClassifierExplain.Always) : IMessageCheck
{
    public string Name => "classifier";

    public CheckPhase Phase => CheckPhase.Data;

    public IReadOnlyList<string> DependsOn => [];

    public ValueTask<CheckStatus> RunAsync(MessageContext message, CancellationToken cancellationToken)
    {
        if (models.Current is not { } model)
        {
            return ValueTask.FromResult(CheckStatus.Skipped);
        }

        var result = model.Predict(
            MessageFeatures.Extract(message.Message, message.RawMessage.Length, cancellationToken),
            probability => explain == Configuration.ClassifierExplain.Always || probability >= 0.5);
        message.Classification = result;
        var (symbol, factor) = ClassifierScoring.ToSymbol(result.SpamProbability);
        message.Add(new SymbolHit(symbol, factor, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"p={result.SpamProbability:0.000} {result.Explain()}")));
        return ValueTask.FromResult(CheckStatus.Completed);
    }
}
