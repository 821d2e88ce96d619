import Foundation
import Logging
import OutboxCore
import Synchronization

/// How `wa-outbox serve` writes its log: `[daemon] log_format`.
public enum LogFormat: String, Sendable, CaseIterable {
    /// `ts=... level=info msg="..." channel=sales message.id=42`, one event per line.
    case logfmt
    /// One JSON object per line.
    case json
}

/// A swift-log handler that writes one line per event, logfmt or JSON, to stderr (journald
/// and container runtimes collect it from there). A line is written with one `write(2)`
/// under a lock, so lines from concurrent tasks never interleave.
public struct LogLineHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let format: LogFormat
    let sink: @Sendable (String) -> Void

    /// - Parameter sink: where finished lines go (with their newline); stderr by default.
    public init(label: String, format: LogFormat, level: Logger.Level, metadataProvider: Logger.MetadataProvider? = nil,
                sink: @escaping @Sendable (String) -> Void = LogLineHandler.standardError) {
        self.label = label
        self.format = format
        self.logLevel = level
        self.metadataProvider = metadataProvider
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let given = event.metadata { merged.merge(given) { _, new in new } }
        let millis = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        sink(LogLine.render(format: format, millis: millis, level: event.level, message: "\(event.message)", label: label, metadata: merged))
    }

    /// Writes `line` to file descriptor 2 in one call (retrying what a short write left).
    public static let standardError: @Sendable (String) -> Void = { line in
        var bytes = Array(line.utf8)
        stderrLock.withLock { _ in
            var offset = 0
            while offset < bytes.count {
                let n = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
                if n < 0 { if errno == EINTR { continue } else { return } }
                offset += n
            }
        }
    }

    private static let stderrLock = Mutex(())
}

/// Renders one log event as a line. Pure, so the escaping is tested without a logger.
public enum LogLine {
    /// Keys the line itself uses; metadata with one of these names is written with a `_` before it.
    static let reserved: Set<String> = ["ts", "level", "msg", "logger"]

    public static func render(format: LogFormat, millis: Int64, level: Logger.Level, message: String, label: String,
                              metadata: Logger.Metadata) -> String {
        var fields: [(String, Logger.MetadataValue)] = [
            ("ts", .string(RFC3339.format(millis: millis))), ("level", .string(level.rawValue)),
            ("msg", .string(message)), ("logger", .string(label)),
        ]
        for key in metadata.keys.sorted() {
            fields.append((reserved.contains(key) ? "_" + key : key, metadata[key]!))
        }
        switch format {
        case .logfmt: return logfmt(fields)
        case .json: return json(fields)
        }
    }

    // MARK: logfmt

    static func logfmt(_ fields: [(String, Logger.MetadataValue)]) -> String {
        var flat: [(String, String)] = []
        for (key, value) in fields { flatten(key, value, into: &flat) }
        var out = ""
        for (i, (key, value)) in flat.enumerated() {
            if i > 0 { out += " " }
            out += logfmtKey(key)
            out += "="
            writeLogfmtValue(value, to: &out)
        }
        return out + "\n"
    }

    /// Nested metadata becomes dotted keys (`a.b=1`); a list is one quoted value.
    static func flatten(_ key: String, _ value: Logger.MetadataValue, into out: inout [(String, String)]) {
        switch value {
        case .string(let s): out.append((key, s))
        case .stringConvertible(let c): out.append((key, c.description))
        case .dictionary(let d):
            for k in d.keys.sorted() { flatten(key + "." + k, d[k]!, into: &out) }
        case .array(let a):
            out.append((key, "[" + a.map(plain).joined(separator: ", ") + "]"))
        }
    }

    static func plain(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let s): s
        case .stringConvertible(let c): c.description
        case .dictionary(let d): "{" + d.keys.sorted().map { "\($0): \(plain(d[$0]!))" }.joined(separator: ", ") + "}"
        case .array(let a): "[" + a.map(plain).joined(separator: ", ") + "]"
        }
    }

    /// A key keeps letters, digits and punctuation; a space, `=`, `"` or a control character
    /// becomes `_`, so a key can never break the line apart.
    static func logfmtKey(_ key: String) -> String {
        guard !key.isEmpty else { return "_" }
        if !key.unicodeScalars.contains(where: breaksKey) { return key }
        return String(String.UnicodeScalarView(key.unicodeScalars.map { breaksKey($0) ? "_" : $0 }))
    }

    static func breaksKey(_ s: Unicode.Scalar) -> Bool {
        s == " " || s == "=" || s == "\"" || isControl(s)
    }

    /// C0 and C1 control characters, DEL, and the Unicode line and paragraph separators.
    static func isControl(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x20 || (0x7F...0x9F).contains(s.value) || s.value == 0x2028 || s.value == 0x2029
    }

    /// Bare when it is a single token; otherwise quoted, with `"`, `\` and control characters
    /// escaped as in JSON (a newline is `\n`), so one event stays one line.
    static func writeLogfmtValue(_ value: String, to out: inout String) {
        let needsQuotes = value.isEmpty || value.unicodeScalars.contains { $0 == " " || $0 == "=" || $0 == "\"" || $0 == "\\" || isControl($0) }
        guard needsQuotes else {
            out += value
            return
        }
        out += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where isControl(scalar):
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    // MARK: JSON

    static func json(_ fields: [(String, Logger.MetadataValue)]) -> String {
        var out = "{"
        for (i, (key, value)) in fields.enumerated() {
            if i > 0 { out += "," }
            JSONValue.writeString(key, to: &out)
            out += ":"
            writeJSON(value, to: &out)
        }
        return out + "}\n"
    }

    static func writeJSON(_ value: Logger.MetadataValue, to out: inout String) {
        switch value {
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .stringConvertible(let c): JSONValue.writeString(c.description, to: &out)
        case .dictionary(let d):
            out += "{"
            for (i, k) in d.keys.sorted().enumerated() {
                if i > 0 { out += "," }
                JSONValue.writeString(k, to: &out)
                out += ":"
                writeJSON(d[k]!, to: &out)
            }
            out += "}"
        case .array(let a):
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                writeJSON(v, to: &out)
            }
            out += "]"
        }
    }
}
