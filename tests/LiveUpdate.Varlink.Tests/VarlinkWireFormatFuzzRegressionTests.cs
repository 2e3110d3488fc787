// VarlinkWireFormatFuzzRegressionTests: messages the fuzz target "protocol-parameters" (fuzz/)
// crashed VarlinkWireFormat.Decode with (fuzz/crashes/protocol-parameters/, less the target's
// selector byte), and the typed answer each gets now: VarlinkProtocolException, never another
// exception.
using System.Text;

namespace LiveUpdate.Varlink.Tests;

public sealed class VarlinkWireFormatFuzzRegressionTests
{
    [Theory]
    // InvalidOperationException ("Cannot read incomplete UTF-16 JSON text as string with missing
    // low surrogate") out of JsonNode.Parse: its duplicate-name check reads every member name as
    // text (fuzz/crashes/protocol-parameters/unpaired-surrogate-member-name).
    [InlineData("{\"name\":\"cache\",\"\\ud800\":\"managed\"}")]
    // ... "Invalid surrogate value: '0xDC00'" for a lone low surrogate.
    [InlineData("{\"\\udc00\":1}")]
    // At any depth, in an object inside an array, and two surrogates that do not pair.
    [InlineData("{\"session\":\"s\",\"x\":{\"y\":[{\"a\\ud800b\":null}]}}")]
    [InlineData("{\"\\ud800\\udbff\":true}")]
    public void A_member_name_with_an_unpaired_surrogate_escape_is_a_protocol_violation(string text)
    {
        var error = Assert.Throws<VarlinkProtocolException>(() => VarlinkWireFormat.Decode(Encoding.UTF8.GetBytes(text)));
        Assert.Contains("member name that is no Unicode text", error.Message);
        Assert.IsType<InvalidOperationException>(error.InnerException);
    }

    [Fact]
    public void A_member_name_with_a_paired_surrogate_escape_is_text()
    {
        var message = VarlinkWireFormat.Decode("{\"\\ud83d\\ude00\":1}"u8);
        Assert.Equal(1, (int?)message["\U0001F600"]);
    }

    [Fact]
    public void A_string_value_with_an_unpaired_surrogate_escape_still_decodes_for_the_server_to_answer_InvalidParameter()
    {
        var message = VarlinkWireFormat.Decode("{\"name\":\"\\ud800\"}"u8);
        Assert.Equal("name", VarlinkUnicodeCheck.FindParameterWithUnpairedSurrogate(message));
    }
}
