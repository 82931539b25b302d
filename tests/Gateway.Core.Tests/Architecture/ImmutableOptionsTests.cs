using System.Reflection;
using System.Runtime.CompilerServices;
using Gateway.Core.Configuration;
using Gateway.Core.Reputation;
using Gateway.Core.Rules;
using Gateway.Core.Scoring;

namespace Gateway.Core.Tests.Architecture;

/// <summary>
/// What the YAML files bind (gateway.yaml and the policy files of rules/) is built once and never written after
/// (issue 34): every property of every type reachable from their roots is get-only or init-only. A variant for a
/// test or a built-in default is a copy (<c>options with { ... }</c>), so no component sees a value change under it.
/// </summary>
public sealed class ImmutableOptionsTests
{
    private static readonly Type[] Roots = [typeof(GatewayOptions), typeof(ActionsFile), typeof(SymbolsFile), typeof(WeightsFile), typeof(DnsListsFile), typeof(RuleTestsFile)];

    [Fact]
    public void Nothing_the_yaml_files_bind_can_be_set_after_it_is_built()
    {
        var settable = Reachable().SelectMany(type => type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(property => property.DeclaringType == type && property.SetMethod is { IsPublic: true } setter && !IsInitOnly(setter))
                .Select(property => $"{type.Name}.{property.Name}"))
            .ToList();

        Assert.True(settable is [], $"settable after load: {string.Join(", ", settable)} (use init)");
    }

    [Fact]
    public void The_walk_reaches_the_nested_options()
    {
        var reached = Reachable().Select(type => type.Name).ToHashSet();

        Assert.Superset(new HashSet<string> { "LimitsOptions", "DownstreamRouteOptions", "RateLimitOptions", "ImapMailboxOptions", "PolicyGroup", "DnsListMeaning", "ClassifierMapPoint", "RuleTestCase" }, reached);
    }

    private static bool IsInitOnly(MethodInfo setter) =>
        setter.ReturnParameter.GetRequiredCustomModifiers().Contains(typeof(IsExternalInit));

    /// <summary>The roots and every Gateway type their properties hold, directly or in a list or dictionary.</summary>
    private static HashSet<Type> Reachable()
    {
        var seen = new HashSet<Type>();
        var queue = new Queue<Type>(Roots);
        while (queue.TryDequeue(out var type))
        {
            if (type.Assembly != typeof(GatewayOptions).Assembly || type.IsEnum || !seen.Add(type))
            {
                continue;
            }

            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                var held = property.PropertyType;
                foreach (var inner in held.IsGenericType ? held.GetGenericArguments() : [Nullable.GetUnderlyingType(held) ?? held])
                {
                    queue.Enqueue(inner);
                }
            }
        }

        return seen;
    }
}
