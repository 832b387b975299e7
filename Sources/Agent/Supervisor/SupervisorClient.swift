import Foundation
import Glibc
import NIOCore
import NIOHTTP1
import NIOPosix

/// The MQTT broker Home Assistant's Supervisor hands to add-ons that declare `services: [mqtt:need]`.
public struct SupervisorMQTTService: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var ssl: Bool
    public var username: String?
    public var password: String?

    /// Pure: decodes `{"result":"ok","data":{"host","port","ssl","username","password",...}}`.
    /// `port` arrives as a number or a string depending on the Supervisor version.
    public static func decode(_ data: Data) throws(SupervisorError) -> SupervisorMQTTService {
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw .badResponse("the answer is not a JSON object")
        }
        guard root["result"] as? String == "ok" else {
            let message = (root["message"] as? String).map { ": \($0)" } ?? ""
            throw .badResponse("result is \(root["result"] ?? "missing")\(message)")
        }
        guard let body = root["data"] as? [String: Any] else { throw .badResponse("no data object") }
        guard let host = body["host"] as? String, !host.isEmpty else { throw .badResponse("no broker host") }
        let port: Int?
        switch body["port"] {
        case let n as Int: port = n
        case let n as Double where n == n.rounded(): port = Int(n)
        case let s as String: port = Int(s.trimmingCharacters(in: .whitespaces))
        default: port = nil
        }
        guard let port, (1...65535).contains(port) else { throw .badResponse("no valid broker port") }
        let ssl = (body["ssl"] as? Bool) ?? false
        func text(_ key: String) -> String? { (body[key] as? String).flatMap { $0.isEmpty ? nil : $0 } }
        return SupervisorMQTTService(host: host, port: port, ssl: ssl, username: text("username"), password: text("password"))
    }
}

extension SupervisorMQTTService: CustomStringConvertible {
    /// Never shows the password.
    public var description: String {
        "\(ssl ? "mqtts" : "mqtt")://\(host):\(port)" + (username.map { " user=\($0)" } ?? "")
    }
}

public enum SupervisorError: Error, Equatable, CustomStringConvertible {
    case unreachable(String)
    case httpStatus(Int)
    case badResponse(String)

    public var description: String {
        switch self {
        case let .unreachable(reason): return "the Supervisor cannot be reached: \(reason)"
        case .httpStatus(403): return "the Supervisor refused the MQTT service (HTTP 403): the add-on needs `services: [mqtt:need]` in config.yaml"
        case let .httpStatus(code): return "the Supervisor answered HTTP \(code) for the MQTT service; is the Mosquitto broker add-on installed?"
        case let .badResponse(reason): return "unexpected Supervisor answer for the MQTT service: \(reason)"
        }
    }
}

/// Asks the Supervisor (`http://supervisor`) for services, authenticated with SUPERVISOR_TOKEN.
/// One GET through SwiftNIO's HTTP/1.1 codec on the process's shared event loops (the ones the
/// progress page serves on); `timeout` bounds the whole exchange.
public struct SupervisorClient: Sendable {
    public let baseURL: URL
    let token: String
    let timeout: TimeInterval

    /// The largest answer read; the MQTT service's is a few hundred bytes.
    static let maxAnswerBytes = 1 << 20

    public init(baseURL: URL = URL(string: "http://supervisor")!, token: String, timeout: TimeInterval = 10) {
        self.baseURL = baseURL
        self.token = token
        self.timeout = timeout
    }

    public func mqttService() async throws(SupervisorError) -> SupervisorMQTTService {
        let (status, body) = try await get("services/mqtt")
        guard status == 200 else { throw .httpStatus(status) }
        return try SupervisorMQTTService.decode(body)
    }

    private func get(_ path: String) async throws(SupervisorError) -> (status: Int, body: Data) {
        let url = baseURL.appendingPathComponent(path)
        guard url.scheme == "http", let host = url.host, !host.isEmpty else {
            throw .unreachable("only plain http:// URLs are supported, not \(url.absoluteString)")
        }
        let port = url.port ?? 80
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: url.path.isEmpty ? "/" : url.path)
        head.headers.add(name: "Host", value: host)
        head.headers.add(name: "Connection", value: "close")
        head.headers.add(name: "Authorization", value: "Bearer \(token)")
        head.headers.add(name: "Accept", value: "application/json")
        let milliseconds = Int64(max(timeout, 0.1) * 1000)
        do {
            let request = head
            return try await withDeadline(.milliseconds(milliseconds)) {
                try await Self.exchange(request, host: host, port: port, connectTimeout: .milliseconds(milliseconds))
            }
        } catch {
            throw .unreachable(Self.reason(error, endpoint: "\(host):\(port)"))
        }
    }

    /// Sends `head` on a new connection and reads the answer until its end.
    private static func exchange(_ head: HTTPRequestHead, host: String, port: Int, connectTimeout: TimeAmount) async throws -> (Int, Data) {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(connectTimeout)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            // One write: the Supervisor may answer and close as soon as it has the head.
            try await outbound.write(contentsOf: [.head(head), .end(nil)])
            var status = 0
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case let .head(response): status = Int(response.status.code)
                case var .body(chunk):
                    guard body.readableBytes + chunk.readableBytes <= maxAnswerBytes else { throw AnswerTooLarge() }
                    body.writeBuffer(&chunk)
                case .end: return (status, Data(body.readableBytesView))
                }
            }
            throw AnswerEndedEarly()
        }
    }

    private struct AnswerTooLarge: Error {}
    private struct AnswerEndedEarly: Error {}
    private struct TimedOut: Error {}

    /// `body`'s result, or `TimedOut` once `limit` has passed (the exchange is then cancelled).
    private func withDeadline<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                throw TimedOut()
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    /// What went wrong, in the words the agent logs.
    static func reason(_ error: any Error, endpoint: String) -> String {
        switch error {
        case is AnswerTooLarge: return "the answer is larger than 1 MiB"
        case is AnswerEndedEarly: return "the answer ended early"
        case is TimedOut, ChannelError.connectTimeout: return "timed out"
        case let io as IOError: return "cannot connect to \(endpoint): \(String(cString: strerror(io.errnoCode)))"
        case let failed as NIOConnectionError:
            if let first = failed.connectionErrors.first { return reason(first.error, endpoint: endpoint) }
            return "cannot resolve \(failed.host): \(failed.dnsAError.map { "\($0)" } ?? "no address")"
        default: return "\(endpoint): \(error)"
        }
    }
}
