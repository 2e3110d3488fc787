// SystemdManagerClient: luod's D-Bus line to the service manager, org.freedesktop.systemd1 at
// /org/freedesktop/systemd1. Connects to the system bus, or, when there is none (dbus not
// running, early boot, a minimal host), straight to PID 1 on its private socket
// unix:path=/run/systemd/private (root only; no bus daemon, so messages carry no destination,
// as systemctl does). StartKexecAsync is what `systemctl kexec` ends in: Manager.StartUnit(
// "kexec.target", "replace-irreversibly") (src/systemctl/systemctl-start-unit.c, action_table)
// — but without systemctl's first step, logind's KExec (systemctl-start-special.c tries logind
// first, for polkit and inhibitors): through logind luod's own delay lock (ShutdownInhibitor)
// would call back into luod's update in the middle of it. DescribeAsync reads Manager.Version
// and, when present, the v262 kexec count and previous-shutdown timestamps (SystemdDescription).
using Tmds.DBus.Protocol;

namespace LiveUpdate.Daemon.Systemd;

public sealed class SystemdManagerClient : IDisposable
{
    public const string PrivateSocketAddress = "unix:path=/run/systemd/private";
    public const string ServiceName = "org.freedesktop.systemd1";
    public const string ManagerPath = "/org/freedesktop/systemd1";
    public const string ManagerInterface = "org.freedesktop.systemd1.Manager";
    public const string KexecTarget = "kexec.target";

    /// <summary>The job mode systemctl uses for kexec (and reboot, poweroff, halt): no later job may replace it.</summary>
    public const string KexecJobMode = "replace-irreversibly";

    /// <summary>How long one call may take before luod gives up on the manager.</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    private readonly string? _destination;

    private SystemdManagerClient(DBusConnection connection, string address, bool onBus)
    {
        (Connection, Address, OnSystemBus) = (connection, address, onBus);
        _destination = onBus ? ServiceName : null;
    }

    /// <summary>The connection (the system bus's when <see cref="OnSystemBus"/>, which logind shares).</summary>
    public DBusConnection Connection { get; }

    /// <summary>The address connected to.</summary>
    public string Address { get; }

    /// <summary>True on the system bus; false on PID 1's private socket (no logind there).</summary>
    public bool OnSystemBus { get; }

    /// <summary>
    /// Connects to the system bus (<paramref name="busAddress"/>, default $DBUS_SYSTEM_BUS_ADDRESS or
    /// /run/dbus/system_bus_socket), else to <paramref name="privateAddress"/> (null: do not try).
    /// Throws <see cref="SystemdUnavailableException"/> naming why each failed.
    /// </summary>
    public static async Task<SystemdManagerClient> ConnectAsync(string? busAddress = null, string? privateAddress = PrivateSocketAddress,
        CancellationToken cancellationToken = default)
    {
        busAddress ??= DBusAddress.System ?? "unix:path=/run/dbus/system_bus_socket";
        var problems = new List<string>();
        foreach (var (address, onBus) in new[] { (busAddress, true), (privateAddress, false) })
        {
            if (address is null) continue;
            var connection = new DBusConnection(address);
            try
            {
                await connection.ConnectAsync().AsTask().WaitAsync(CallTimeout, cancellationToken);
                return new SystemdManagerClient(connection, address, onBus);
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                connection.Dispose();
                problems.Add($"{address}: {error.Message}");
            }
        }
        throw new SystemdUnavailableException($"cannot reach systemd over D-Bus ({string.Join("; ", problems)})");
    }

    /// <summary>Manager.Version, and what v262 adds (null where the manager lacks it).</summary>
    public async Task<SystemdDescription> DescribeAsync(CancellationToken cancellationToken = default)
    {
        MessageBuffer message;
        using (var writer = Connection.GetMessageWriter())
        {
            writer.WriteMethodCallHeader(destination: _destination, path: ManagerPath, @interface: "org.freedesktop.DBus.Properties",
                member: "GetAll", signature: "s");
            writer.WriteString(ManagerInterface);
            message = writer.CreateMessage();
        }
        var properties = await Connection.CallMethodAsync(message,
            static (Message reply, object? _) => reply.GetBodyReader().ReadDictionaryOfStringToVariantValue()).WaitAsync(CallTimeout, cancellationToken);
        if (!properties.TryGetValue("Version", out var version) || version.Type != VariantValueType.String)
            throw new SystemdUnavailableException($"{ServiceName} at {Address} reports no Manager.Version");
        return new SystemdDescription
        {
            Version = version.GetString(),
            KexecsCount = KexecCount(properties),
            PreviousShutdownStartUsec = Timestamp(properties, "PreviousShutdownStartTimestamp"),
            PreviousShutdownFinishUsec = Timestamp(properties, "PreviousShutdownFinishTimestamp"),
            PreviousShutdownLateStartUsec = Timestamp(properties, "PreviousShutdownLateStartTimestamp"),
            PreviousShutdownLateFinishUsec = Timestamp(properties, "PreviousShutdownLateFinishTimestamp"),
        };
    }

    /// <summary>What `systemctl kexec` asks PID 1 for, without going through logind; returns the job's object path.</summary>
    public Task<string> StartKexecAsync(CancellationToken cancellationToken = default) =>
        StartUnitAsync(KexecTarget, KexecJobMode, cancellationToken);

    /// <summary>Manager.StartUnit(<paramref name="unit"/>, <paramref name="mode"/>); returns the job's object path.</summary>
    public async Task<string> StartUnitAsync(string unit, string mode, CancellationToken cancellationToken = default)
    {
        MessageBuffer message;
        using (var writer = Connection.GetMessageWriter())
        {
            writer.WriteMethodCallHeader(destination: _destination, path: ManagerPath, @interface: ManagerInterface, member: "StartUnit", signature: "ss");
            writer.WriteString(unit);
            writer.WriteString(mode);
            message = writer.CreateMessage();
        }
        return await Connection.CallMethodAsync(message,
            static (Message reply, object? _) => reply.GetBodyReader().ReadObjectPathAsString()).WaitAsync(CallTimeout, cancellationToken);
    }

    /// <summary>A dual timestamp's CLOCK_REALTIME half (µs); 0 (not set) and absence are null.</summary>
    /// <summary>
    /// Manager.KExecCount, as systemd 262.1 names it (read from its libsystemd-core: "KExecCount";
    /// systemd's own LUO test spells it KexecsCount); u or t, whichever this build sends.
    /// </summary>
    private static uint? KexecCount(Dictionary<string, VariantValue> properties)
    {
        foreach (var name in new[] { "KExecCount", "KexecsCount", "KExecsCount" })
        {
            if (!properties.TryGetValue(name, out var value)) continue;
            if (value.Type == VariantValueType.UInt32) return value.GetUInt32();
            if (value.Type == VariantValueType.UInt64) return (uint)Math.Min(value.GetUInt64(), uint.MaxValue);
        }
        return null;
    }

    private static ulong? Timestamp(Dictionary<string, VariantValue> properties, string name) =>
        properties.TryGetValue(name, out var value) && value.Type == VariantValueType.UInt64 && value.GetUInt64() is > 0 and var usec ? usec : null;

    public void Dispose() => Connection.Dispose();
}

/// <summary>systemd's manager could not be reached or did not answer as expected.</summary>
public sealed class SystemdUnavailableException(string message) : Exception(message);
