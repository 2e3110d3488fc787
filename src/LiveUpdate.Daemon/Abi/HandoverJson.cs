// HandoverJson: the source-generated JSON of the handover ABI (catalog payload and custody
// record). Its options are part of the format: nulls are written, enums are strings, no
// indentation, non-ASCII escaped (the default encoder).
using System.Text.Json.Serialization;

namespace LiveUpdate.Daemon.Abi;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true)]
[JsonSerializable(typeof(CatalogDocument))]
[JsonSerializable(typeof(CustodyRecord))]
internal sealed partial class HandoverJson : JsonSerializerContext;
