import Hummingbird
import NIOCore

/// Request context that remembers who connected, for the peer check.
public struct WebContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// Answers 403 to anyone the policy does not allow, before any route runs.
struct PeerFilterMiddleware: RouterMiddleware {
    let policy: PeerPolicy

    func handle(_ request: Request, context: WebContext, next: (Request, WebContext) async throws -> Response) async throws -> Response {
        let ip = context.remoteAddress?.ipAddress
        guard policy.allows(ip) else {
            context.logger.warning("refused a connection from a peer that is not allowed", metadata: ["peer": "\(ip ?? "unknown")"])
            return Response(status: .forbidden, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: "403: only Home Assistant's ingress, loopback and web_allow networks may open this page\n")))
        }
        return try await next(request, context)
    }
}
