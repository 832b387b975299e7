import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A loopback HTTP server that answers exactly one request with a fixed response, standing in
/// for the Supervisor. Runs on its own thread; the socket closes after that one answer.
final class OneShotHTTPServer: @unchecked Sendable {
    let port: Int
    private let fd: Int32
    private let lock = NSLock()
    private var received: String?

    convenience init(response body: String, status: String = "200 OK") throws {
        try self.init(raw: "HTTP/1.1 \(status)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
    }

    /// Answers with `response` exactly as given (status line, headers and body), then closes.
    init(raw response: String) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound, listen(fd, 1) == 0 else { close(fd); throw ObserverError("cannot listen on loopback") }
        port = Int(UInt16(bigEndian: address.sin_port))
        let listener = fd
        Thread.detachNewThread { [self] in
            defer { close(listener) }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            defer { close(connection) }
            var request = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !request.containsHeaderEnd {
                let n = read(connection, &buffer, buffer.count)
                if n <= 0 { break }
                request += buffer[0..<n]
            }
            lock.withLock { received = String(decoding: request, as: UTF8.self) }
            _ = response.withCString { write(connection, $0, strlen($0)) }
        }
    }

    /// The raw request once it has arrived ("" after 5 s without one).
    func request() async -> String {
        for _ in 0..<250 {
            if let r = lock.withLock({ received }) { return r }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return ""
    }
}

private extension Array where Element == UInt8 {
    var containsHeaderEnd: Bool {
        count >= 4 && (0...(count - 4)).contains { self[$0] == 13 && self[$0 + 1] == 10 && self[$0 + 2] == 13 && self[$0 + 3] == 10 }
    }
}
