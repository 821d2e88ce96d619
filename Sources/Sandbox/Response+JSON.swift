import HTTPTypes
import Hummingbird

extension Response {
    /// A JSON answer with the given status; `Retry-After` in seconds when asked for.
    static func json(status: Int, body: String, retryAfterSeconds: Int? = nil) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfterSeconds {
            headers[.retryAfter] = String(retryAfterSeconds)
        }
        return Response(
            status: HTTPResponse.Status(code: status),
            headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(string: body))
        )
    }
}

extension HTTPField.Name {
    /// 360dialog's authentication header.
    static let d360APIKey = HTTPField.Name("D360-API-KEY")!
}
