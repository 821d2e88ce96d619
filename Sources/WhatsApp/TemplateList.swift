import Foundation
import OutboxCore

/// 360dialog's template list (`GET {base_url}/v1/configs/templates`, WHATSAPP-API.md §7), read
/// into `TemplateSpec`s: one page of `waba_templates`, paged by `limit`/`offset`. Bounded where it
/// enters: at most `maxTemplates` in all, names ≤ 512 bytes, languages ≤ 20, 20 components and
/// 10 buttons per template, 100 placeholders per text; a template that breaks a bound is skipped
/// and counted.
public enum TemplateList {
    /// One page as read.
    public struct Page: Sendable, Equatable {
        public var specs: [TemplateSpec]
        /// Entries in the page, read or skipped (the paging counts them all).
        public var entries: Int
        /// Entries skipped as unreadable or out of bounds.
        public var skipped: Int
        /// `total` when the answer gives it.
        public var total: Int?
    }

    public static func url(baseURL: String, limit: Int, offset: Int) -> String {
        "\(baseURL)/v1/configs/templates?limit=\(limit)&offset=\(offset)"
    }

    /// Reads one answer; throws the reason when it is not a template list.
    public static func parse(status: Int, body: [UInt8]) throws(TemplateListError) -> Page {
        guard (200...299).contains(status) else {
            let json = try? JSONParser.parse(body)
            let message = json.flatMap { $0["meta"]?["developer_message"]?.stringValue ?? $0["error"]?["message"]?.stringValue }
                ?? String(decoding: body.prefix(200), as: UTF8.self)
            throw TemplateListError(reason: "HTTP \(status): \(message)")
        }
        guard let json = try? JSONParser.parse(body) else { throw TemplateListError(reason: "the answer is not JSON") }
        guard let list = (json["waba_templates"] ?? json["data"])?.arrayValue else {
            throw TemplateListError(reason: "the answer has no waba_templates list")
        }
        var specs: [TemplateSpec] = []
        for t in list { if let s = spec(t) { specs.append(s) } }
        let total: Int? = if case .int(let n)? = json["total"], n >= 0, n <= 1_000_000 { Int(n) } else { nil }
        return Page(specs: specs, entries: list.count, skipped: list.count - specs.count, total: total)
    }

    /// One template entry, or nil when it cannot be read or breaks a bound.
    static func spec(_ t: JSONValue) -> TemplateSpec? {
        guard let name = t["name"]?.stringValue, !name.isEmpty, name.utf8.count <= 512,
              let language = (t["language"]?.stringValue ?? t["language"]?["code"]?.stringValue), !language.isEmpty, language.utf8.count <= 20,
              let status = t["status"]?.stringValue, status.utf8.count <= 40 else { return nil }
        let category = (t["category"]?.stringValue ?? "unknown").lowercased()
        guard category.utf8.count <= 40 else { return nil }
        let quality = (t["quality_score"]?["score"]?.stringValue ?? t["quality_score"]?.stringValue).map { String($0.prefix(20)).uppercased() }
        var spec = TemplateSpec(name: name, language: language, category: category, status: status.uppercased(), quality: quality)
        let components = t["components"]?.arrayValue ?? []
        guard components.count <= 20 else { return nil }
        let named = t["parameter_format"]?.stringValue?.uppercased() == "NAMED"
        for c in components {
            switch c["type"]?.stringValue?.uppercased() {
            case "HEADER":
                let format = (c["format"]?.stringValue ?? "TEXT").lowercased()
                guard format.utf8.count <= 20 else { return nil }
                let params = format == "text" ? min(1, placeholders(c["text"]?.stringValue)?.count ?? 0) : 1
                spec.header = TemplateSpec.Header(format: format, parameters: params)
            case "BODY":
                guard let found = placeholders(c["text"]?.stringValue) else { return nil }
                let isNamed = named || found.contains { $0.first.map { !$0.isNumber } ?? false }
                if isNamed { spec.bodyNames = found } else { spec.bodyParameters = found.count }
            case "BUTTONS":
                let buttons = c["buttons"]?.arrayValue ?? []
                guard buttons.count <= 10 else { return nil }
                spec.buttons = buttons.map { b in
                    let type = (b["type"]?.stringValue ?? "unknown").lowercased()
                    let params: Int = switch type {
                    case "url": (b["url"]?.stringValue?.contains("{{") ?? false) ? 1 : 0
                    case "copy_code", "otp": 1
                    default: 0
                    }
                    return TemplateSpec.Button(type: String(type.prefix(20)), parameters: params)
                }
            default:
                break
            }
        }
        return spec
    }

    /// The distinct `{{…}}` placeholders of a text, in order of first use; nil past 100 of them
    /// or for a placeholder longer than 64 bytes.
    static func placeholders(_ text: String?) -> [String]? {
        guard let text else { return [] }
        var out: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            guard let close = rest[open.upperBound...].range(of: "}}") else { break }
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            guard name.utf8.count <= 64 else { return nil }
            if !name.isEmpty, !out.contains(name) { out.append(name) }
            guard out.count <= 100 else { return nil }
            rest = rest[close.upperBound...]
        }
        return out
    }
}

/// Why a template list answer could not be used.
public struct TemplateListError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}

extension AccountAPI {
    /// Fetches one page of the channel's template list. The key travels only in the header.
    public func templatePage(baseURL: String, apiKey: String, limit: Int, offset: Int, timeoutMillis: Int64) async throws(TemplateListError) -> TemplateList.Page {
        let answer: (status: Int, body: [UInt8])
        do {
            answer = try await call("GET", url: TemplateList.url(baseURL: baseURL, limit: limit, offset: offset), apiKey: apiKey, body: nil, timeoutMillis: timeoutMillis)
        } catch {
            throw TemplateListError(reason: "360dialog could not be reached: \(ErrorText.describe(error))")
        }
        return try TemplateList.parse(status: answer.status, body: answer.body)
    }
}
