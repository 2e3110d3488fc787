// VarlinkServiceInfo: how a service describes itself in org.varlink.service.GetInfo.
namespace LiveUpdate.Varlink;

public sealed record VarlinkServiceInfo(string Vendor, string Product, string Version, string Url);
