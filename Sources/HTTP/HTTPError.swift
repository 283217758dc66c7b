import CLibCurl

/// Why a request got no response: the URL, the name, the connection, the time limit or TLS.
///
/// A response with any status, 404 or 500 included, is not an error: it is an
/// ``HTTPResponse``.
public struct HTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What failed, for callers to decide on (retry a time-out, not a bad URL).
    public enum Kind: Sendable, Equatable {
        /// The URL is malformed, or its scheme is not `http` or `https`.
        case invalidURL
        /// The host (or proxy) name does not resolve.
        case couldNotResolve
        /// Nothing accepted the connection (refused, unreachable).
        case couldNotConnect
        /// The request's `timeout` or `connectTimeout` passed.
        case timedOut
        /// TLS failed: the handshake, or the server's certificate did not verify.
        case tls
        /// Anything else: the connection broke, the response was not HTTP, ….
        case other
    }

    /// What failed.
    public let kind: Kind
    /// curl's text for the failure (`CURLOPT_ERRORBUFFER`, else `curl_easy_strerror`);
    /// never a header's value or the body.
    public let message: String

    /// An error; for tests of code that handles them.
    ///
    /// - Parameters:
    ///   - kind: what failed.
    ///   - message: the text for people; must hold no secret.
    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    /// The kind and the message: `could not connect: Failed to connect to 127.0.0.1 port 9: Connection refused`.
    public var description: String {
        "\(kind.phrase): \(message)"
    }
}

extension HTTPError.Kind {
    /// The kind in words, as ``HTTPError/description`` begins.
    var phrase: String {
        switch self {
        case .invalidURL: "invalid URL"
        case .couldNotResolve: "could not resolve the host"
        case .couldNotConnect: "could not connect"
        case .timedOut: "timed out"
        case .tls: "TLS failed"
        case .other: "HTTP request failed"
        }
    }

    /// The kind of a curl result other than `CURLE_OK`.
    init(_ code: CURLcode) {
        switch code {
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            self = .invalidURL
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            self = .couldNotResolve
        case CURLE_COULDNT_CONNECT:
            self = .couldNotConnect
        case CURLE_OPERATION_TIMEDOUT:
            self = .timedOut
        case CURLE_SSL_CONNECT_ERROR, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
            CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_PEER_FAILED_VERIFICATION, CURLE_USE_SSL_FAILED,
            CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_SHUTDOWN_FAILED,
            CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
            CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT:
            self = .tls
        default:
            self = .other
        }
    }
}
