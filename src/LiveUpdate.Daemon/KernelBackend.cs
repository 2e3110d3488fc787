// KernelBackend: ILiveUpdateBackend over the real /dev/liveupdate, which luod opens once
// and keeps for its whole life (the device is single-open).
using System.Runtime.InteropServices;
using LiveUpdate.Kernel;

namespace LiveUpdate.Daemon;

public sealed class KernelBackend(LiveUpdateDevice device) : ILiveUpdateBackend
{
    public static KernelBackend Open(string path) => new(LiveUpdateDevice.Open(path));

    public IBackendSession Create(string kernelName) => new Session(device.CreateSession(kernelName));

    public IBackendSession Retrieve(string kernelName) => new Session(device.RetrieveSession(kernelName));

    public IBackendSession Adopt(FileDescriptorHandle descriptor, SessionDirection direction) =>
        new Session(LiveUpdateSession.Adopt(descriptor, direction));

    public void Dispose() => device.Dispose();

    private sealed class Session(LiveUpdateSession session) : IBackendSession
    {
        public string KernelName => session.Name;
        public SessionDirection Direction => session.Direction;
        public SafeHandle Handle => session;
        public void Preserve(SafeHandle file, ulong token) => session.Preserve(file, token);
        public MemFd RetrieveMemFd(ulong token) => session.RetrieveMemFd(token);
        public void Finish() => session.Finish();
        public void Dispose() => session.Dispose();
    }
}
