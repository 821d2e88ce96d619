import Hummingbird
import OutboxAPI

/// `POST /v1/reload`: re-reads the config file, as SIGHUP does, and answers what changed;
/// a config that cannot be used is `422 invalid_config` with the loader's message.
struct ReloadController: Sendable {
    let reloader: Reloader

    func addRoutes(to group: RouterGroup<BasicRequestContext>) {
        group.post("reload", use: reload)
    }

    @Sendable func reload(_ request: Request, context: BasicRequestContext) async throws -> Response {
        do {
            return JSONResponse.make(try await reloader.reload(source: "socket"))
        } catch {
            switch error {
            case .noConfigFile, .config: return JSONResponse.error(.invalidConfig, error.description)
            case .store: return JSONResponse.error(.unavailable, error.description)
            }
        }
    }
}
