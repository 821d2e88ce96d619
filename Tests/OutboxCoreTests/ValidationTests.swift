import Foundation
import OutboxCore
import Testing

func json(_ text: String) -> JSONValue {
    try! JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
}

@Suite("Recipient numbers")
struct RecipientTests {
    @Test("international numbers are normalised to + and digits", arguments: [
        ("+49 151 1234-5678", "+4915112345678"),
        ("4915112345678", "+4915112345678"),
        ("+1 (650) 555-1234", "+16505551234"),
        ("0049 151 12345678", "+4915112345678"),
    ])
    func normalise(input: String, expected: String) throws {
        #expect(try Recipient(parsing: input).e164 == expected)
    }

    @Test("bad numbers are refused, naming the field", arguments: ["+123", "+1234567890123456", "015112345678", "+49abc12345678", ""])
    func refuse(input: String) {
        #expect(throws: ValidationError.self) { try Recipient(parsing: input) }
        do { _ = try Recipient(parsing: input) } catch { #expect(error.field == "to") }
    }
}

@Suite("Message validation")
struct MessageValidatorTests {
    func fieldOf(_ text: String) -> String? {
        do {
            try MessageValidator.validate(json(text))
            return nil
        } catch {
            return error.field
        }
    }

    @Test("valid messages of every common type pass")
    func valid() throws {
        let messages = [
            #"{"type":"text","text":{"body":"Hi","preview_url":true}}"#,
            #"{"type":"template","template":{"name":"order_update","language":{"code":"en_US"},"components":[{"type":"body","parameters":[{"type":"text","text":"Pablo"}]},{"type":"button","sub_type":"url","index":"0","parameters":[{"type":"text","text":"x"}]}]}}"#,
            #"{"type":"image","image":{"link":"https://example.com/a.png","caption":"c"}}"#,
            #"{"type":"document","document":{"id":"123","filename":"invoice.pdf"}}"#,
            #"{"type":"audio","audio":{"id":"1"}}"#,
            #"{"type":"location","location":{"latitude":"37.44","longitude":-122.16,"name":"Philz"}}"#,
            #"{"type":"contacts","contacts":[{"name":{"formatted_name":"John Smith"}}]}"#,
            #"{"type":"reaction","reaction":{"message_id":"wamid.X","emoji":"👍"}}"#,
            #"{"type":"interactive","interactive":{"type":"button","body":{"text":"Pick"},"action":{"buttons":[{"type":"reply","reply":{"id":"a","title":"A"}},{"type":"reply","reply":{"id":"b","title":"B"}}]}}}"#,
            #"{"type":"interactive","interactive":{"type":"list","body":{"text":"Pick"},"action":{"button":"Options","sections":[{"title":"S","rows":[{"id":"1","title":"One"}]}]}}}"#,
            #"{"type":"interactive","interactive":{"type":"cta_url","body":{"text":"Go"},"action":{"name":"cta_url","parameters":{"display_text":"Open","url":"https://x.io"}}}}"#,
        ]
        for m in messages { #expect(fieldOf(m) == nil, "\(m)") }
    }

    @Test("each broken message names its field", arguments: [
        (#"{"text":{"body":"x"}}"#, "type"),
        (#"{"type":"fax","fax":{}}"#, "type"),
        (#"{"type":"text"}"#, "text"),
        (#"{"type":"text","text":{}}"#, "text.body"),
        (#"{"type":"text","text":{"body":5}}"#, "text.body"),
        (#"{"type":"template","template":{"language":{"code":"en"}}}"#, "template.name"),
        (#"{"type":"template","template":{"name":"Bad Name","language":{"code":"en"}}}"#, "template.name"),
        (#"{"type":"template","template":{"name":"t","language":{}}}"#, "template.language.code"),
        (#"{"type":"template","template":{"name":"t","language":{"code":"en"},"components":[{"type":"body","parameters":[{"type":"text"}]}]}}"#, "template.components.0.parameters.0.text"),
        (#"{"type":"image","image":{}}"#, "image"),
        (#"{"type":"image","image":{"id":"1","link":"https://a"}}"#, "image"),
        (#"{"type":"audio","audio":{"id":"1","caption":"no"}}"#, "audio.caption"),
        (#"{"type":"interactive","interactive":{"type":"button","body":{"text":"x"},"action":{"buttons":[{"reply":{"id":"1","title":"this title is far too long"}}]}}}"#, "interactive.action.buttons.0.reply.title"),
        (#"{"type":"location","location":{"latitude":100,"longitude":0}}"#, "location.latitude"),
        (#"{"type":"contacts","contacts":[]}"#, "contacts"),
        (#"{"type":"text","text":{"body":"x"},"to":"+4915112345678"}"#, "to"),
    ])
    func broken(message: String, field: String) {
        #expect(fieldOf(message) == field)
    }

    @Test("text bodies are limited to 4096 characters")
    func textLimit() {
        let ok = String(repeating: "é", count: 4096)
        #expect(fieldOf(#"{"type":"text","text":{"body":"\#(ok)"}}"#) == nil)
        #expect(fieldOf(#"{"type":"text","text":{"body":"\#(ok)x"}}"#) == "text.body")
    }

    @Test("a submission nests message errors under message")
    func nested() {
        do {
            _ = try Submission(channel: "c", to: "+4915112345678", message: json(#"{"type":"text","text":{}}"#), nowMillis: 0)
            Issue.record("expected an error")
        } catch {
            #expect(error.field == "message.text.body")
        }
    }

    @Test("an expiry already past is refused")
    func expired() {
        #expect(throws: ValidationError.self) {
            try Submission(channel: "c", to: "+4915112345678", message: json(#"{"type":"text","text":{"body":"x"}}"#), expiresAtMillis: 5, nowMillis: 10)
        }
    }
}

@Suite("Text formats")
struct TextFormatTests {
    @Test("RFC 3339 round trip in UTC with milliseconds")
    func rfc3339() {
        #expect(RFC3339.format(millis: 0) == "1970-01-01T00:00:00.000Z")
        #expect(RFC3339.format(millis: 1_795_257_590_123) == "2026-11-21T10:39:50.123Z")
        #expect(RFC3339.parse("2026-11-21T10:39:50.123Z") == 1_795_257_590_123)
        #expect(RFC3339.parse("2026-11-21T11:39:50.123+01:00") == 1_795_257_590_123)
        #expect(RFC3339.parse("2026-11-21T10:39:50Z") == 1_795_257_590_000)
        #expect(RFC3339.parse("2026-11-21 10:39") == nil)
        #expect(RFC3339.parse("2026-13-21T10:39:50Z") == nil)
    }

    @Test("durations with units")
    func durations() {
        #expect(DurationText.milliseconds("500ms") == 500)
        #expect(DurationText.milliseconds("30s") == 30_000)
        #expect(DurationText.milliseconds("5m") == 300_000)
        #expect(DurationText.milliseconds("24h") == 86_400_000)
        #expect(DurationText.milliseconds("1.5s") == 1_500)
        #expect(DurationText.milliseconds("30") == nil)
        #expect(DurationText.milliseconds("-1s") == nil)
        #expect(DurationText.format(milliseconds: 120_000) == "2m")
    }

    @Test("canonical JSON sorts keys and escapes control characters")
    func canonical() {
        #expect(json(#"{"b":1,"a":{"d":"x\ny","c":[true,null,2.5]}}"#).canonicalText == #"{"a":{"c":[true,null,2.5],"d":"x\ny"},"b":1}"#)
    }

    @Test("rolling counters forget what is older than their window")
    func rolling() {
        var c = RollingCounter(seconds: 60)
        c.add(3, atMillis: 1_000)
        c.add(2, atMillis: 30_000)
        #expect(c.sum(lastSeconds: 60, nowMillis: 40_000) == 5)
        #expect(c.sum(lastSeconds: 60, nowMillis: 61_500) == 2)
        #expect(c.sum(lastSeconds: 10, nowMillis: 40_000) == 0)
    }
}

@Suite("JSON parser")
struct JSONParserTests {
    @Test("parses what JSONDecoder parses, to the same value")
    func sameAsFoundation() throws {
        let docs = [
            #"{"a":[1,-2,3.5,1e3,true,false,null],"b":{"c":"x\"y\\z\/\u00e9\ud83d\ude00\n"},"d":""}"#,
            #"  [ ]  "#, #"{}"#, #"0"#, #"-0.5"#, #""plain""#, #"9223372036854775807"#,
        ]
        for d in docs {
            #expect(try JSONParser.parse(Array(d.utf8)).canonicalText == json(d).canonicalText, "\(d)")
        }
    }

    @Test("refuses what is not JSON, saying where", arguments: [
        #"{"a":1,}"#, #"[1 2]"#, #"{"a" 1}"#, #"01"#, #"1."#, #""\x""#, #""\ud800""#, "\"a\u{01}b\"", #"{"a":1} x"#, #"tru"#, "",
    ])
    func refuses(doc: String) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(doc.utf8)) }
    }

    @Test("deep nesting is refused, not a stack overflow")
    func deep() {
        let doc = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(doc.utf8)) }
    }
}
