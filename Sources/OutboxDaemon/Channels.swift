import Synchronization

/// The channels configured now, in config order. A reload adds and removes runtimes; the
/// controllers, the inbox processor and the dispatcher look channels up here per request
/// instead of holding a fixed list. Reads copy (reference-counted) values under the lock.
final class Channels: Sendable {
    private struct State {
        var list: [ChannelRuntime]
        var byName: [String: ChannelRuntime]
        var names: Set<String>

        init(_ list: [ChannelRuntime]) {
            self.list = list
            byName = Dictionary(list.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            names = Set(byName.keys)
        }
    }

    private let state: Mutex<State>

    init(_ runtimes: [ChannelRuntime]) {
        state = Mutex(State(runtimes))
    }

    /// The channels now; a channel removed after this call is still in the copy.
    func snapshot() -> [ChannelRuntime] { state.withLock { $0.list } }

    func runtime(named name: String) -> ChannelRuntime? { state.withLock { $0.byName[name] } }

    var names: Set<String> { state.withLock { $0.names } }

    /// With several daemons: tells the others of news on these channels (set once at start).
    private let announcer = Mutex<(@Sendable (Set<String>) -> Void)?>(nil)
    var announce: (@Sendable (Set<String>) -> Void)? {
        get { announcer.withLock { $0 } }
        set { announcer.withLock { $0 = newValue } }
    }

    /// News for these channels (new work, a status that moved their queue): wakes their
    /// workers here, and the daemons that send them if another one does.
    func wake(_ names: Set<String>) {
        guard !names.isEmpty else { return }
        for name in names { runtime(named: name)?.doorbell.ring() }
        announce?(names)
    }

    /// Wakes every channel's worker (statuses settled messages, unknown outcomes timed out).
    func ringAll() {
        for runtime in snapshot() { runtime.doorbell.ring() }
    }

    /// Replaces the list (a reload): `runtimes` in the new config's order.
    func replace(with runtimes: [ChannelRuntime]) {
        let new = State(runtimes)
        state.withLock { $0 = new }
    }
}
