using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Gateway.Benchmarks -- --filter '*'
// dotnet run -c Release --project bench/Gateway.Benchmarks -- site-learning [--validate] [REPO_ROOT]   (bench/RESULTS.md, "Site learning")
if (args is ["redis-probe", var endPoint]) { return await Gateway.Benchmarks.RedisProbe.RunAsync(endPoint); }
if (args is ["site-learning", .. var rest])
{
    var validate = rest.Contains("--validate");
    var root = rest.FirstOrDefault(arg => arg != "--validate") ?? Directory.GetCurrentDirectory();
    return await Gateway.Benchmarks.SiteLearningSimulation.RunAsync(root, validate);
}

BenchmarkSwitcher.FromAssembly(typeof(Gateway.Benchmarks.StageBenchmarks).Assembly).Run(args);
return 0;
