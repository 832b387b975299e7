@testable import Agent
import Foundation
import Glibc
import Testing

/// The Supervisor client over real loopback HTTP (a one-shot server in this process, or a port
/// nobody listens on). Servers that answer at once get a 30 s deadline: a bound for a loaded
/// machine (a full suite starts dozens of servers together), not a timing.
@Suite("Supervisor client over HTTP")
struct SupervisorClientTests {
    @Test func clientAsksTheSupervisorWithTheToken() async throws {
        let server = try OneShotHTTPServer(response: #"{"result":"ok","data":{"host":"core-mosquitto","port":"1883","ssl":false,"username":"addons","password":"pw"}}"#)
        let client = SupervisorClient(baseURL: URL(string: "http://127.0.0.1:\(server.port)")!, token: "tok-123", timeout: 30)
        let service = try await client.mqttService()
        #expect(service == SupervisorMQTTService(host: "core-mosquitto", port: 1883, ssl: false, username: "addons", password: "pw"))
        let request = await server.request()
        #expect(request.hasPrefix("GET /services/mqtt HTTP/1.1"))
        #expect(request.lowercased().contains("authorization: bearer tok-123"))
    }

    @Test func forbiddenNamesTheMissingServiceDeclaration() async throws {
        let server = try OneShotHTTPServer(response: #"{"result":"error"}"#, status: "403 Forbidden")
        let client = SupervisorClient(baseURL: URL(string: "http://127.0.0.1:\(server.port)")!, token: "t", timeout: 30)
        await #expect(throws: SupervisorError.httpStatus(403)) { try await client.mqttService() }
        #expect(SupervisorError.httpStatus(403).description.contains("mqtt:need"))
        _ = await server.request()
    }
}

@Suite("Supervisor HTTP answers")
struct SupervisorHTTPAnswerTests {
    static let service = #"{"result":"ok","data":{"host":"h","port":1883}}"#

    func ask(_ raw: String) async throws -> Result<SupervisorMQTTService, SupervisorError> {
        let server = try OneShotHTTPServer(raw: raw)
        let client = SupervisorClient(baseURL: URL(string: "http://127.0.0.1:\(server.port)")!, token: "t", timeout: 30)
        do { return .success(try await client.mqttService()) } catch { return .failure(error) }
    }

    @Test("content-length, chunked and read-to-close bodies")
    func bodies() async throws {
        let expected = SupervisorMQTTService(host: "h", port: 1883, ssl: false)
        let fixed = "HTTP/1.1 200 OK\r\nContent-Length: \(Self.service.utf8.count)\r\n\r\n\(Self.service)"
        #expect(try await ask(fixed).get() == expected)
        let half = Self.service.utf8.count / 2
        let (head, tail) = (String(Self.service.prefix(half)), String(Self.service.dropFirst(half)))
        let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "\(String(head.utf8.count, radix: 16));x=y\r\n\(head)\r\n\(String(tail.utf8.count, radix: 16))\r\n\(tail)\r\n0\r\n\r\n"
        #expect(try await ask(chunked).get() == expected)
        #expect(try await ask("HTTP/1.0 200 OK\r\nServer: x\r\n\r\n\(Self.service)").get() == expected)
        #expect(try await ask("HTTP/1.0 403 Forbidden\r\nServer: x\r\n\r\nno") == .failure(.httpStatus(403)))
    }

    @Test("a garbled or cut answer is an error, never a broker")
    func brokenAnswers() async throws {
        for raw in ["garbage\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 90\r\n\r\n\(Self.service)"] {
            guard case let .failure(.unreachable(reason)) = try await ask(raw) else {
                Issue.record("\(raw): expected the Supervisor to count as unreachable")
                continue
            }
            #expect(!reason.isEmpty)
        }
    }

    @Test("a Supervisor that accepts and never answers times out at the deadline")
    func silent() async throws {
        // Listening without ever accepting: the kernel completes the connection, nobody answers.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        } && listen(fd, 1) == 0
        try #require(listening)
        let client = SupervisorClient(baseURL: URL(string: "http://127.0.0.1:\(UInt16(bigEndian: address.sin_port))")!, token: "t", timeout: 1)
        let started = ContinuousClock.now
        await #expect(throws: SupervisorError.unreachable("timed out")) { try await client.mqttService() }
        #expect(ContinuousClock.now - started < .seconds(30))   // a bound for a loaded machine, not a timing
    }

    @Test("an unreachable Supervisor is a clear error, not a wait for the timeout")
    func unreachable() async throws {
        // A loopback port nobody listens on: refused at once, so the answer names the refusal
        // (a hang would end in "timed out" after the 20 s deadline instead).
        let client = SupervisorClient(baseURL: URL(string: "http://127.0.0.1:1")!, token: "t", timeout: 20)
        do {
            _ = try await client.mqttService()
            Issue.record("expected an error")
        } catch {
            guard case let .unreachable(reason) = error else { Issue.record("wrong error \(error)"); return }
            #expect(reason.contains("127.0.0.1:1"))
            #expect(reason.lowercased().contains("refused"), "\(reason)")
        }
    }
}
