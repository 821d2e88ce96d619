import OutboxCore

/// What one probe of 360dialog's health endpoint said about a channel.
public struct HealthProbeResult: Sendable, Equatable {
    /// `AVAILABLE`, `LIMITED` or `BLOCKED` (Cloud `can_send_message`); the gateway status
    /// (On-Premise, e.g. `connected`); `error` for a refused probe; `unreachable` when no answer came.
    public var status: String
    /// True when the channel can send: `AVAILABLE` or `LIMITED` (Cloud), `connected` (On-Premise).
    public var ok: Bool
    /// Why not, when the API said (blocked entities and their errors, an HTTP status), else nil.
    public var detail: String?
    /// When the probe finished, wall-clock milliseconds.
    public var checkedMillis: Int64

    public init(status: String, ok: Bool, detail: String?, checkedMillis: Int64) {
        self.status = status
        self.ok = ok
        self.detail = detail
        self.checkedMillis = checkedMillis
    }
}

/// 360dialog's health endpoints: Cloud `GET {base_url}/health_status` (the number's, WABA's,
/// business's and app's `can_send_message`), On-Premise `GET {base_url}/v1/health` (the
/// gateway status of each node). 360dialog caches the answer for 5 minutes, so probing more
/// often only costs requests.
public enum HealthProbe {
    /// The shortest useful time between two probes of one channel (the API's cache).
    public static let minimumIntervalMillis: Int64 = 300_000

    public static func url(baseURL: String, api: ChannelAPI) -> String {
        baseURL + (api == .cloud ? "/health_status" : "/v1/health")
    }

    /// Reads an answer of the health endpoint. Never throws: whatever cannot be read is the detail.
    public static func interpret(status: Int, body: [UInt8], api: ChannelAPI, nowMillis: Int64) -> HealthProbeResult {
        let json = try? JSONParser.parse(body)
        guard (200...299).contains(status), let json else {
            let message = json.flatMap(Self.errorMessage) ?? String(decoding: body.prefix(200), as: UTF8.self)
            return HealthProbeResult(status: "error", ok: false, detail: "HTTP \(status): \(message)", checkedMillis: nowMillis)
        }
        switch api {
        case .cloud: return cloud(json, nowMillis: nowMillis)
        case .onpremise: return onPremise(json, nowMillis: nowMillis)
        }
    }

    /// `{"health_status": {"can_send_message": "AVAILABLE", "entities": [{"entity_type", "can_send_message", "errors": [...]}]}}`.
    static func cloud(_ json: JSONValue, nowMillis: Int64) -> HealthProbeResult {
        guard let overall = json["health_status"]?["can_send_message"]?.stringValue else {
            return HealthProbeResult(status: "error", ok: false, detail: "the answer has no health_status.can_send_message", checkedMillis: nowMillis)
        }
        var problems: [String] = []
        for entity in json["health_status"]?["entities"]?.arrayValue ?? [] {
            guard let can = entity["can_send_message"]?.stringValue, can != "AVAILABLE" else { continue }
            let type = entity["entity_type"]?.stringValue ?? "entity"
            let errors = (entity["errors"]?.arrayValue ?? []).compactMap { e -> String? in
                let code = e["error_code"].map { $0.stringValue ?? $0.canonicalText }
                let text = e["error_description"]?.stringValue
                return [code, text].compactMap { $0 }.joined(separator: " ").nilIfEmpty
            }
            problems.append("\(type) \(can)" + (errors.isEmpty ? "" : ": " + errors.joined(separator: "; ")))
        }
        return HealthProbeResult(status: overall, ok: overall == "AVAILABLE" || overall == "LIMITED",
                                 detail: problems.isEmpty ? nil : problems.joined(separator: "; "), checkedMillis: nowMillis)
    }

    /// `{"health": {"gateway_status": "connected"}}`, or one such object per node (Multiconnect).
    static func onPremise(_ json: JSONValue, nowMillis: Int64) -> HealthProbeResult {
        guard let health = json["health"]?.objectValue else {
            return HealthProbeResult(status: "error", ok: false, detail: "the answer has no health object", checkedMillis: nowMillis)
        }
        if let status = health["gateway_status"]?.stringValue {
            return HealthProbeResult(status: status, ok: status == "connected", detail: nil, checkedMillis: nowMillis)
        }
        let nodes = health.compactMap { name, node in node["gateway_status"]?.stringValue.map { (name, $0) } }.sorted { $0.0 < $1.0 }
        guard !nodes.isEmpty else {
            return HealthProbeResult(status: "error", ok: false, detail: "the answer names no gateway_status", checkedMillis: nowMillis)
        }
        let bad = nodes.filter { $0.1 != "connected" }
        return HealthProbeResult(status: bad.isEmpty ? "connected" : bad[0].1, ok: bad.isEmpty,
                                 detail: bad.isEmpty ? nil : bad.map { "\($0.0) \($0.1)" }.joined(separator: "; "), checkedMillis: nowMillis)
    }

    /// 360dialog's `meta.developer_message`, or a Cloud `error.message`, when the answer has one.
    static func errorMessage(_ json: JSONValue) -> String? {
        json["meta"]?["developer_message"]?.stringValue ?? json["error"]?["message"]?.stringValue
    }
}

extension AccountAPI {
    /// Probes the channel's health endpoint once. Never throws: no answer is `unreachable`.
    public func probeHealth(baseURL: String, apiKey: String, api: ChannelAPI, timeoutMillis: Int64, clock: any OutboxClock) async -> HealthProbeResult {
        do {
            let (status, body) = try await call("GET", url: HealthProbe.url(baseURL: baseURL, api: api), apiKey: apiKey, body: nil, timeoutMillis: timeoutMillis)
            return HealthProbe.interpret(status: status, body: body, api: api, nowMillis: clock.nowMillis())
        } catch {
            return HealthProbeResult(status: "unreachable", ok: false, detail: ErrorText.describe(error), checkedMillis: clock.nowMillis())
        }
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}
