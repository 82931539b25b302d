using System.Security.Cryptography;
using System.Text;
using Gateway.Core.Scoring;

namespace Gateway.Core.Fitting;

/// <summary>
/// The figures a fit reports: each message judged by weights fitted without it (k folds by a hash of its
/// source and name, so reruns compare), so a fit cannot flatter itself.
/// </summary>
public static class FitCrossValidation
{
    public static int FoldOf(MassCheckEntry entry, int folds) =>
        (int)(BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes(entry.Source + "/" + entry.Name)), 0) % (uint)folds);

    /// <summary>Per source: messages and how many were flagged and rejected on the folds not fitted on.</summary>
    public static IReadOnlyDictionary<string, SourceCount> Run(IReadOnlyList<MassCheckEntry> entries, ScoringPolicy policy, IReadOnlyList<LabelledSource> sources, int folds, FitOptions options)
    {
        var byFold = entries.GroupBy(entry => FoldOf(entry, folds)).ToDictionary(group => group.Key, group => group.ToList());
        var results = new SourceCountsPerFold[folds];
        Parallel.For(0, folds, fold =>
        {
            var train = entries.Where(entry => FoldOf(entry, folds) != fold).ToList();
            var test = byFold.GetValueOrDefault(fold) ?? [];
            var fitted = WeightFitter.Fit(train, policy, sources, options);
            results[fold] = new SourceCountsPerFold(PolicyVerdicts.Count(test, policy.WithFitted(fitted.Weights)));
        });

        var total = new Dictionary<string, SourceCount>(StringComparer.Ordinal);
        foreach (var (source, count) in results.SelectMany(result => result.Counts))
        {
            total[source] = total.GetValueOrDefault(source) + count;
        }

        return total;
    }

    private sealed record SourceCountsPerFold(IReadOnlyDictionary<string, SourceCount> Counts);
}
