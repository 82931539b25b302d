using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Gateway.Benchmarks -- --filter '*'
// dotnet run -c Release --project bench/Gateway.Benchmarks -- site-learning [REPO_ROOT]   (bench/RESULTS.md, "Site learning")
if (args is ["redis-probe", var endPoint]) { return await Gateway.Benchmarks.RedisProbe.RunAsync(endPoint); }
if (args is ["site-learning", .. var rest])
{
    return await Gateway.Benchmarks.SiteLearningSimulation.RunAsync(rest.Length > 0 ? rest[0] : Directory.GetCurrentDirectory());
}

BenchmarkSwitcher.FromAssembly(typeof(Gateway.Benchmarks.StageBenchmarks).Assembly).Run(args);
return 0;
