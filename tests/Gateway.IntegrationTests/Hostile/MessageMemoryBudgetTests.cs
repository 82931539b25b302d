using Gateway.Smtp.Admission;

namespace Gateway.IntegrationTests.Hostile;

/// <summary>The shared message memory's arithmetic: both bounds hold, and everything taken comes back, under contention too.</summary>
public sealed class MessageMemoryBudgetTests
{
    [Fact]
    public void A_take_fits_both_the_whole_and_the_clients_share_or_takes_nothing()
    {
        var budget = new MessageMemoryBudget(capacity: 100, perClient: 40);

        Assert.True(budget.TryTake("a", 40));
        Assert.False(budget.TryTake("a", 1));            // a's share is full
        Assert.True(budget.TryTake("b", 40));
        Assert.False(budget.TryTake("c", 40));           // the whole would be 120
        Assert.Equal(80, budget.Taken);                  // refused takes left nothing behind
        Assert.Equal(20, budget.AvailableTo("c"));
        Assert.Equal(0, budget.AvailableTo("a"));
        Assert.True(budget.TryTake("c", 20));
        Assert.True(budget.TryTake(null, 0));

        budget.GiveBack("a", 40);
        budget.GiveBack("b", 40);
        budget.GiveBack("c", 20);

        Assert.Equal(0, budget.Taken);
        Assert.Equal(0, budget.ClientsHolding);
        Assert.Equal(40, budget.AvailableTo("a"));
    }

    [Fact]
    public async Task Takes_and_give_backs_from_many_threads_leave_nothing_taken()
    {
        var budget = new MessageMemoryBudget(capacity: 1_000, perClient: 300);
        string?[] clients = ["192.0.2.1/32", "192.0.2.2/32", "2001:db8::/64", null];

        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(() =>
        {
            var random = new Random(worker);
            var held = new List<(string? Client, long Bytes)>();
            for (var i = 0; i < 20_000; i++)
            {
                if (held.Count > 0 && random.Next(2) == 0)
                {
                    var (client, bytes) = held[^1];
                    held.RemoveAt(held.Count - 1);
                    budget.GiveBack(client, bytes);
                }
                else
                {
                    var client = clients[random.Next(clients.Length)];
                    var bytes = random.Next(1, 120);
                    if (budget.TryTake(client, bytes))
                    {
                        held.Add((client, bytes));
                    }

                    Assert.True(budget.Taken <= budget.Capacity + (8 * 120)); // a refused take may show for a moment, never more
                }
            }

            foreach (var (client, bytes) in held)
            {
                budget.GiveBack(client, bytes);
            }
        })));

        Assert.Equal(0, budget.Taken);
        Assert.Equal(0, budget.ClientsHolding);
        Assert.All(clients.OfType<string>(), client => Assert.Equal(300, budget.AvailableTo(client)));
    }
}
