using Gateway.Core.Headers;

namespace Gateway.Core.Tests.Headers;

public sealed class HeaderLimitsTests
{
    [Theory]
    [InlineData("A: 1\r\nB: 2\r\n\tfolded\r\n\r\nbody\r\n", 21, 2)]
    [InlineData("A: 1\nB: 2\n\nbody\n", 10, 2)]
    [InlineData("A: 1\r\n", 6, 1)]
    [InlineData("\r\nbody", 0, 0)]
    public void Measures_the_header_section_and_counts_fields_not_lines(string message, int size, int fields) =>
        Assert.Equal((size, fields), HeaderLimits.Measure(Encoding.ASCII.GetBytes(message)));
}
