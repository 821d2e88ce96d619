import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Plain HTTP for tests (the webhook receiver, the sandbox's control endpoints).
public func httpPost(_ url: String, body: String, headers: [(String, String)] = []) async throws -> (status: Int, body: String) {
    let client = HTTPClient(eventLoopGroupProvider: .singleton)
    do {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await client.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        try await client.shutdown()
        return (Int(response.status.code), String(buffer: bytes))
    } catch {
        try? await client.shutdown()
        throw error
    }
}

/// A Cloud-format status webhook.
public func cloudStatus(wamid: String, status: String, timestamp: Int = 1_795_257_590, callbackData: String? = nil,
                        errorCode: Int? = nil, phoneNumberID: String = "106540352242922") -> String {
    let cb = callbackData.map { #","biz_opaque_callback_data":"\#($0)""# } ?? ""
    let err = errorCode.map { #","errors":[{"code":\#($0),"title":"error \#($0)","message":"error \#($0)","error_data":{"details":"details"}}]"# } ?? ""
    return #"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"\#(phoneNumberID)"},"statuses":[{"id":"\#(wamid)","status":"\#(status)","timestamp":"\#(timestamp)","recipient_id":"4915112345678"\#(cb)\#(err)}]}}]}]}"#
}

/// A Cloud-format inbound text message webhook.
public func cloudInbound(from: String, timestamp: Int = 1_795_257_590, phoneNumberID: String = "106540352242922") -> String {
    #"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"\#(phoneNumberID)"},"contacts":[{"profile":{"name":"Kerry"},"wa_id":"\#(from)"}],"messages":[{"from":"\#(from)","id":"wamid.in\#(timestamp)","timestamp":"\#(timestamp)","type":"text","text":{"body":"hi"}}]}}]}]}"#
}

/// A plain GET (e.g. `/metrics` on the webhook listener).
public func httpGet(_ url: String) async throws -> (status: Int, body: [UInt8]) {
    let client = HTTPClient(eventLoopGroupProvider: .singleton)
    do {
        let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 4 << 20)
        try await client.shutdown()
        return (Int(response.status.code), Array(bytes.readableBytesView))
    } catch {
        try? await client.shutdown()
        throw error
    }
}
