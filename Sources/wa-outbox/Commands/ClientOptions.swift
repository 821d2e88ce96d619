import ArgumentParser
import Foundation
import OutboxClient
import OutboxDaemon

/// Options every client command shares: where the daemon is, and the output format.
struct ClientOptions: ParsableArguments {
    @Option(help: "The daemon's Unix socket (default: the socket named in the config).")
    var socket: String?

    @Option(help: "The daemon's config file, to find its socket.")
    var config: String?

    @Flag(help: "Print the socket API's JSON document instead of a table.")
    var json = false

    /// The socket to use: --socket, else the config's `[daemon] socket`.
    func socketPath() throws -> String {
        if let socket { return socket }
        let path = config ?? ConfigLoader.defaultPath
        do {
            return try ConfigLoader.socketPath(configPath: path)
        } catch {
            throw CLIError("\(error); pass --socket PATH or --config FILE")
        }
    }

    /// Runs `body` with a client, shutting the client down afterwards.
    func withClient<T>(_ body: (DaemonClient) async throws -> T) async throws -> T {
        let client = DaemonClient(socketPath: try socketPath())
        do {
            let value = try await body(client)
            await client.shutdown()
            return value
        } catch let error as ClientError {
            await client.shutdown()
            throw CLIError(error.description)
        } catch {
            await client.shutdown()
            throw error
        }
    }
}

/// A failure the CLI reports as one line on stderr, exiting non-zero.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Prints raw JSON bytes from the daemon.
func printJSON(_ bytes: [UInt8]) {
    print(String(decoding: bytes, as: UTF8.self))
}

/// Percent-encodes a query value.
func query(_ pairs: [(String, String?)]) -> String {
    let parts = pairs.compactMap { key, value -> String? in
        guard let value else { return nil }
        let encoded = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? value
        return "\(key)=\(encoded)"
    }
    return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
}
