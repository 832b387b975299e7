#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation

/// Just enough HTTP/1.1 for the Supervisor API: one plain-text GET, `Connection: close`, a
/// deadline for the whole exchange. Written on POSIX sockets so the binary does not link
/// FoundationNetworking (and with it libcurl and a TLS stack), which cost every process
/// several MB of resident memory for one request at start-up.
struct PlainHTTPClient: Sendable {
    struct Response: Sendable {
        var status: Int
        var body: Data
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    var timeout: TimeInterval

    func get(_ url: URL, headers: [(String, String)]) async throws(Failure) -> Response {
        let timeout = self.timeout
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Response, Failure>, Never>) in
            DispatchQueue.global(qos: .utility).async {
                continuation.resume(returning: Result { () throws(Failure) in try Self.blockingGet(url, headers: headers, timeout: timeout) })
            }
        }
        return try result.get()
    }

    private static func blockingGet(_ url: URL, headers: [(String, String)], timeout: TimeInterval) throws(Failure) -> Response {
        guard url.scheme == "http", let host = url.host, !host.isEmpty else {
            throw Failure(description: "only plain http:// URLs are supported, not \(url.absoluteString)")
        }
        let port = url.port ?? 80
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(timeout, 0.1) * 1e9)
        let fd = try connect(host: host, port: port, deadline: deadline)
        defer { close(fd) }

        var path = url.path.isEmpty ? "/" : url.path
        if let query = url.query { path += "?" + query }
        var request = "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            try wait(fd, for: Int16(POLLOUT), until: deadline)
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw Failure(description: "sending the request: \(String(cString: strerror(errno)))")
            }
            sent += n
        }

        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            try wait(fd, for: Int16(POLLIN), until: deadline)
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw Failure(description: "reading the answer: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            received.append(contentsOf: buffer[0..<n])
            if received.count > 1 << 20 { throw Failure(description: "the answer is larger than 1 MiB") }
        }
        return try parse(received)
    }

    /// Status line, headers, then the body as Content-Length, chunked or read-to-close says.
    static func parse(_ raw: Data) throws(Failure) -> Response {
        let separator = Data("\r\n\r\n".utf8)
        guard let end = raw.range(of: separator) else { throw Failure(description: "the answer has no complete HTTP header") }
        let head = String(decoding: raw[raw.startIndex..<end.lowerBound], as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ", maxSplits: 2)
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
            throw Failure(description: "not an HTTP answer: \(lines[0].prefix(60))")
        }
        var fields: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Data(raw[end.upperBound...])
        if fields["transfer-encoding"]?.lowercased().contains("chunked") == true {
            body = try dechunk(body)
        } else if let length = fields["content-length"].flatMap(Int.init) {
            guard body.count >= length else { throw Failure(description: "the answer ended early") }
            body = body.prefix(length)
        }
        return Response(status: status, body: body)
    }

    private static func dechunk(_ data: Data) throws(Failure) -> Data {
        var out = Data()
        var rest = data[...]
        let crlf = Data("\r\n".utf8)
        while true {
            guard let lineEnd = rest.range(of: crlf) else { throw Failure(description: "a chunked answer ended early") }
            let sizeText = String(decoding: rest[rest.startIndex..<lineEnd.lowerBound], as: UTF8.self)
                .split(separator: ";").first.map(String.init) ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw Failure(description: "a malformed chunk size")
            }
            if size == 0 { return out }
            let start = lineEnd.upperBound
            guard rest.distance(from: start, to: rest.endIndex) >= size + 2 else { throw Failure(description: "a chunked answer ended early") }
            let stop = rest.index(start, offsetBy: size)
            out.append(rest[start..<stop])
            rest = rest[rest.index(stop, offsetBy: 2)...]
        }
    }

    private static func connect(host: String, port: Int, deadline: UInt64) throws(Failure) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw Failure(description: "cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), info.pointee.ai_protocol)
            if fd < 0 { lastError = String(cString: strerror(errno)); continue }
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
            if errno == EINPROGRESS {
                do throws(Failure) {
                    try wait(fd, for: Int16(POLLOUT), until: deadline)
                    var code: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length)
                    if code == 0 { return fd }
                    lastError = String(cString: strerror(code))
                } catch {
                    lastError = error.description
                }
            } else {
                lastError = String(cString: strerror(errno))
            }
            close(fd)
        }
        throw Failure(description: "cannot connect to \(host):\(port): \(lastError)")
    }

    private static func wait(_ fd: Int32, for events: Int16, until deadline: UInt64) throws(Failure) {
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadline else { throw Failure(description: "timed out") }
            var p = pollfd(fd: fd, events: events, revents: 0)
            let n = poll(&p, 1, Int32(min((deadline - now) / 1_000_000 + 1, 60_000)))
            if n > 0 { return }
            if n < 0 && errno != EINTR { throw Failure(description: String(cString: strerror(errno))) }
        }
    }
}
