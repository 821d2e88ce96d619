import Hummingbird

/// `GET /v1/openapi.json`: the OpenAPI 3.1 document of the socket API, embedded in the
/// binary from `Sources/OutboxDaemon/Resources/openapi.json`. `OpenAPITests` checks every
/// route of the router against it and validates real answers, so it cannot drift.
struct OpenAPIController: Sendable {
    static var document: [UInt8] { PackageResources.openapi_json }

    func addRoutes(to group: RouterGroup<BasicRequestContext>) {
        group.get("openapi.json") { _, _ -> Response in JSONResponse.make(bytes: Self.document) }
    }
}
