import ArgumentParser

/// `wa-outbox sandbox`: the built-in 360dialog simulator.
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sandbox", abstract: "Run the built-in 360dialog simulator on loopback.")

    func run() async throws {
        throw CLIError("not wired yet")
    }
}
