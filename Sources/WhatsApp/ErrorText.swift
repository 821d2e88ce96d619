import AsyncHTTPClient

/// Text for an error of the HTTP stack that can never carry a secret. `HTTPClientError`'s
/// `description` prints its associated values, and `invalidHeaderFieldValues` holds the
/// header values it refused, the `D360-API-KEY` among them; its `shortDescription` is a
/// fixed text per case. Every error that may reach the database, a log or an answer goes
/// through here.
public enum ErrorText {
    public static func describe(_ error: any Error) -> String {
        if let e = error as? HTTPClientError { return e.shortDescription }
        return "\(error)"
    }
}
