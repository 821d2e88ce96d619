import OutboxDaemon

extension Serve {
    /// Runs the daemon and tells systemd `READY=1` once its socket listens (`Type=notify`):
    /// `systemctl start` returns only when submissions can be made. The daemon itself says
    /// `STOPPING=1` when it starts to drain.
    static func run(_ daemon: Daemon, notifier: SystemdNotifier) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await daemon.run() }
            group.addTask {
                if await daemon.waitUntilReady() {
                    notifier.notify(.ready(status: "listening on \(daemon.config.socketPath)"))
                }
            }
            try await group.waitForAll()
        }
    }
}
