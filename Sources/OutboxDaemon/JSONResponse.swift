import Foundation
import Hummingbird
import NIOCore
import OutboxAPI

/// JSON answers of the socket API.
enum JSONResponse {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A JSON document already written.
    static func make(bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func error(_ e: APIErrorBody) -> Response {
        make(e, status: HTTPResponse.Status(code: e.error.code.httpStatus))
    }

    static func error(_ code: APIErrorCode, _ message: String, field: String? = nil) -> Response {
        error(APIErrorBody(code, message, field: field))
    }
}
