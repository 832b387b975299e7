import AsyncHTTPClient
import Foundation
import Glibc
import NIOCore

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
/// One GET through AsyncHTTPClient on the process's shared event loops; `timeout` bounds the
/// whole exchange, and a refused connection fails at once instead of being retried until then.
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
        var request = HTTPClientRequest(url: url.absoluteString)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: "application/json")
        let limit = TimeAmount.milliseconds(Int64(max(timeout, 0.1) * 1000))
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: limit, read: limit))
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        let result: Result<(Int, Data), SupervisorError>
        do {
            let response = try await client.execute(request, deadline: .now() + limit)
            let body = try await response.body.collect(upTo: Self.maxAnswerBytes)
            result = .success((Int(response.status.code), Data(body.readableBytesView)))
        } catch {
            result = .failure(.unreachable(Self.reason(error, url: url)))
        }
        try? await client.shutdown()
        return try result.get()
    }

    /// What went wrong, in the words the agent logs.
    static func reason(_ error: any Error, url: URL) -> String {
        let endpoint = "\(url.host ?? "?"):\(url.port ?? 80)"
        if error is NIOTooManyBytesError { return "the answer is larger than 1 MiB" }
        if let io = error as? IOError { return "cannot connect to \(endpoint): \(String(cString: strerror(io.errnoCode)))" }
        switch error as? HTTPClientError {
        case .connectTimeout?, .deadlineExceeded?, .readTimeout?: return "timed out"
        default: return "\(endpoint): \(error)"
        }
    }
}
