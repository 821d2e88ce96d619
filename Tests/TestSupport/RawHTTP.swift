import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One HTTP client for many raw requests over TCP (the hostile-input test sends thousands;
/// `httpPost` makes a client per call).
public final class RawHTTP: Sendable {
    let client: HTTPClient

    public init() {
        var config = HTTPClient.Configuration()
        config.tracing.tracer = nil
        config.timeout = .init(connect: .seconds(2), read: .seconds(20))
        config.httpVersion = .http1Only
        config.decompression = .disabled
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }

    /// Sends `body` with `method` to `url`; nil when the request could not be made at all
    /// (a URL the client refuses, a connection that failed).
    public func send(_ method: HTTPMethod, _ url: String, body: [UInt8]?, headers: [(String, String)] = []) async -> (status: Int, body: [UInt8])? {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let response = try await client.execute(request, timeout: .seconds(20))
            let bytes = try await response.body.collect(upTo: 64 << 20)
            return (Int(response.status.code), Array(bytes.readableBytesView))
        } catch {
            return nil
        }
    }

    public func shutdown() async { try? await client.shutdown() }

    /// A loopback TCP port that was free a moment ago (for a child process to listen on).
    public static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

/// Peak and current resident memory of a process, from /proc (kB).
public func processMemory(pid: Int32) -> (peakKB: Int, currentKB: Int)? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    func value(_ key: String) -> Int? {
        text.split(separator: "\n").first { $0.hasPrefix(key) }.flatMap { Int($0.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") }
    }
    guard let peak = value("VmHWM:"), let current = value("VmRSS:") else { return nil }
    return (peak, current)
}
