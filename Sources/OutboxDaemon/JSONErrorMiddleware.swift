import Hummingbird
import NIOCore
import OutboxAPI

/// Makes every error answer of a listener the API's JSON error shape
/// (`{"error": {"code", "message"}}`): an unknown route (404), a known route asked with
/// another method (405, with `Allow`), a body over a cap (413), and anything a handler threw
/// (500) instead of Hummingbird's empty bodies. Add it to a router before its routes (a
/// middleware wraps only what is added after it), and call `addMethodNotAllowed` after them.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let e as APIErrorBody {
            return JSONResponse.error(e)
        } catch let e as HTTPError {
            let code: APIErrorCode = switch e.status.code {
            case 404: .notFound
            case 405: .methodNotAllowed
            case 413: .bodyTooLarge
            case 401: .unauthorized
            case 400..<500: .invalidField
            case 503: .unavailable
            default: .internalError
            }
            let message = e.status.code == 404 ? "no route \(request.method) \(Self.shown(request.uri.path))" : e.body ?? e.status.reasonPhrase
            return JSONResponse.error(code, message)
        } catch is NIOTooManyBytesError {
            return JSONResponse.error(.bodyTooLarge, "the body is larger than this route takes")
        } catch {
            return JSONResponse.error(.internalError, "the request failed inside the daemon: \(type(of: error))")
        }
    }

    /// A path as an error message shows it: at most 200 bytes (it came from the client).
    static func shown(_ path: String) -> String {
        path.utf8.count <= 200 ? path : String(decoding: path.utf8.prefix(200), as: UTF8.self) + "..."
    }
}

extension Router {
    /// For every path the router serves, answers the methods it does not serve with
    /// `405 method_not_allowed` and an `Allow` header (Hummingbird answers them 404).
    func addMethodNotAllowed() {
        let methods: [HTTPRequest.Method] = [.get, .post, .put, .delete, .patch, .head, .options]
        var served: [String: (path: RouterPath, methods: Set<HTTPRequest.Method>)] = [:]
        for route in routes { served[route.path.description, default: (route.path, [])].methods.insert(route.method) }
        for (path, allowed) in served.values {
            let allow = allowed.map(\.rawValue).sorted().joined(separator: ", ")
            for method in methods where !allowed.contains(method) {
                on(path, method: method) { request, _ -> Response in
                    var response = JSONResponse.error(.methodNotAllowed, "\(request.method) is not served here; \(Self.shownPath(request.uri.path)) takes \(allow)")
                    response.headers[.allow] = allow
                    return response
                }
            }
        }
    }

    private static func shownPath(_ path: String) -> String { JSONErrorMiddleware<Context>.shown(path) }
}
