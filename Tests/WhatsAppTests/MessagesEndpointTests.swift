import Testing
@testable import WhatsApp

/// Which URLs the lean client takes, and how it reads them; everything else stays with
/// AsyncHTTPClient.
@Suite("Lean client endpoints")
struct MessagesEndpointTests {
    @Test("plain http(s) URLs are read into host, port, target and Host header")
    func read() throws {
        let cloud = try #require(MessagesEndpoint(url: "https://waba-v2.360dialog.io/messages"))
        #expect(cloud.tls && cloud.host == "waba-v2.360dialog.io" && cloud.port == 443 && cloud.target == "/messages")
        #expect(cloud.hostHeader == "waba-v2.360dialog.io")
        let local = try #require(MessagesEndpoint(url: "http://127.0.0.1:19000/v1/messages?x=1"))
        #expect(!local.tls && local.host == "127.0.0.1" && local.port == 19000 && local.target == "/v1/messages?x=1")
        #expect(local.hostHeader == "127.0.0.1:19000")
        #expect(local.isIPAddress && !cloud.isIPAddress)
        #expect(MessagesEndpoint(url: "http://localhost")?.target == "/")
        #expect(MessagesEndpoint(url: "http://localhost?a")?.target == "/?a")
        #expect(local.poolKey != MessagesEndpoint(url: "https://127.0.0.1:19000/messages")!.poolKey)
    }

    @Test("anything unusual is left to AsyncHTTPClient", arguments: [
        "ftp://host/messages", "http://", "http:///messages", "http://user@host/messages", "http://[::1]:80/messages",
        "http://host:0/messages", "http://host:65536/messages", "http://host:x/messages", "http://host/messages#frag",
        "http://ho st/messages", "http://host/mess ages", "http://h\u{e9}st/messages", "HTTP://host/messages",
    ])
    func refused(_ url: String) {
        #expect(MessagesEndpoint(url: url) == nil)
    }

    @Test("a key with a line break or control byte is no header value")
    func headerValues() {
        #expect(MessagesEndpoint.isHeaderValue("abc-DEF_123"))
        #expect(!MessagesEndpoint.isHeaderValue(""))
        #expect(!MessagesEndpoint.isHeaderValue("a\r\nX-Evil: 1"))
        #expect(!MessagesEndpoint.isHeaderValue("a\u{0}"))
        #expect(!MessagesEndpoint.isHeaderValue("caf\u{e9}"))
    }
}
