using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Gateway.Benchmarks -- --filter '*'
// dotnet run -c Release --project bench/Gateway.Benchmarks -- site-learning [--validate[=FOLD]] [REPO_ROOT]   (bench/RESULTS.md, "Site learning")
// dotnet run -c Release --project bench/Gateway.Benchmarks -- fuzzy [REPO_ROOT]   (bench/RESULTS.md, "Fuzzy hashes")
if (args is ["fuzzy", .. var fuzzyArgs]) { return await Gateway.Benchmarks.FuzzySimulation.RunAsync(fuzzyArgs.FirstOrDefault() ?? Directory.GetCurrentDirectory()); }
// dotnet run -c Release --project bench/Gateway.Benchmarks -- tls-handshake [N]   (bench/RESULTS.md, "TLS handshake: RSA against ECDSA")
if (args is ["tls-handshake", .. var tlsArgs]) { return await Gateway.Benchmarks.TlsHandshakeCost.RunAsync(tlsArgs.Length > 0 ? int.Parse(tlsArgs[0], System.Globalization.CultureInfo.InvariantCulture) : 2000); }
// dotnet run -c Release --project bench/Gateway.Benchmarks -- allocations TRACE.nettrace [ROWS]   (bench/RESULTS.md, "Allocation per message")
if (args is ["allocations", var trace, .. var allocationArgs]) { return Gateway.Benchmarks.AllocationReport.Run(trace, allocationArgs.Length > 0 ? int.Parse(allocationArgs[0], System.Globalization.CultureInfo.InvariantCulture) : 40); }
if (args is ["fuzzy-redis-probe", var fuzzyEndPoint]) { return await Gateway.Benchmarks.RedisProbe.FuzzyAsync(fuzzyEndPoint); }
if (args is ["redis-probe", var endPoint]) { return await Gateway.Benchmarks.RedisProbe.RunAsync(endPoint); }
if (args is ["site-learning", .. var rest])
{
    var validate = rest.FirstOrDefault(arg => arg.StartsWith("--validate", StringComparison.Ordinal));
    var fold = validate is null ? 0 : validate == "--validate" ? 1 : int.Parse(validate["--validate=".Length..], System.Globalization.CultureInfo.InvariantCulture);
    var root = rest.FirstOrDefault(arg => !arg.StartsWith("--validate", StringComparison.Ordinal)) ?? Directory.GetCurrentDirectory();
    return await Gateway.Benchmarks.SiteLearningSimulation.RunAsync(root, fold);
}

BenchmarkSwitcher.FromAssembly(typeof(Gateway.Benchmarks.StageBenchmarks).Assembly).Run(args);
return 0;
