import CLibPQ
import Dispatch
import Foundation
import Logging

/// A libpq connection. libpq is blocking and not thread-safe per connection, so every call on
/// the handle runs on one private serial queue; callers see async functions.
public final class PostgresConnection: @unchecked Sendable {
    private let handle: OpaquePointer
    private let queue: DispatchQueue
    private let logger: Logger
    public let configuration: PostgresConfiguration
    private var closed = false  // only touched on `queue`

    private init(handle: OpaquePointer, queue: DispatchQueue, configuration: PostgresConfiguration, logger: Logger) {
        self.handle = handle
        self.queue = queue
        self.configuration = configuration
        self.logger = logger
    }

    deinit {
        if !closed { PQfinish(handle) }
    }

    /// Opens a session. Fails with a classified `PostgresError.connectFailed`.
    public static func connect(_ configuration: PostgresConfiguration, logger: Logger) async throws -> PostgresConnection {
        let queue = DispatchQueue(label: "immich-export.postgres")
        let handle = try await onQueue(queue) { () throws -> ConnectionHandle in
            let params = configuration.libpqParameters
            let conn = withCStringArray(params.map(\.0)) { keys in
                withCStringArray(params.map(\.1)) { values in
                    PQconnectdbParams(keys, values, 0)
                }
            }
            guard let conn else {
                throw PostgresError.connectFailed(.other, target: configuration.redactedDescription, message: "out of memory")
            }
            if PQstatus(conn) != CONNECTION_OK {
                let message = lastError(conn)
                PQfinish(conn)
                throw PostgresError.connectFailed(
                    PostgresError.classifyConnectMessage(message), target: configuration.redactedDescription,
                    message: message)
            }
            // Server notices ("there is no transaction in progress") would go to stderr by default.
            PQsetNoticeProcessor(conn, { _, _ in }, nil)
            return ConnectionHandle(pointer: conn)
        }
        logger.debug("connected to PostgreSQL", metadata: ["db": "\(configuration.redactedDescription)"])
        return PostgresConnection(handle: handle.pointer, queue: queue, configuration: configuration, logger: logger)
    }

    /// Runs one statement with text parameters and returns all rows. For small results only;
    /// use `cursor` for anything that grows with the library.
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = []) async throws -> PostgresResult {
        try await run { try self.execute(sql, parameters) }
    }

    /// Runs a script of several statements (simple protocol, no parameters) — fixtures and setup.
    public func execute(script: String) async throws {
        _ = try await run {
            guard let raw = PQexec(self.handle, script) else {
                throw PostgresError.connectionLost(message: Self.lastError(self.handle))
            }
            let result = PostgresResult(taking: raw)
            let status = PQresultStatus(raw)
            guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY else {
                let message = PQresultErrorMessage(raw).map { String(cString: $0) } ?? "unknown error"
                throw PostgresError.queryFailed(sqlState: nil, message: message.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            return result
        }
    }

    /// Streams the rows of `sql` in batches of `batchSize` through a server-side cursor inside a
    /// read-only transaction, so memory stays flat however many rows there are. While the
    /// consumer works on one batch the next one is already being fetched (at most one ahead):
    /// the server and the consumer run side by side instead of taking turns. Fetching starts
    /// when the stream is created. `binary`: rows in PostgreSQL's binary format (read numbers
    /// with `int64`, timestamps with `unixMicros`; text columns read the same either way).
    public func cursor(_ sql: String, _ parameters: [String?] = [], batchSize: Int = 2000,
                       binary: Bool = false) -> AsyncThrowingStream<PostgresResult, Error> {
        cursor(sql, parameters, batchSize: batchSize, binary: binary, decode: { $0 })
    }

    /// `cursor`, with each batch turned into `T` by `decode` as part of fetching it: the next
    /// batches (`ahead` of them) are fetched and decoded while the consumer works on this one,
    /// not by the consumer in between.
    public func cursor<T: Sendable>(_ sql: String, _ parameters: [String?] = [], batchSize: Int = 2000, binary: Bool = false,
                                    ahead depth: Int = 1,
                                    decode: @escaping @Sendable (PostgresResult) -> T) -> AsyncThrowingStream<T, Error> {
        let state = CursorState<T>()
        let fetch: @Sendable () async throws -> T? = { [self] in
            let batch = try await self.run { () -> PostgresResult? in
                if state.finished { return nil }
                if !state.opened {
                    _ = try self.execute("BEGIN READ ONLY", [])
                    state.opened = true
                    _ = try self.execute("DECLARE immich_export_cursor NO SCROLL CURSOR FOR " + sql, parameters)
                }
                let batch = try self.execute("FETCH FORWARD \(batchSize) FROM immich_export_cursor", [], binary: binary)
                if batch.rowCount == 0 {
                    state.finished = true
                    _ = try self.execute("CLOSE immich_export_cursor", [])
                    _ = try self.execute("COMMIT", [])
                    return nil
                }
                return batch
            }
            return batch.map(decode)
        }
        // The first batch is asked for at once: the server plans and sorts while the caller
        // still prepares. `unfolding` calls its closure one call at a time, so `ahead` needs no
        // lock. Each fetch waits for the one before it, so batches arrive in order.
        func fetchAfter(_ previous: Task<T?, Error>?) -> Task<T?, Error> {
            Task {
                if let previous, try await previous.value == nil { return nil }
                return try await fetch()
            }
        }
        state.ahead = [fetchAfter(nil)]
        return AsyncThrowingStream(unfolding: {
            let current = state.ahead.removeFirst()   // never empty: topped up to `depth` ≥ 1 below
            while state.ahead.count < max(1, depth) { state.ahead.append(fetchAfter(state.ahead.last ?? current)) }
            guard let batch = try await current.value else { return nil }
            return batch
        })
    }

    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                if !self.closed {
                    PQfinish(self.handle)
                    self.closed = true
                }
                continuation.resume()
            }
        }
    }

    // MARK: - On the queue

    private func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await Self.onQueue(queue) {
            if self.closed { throw PostgresError.connectionLost(message: "connection already closed") }
            return try body()
        }
    }

    private func execute(_ sql: String, _ parameters: [String?], binary: Bool = false) throws -> PostgresResult {
        let raw: OpaquePointer? = withOptionalCStringArray(parameters) { values in
            PQexecParams(handle, sql, Int32(parameters.count), nil, values, nil, nil, binary ? 1 : 0)
        }
        guard let raw else {
            throw PostgresError.connectionLost(message: Self.lastError(handle))
        }
        let result = PostgresResult(taking: raw)
        switch PQresultStatus(raw) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return result
        default:
            if PQstatus(handle) != CONNECTION_OK {
                throw PostgresError.connectionLost(message: Self.lastError(handle))
            }
            let state = PQresultErrorField(raw, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let message = PQresultErrorMessage(raw).map { String(cString: $0) } ?? "unknown error"
            throw PostgresError.queryFailed(sqlState: state, message: message.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    private static func lastError(_ conn: OpaquePointer) -> String {
        let text = PQerrorMessage(conn).map { String(cString: $0) } ?? "unknown error"
        // libpq messages span lines ("connection to server ... failed: FATAL: ..."); one line reads better.
        return text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
    }

    private static func onQueue<T: Sendable>(_ queue: DispatchQueue, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try body() })
            }
        }
    }
}

/// Carries the raw handle from the queue back to the caller once, before any other use.
private struct ConnectionHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// Mutable cursor bookkeeping, only touched on the connection's queue.
private final class CursorState<T: Sendable>: @unchecked Sendable {
    // `opened`/`finished`: only touched on the connection's queue.
    var opened = false
    var finished = false
    /// The batches being fetched (and decoded) ahead of the consumer, oldest first.
    var ahead: [Task<T?, Error>] = []
}

private func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let duplicated: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer { duplicated.forEach { free($0) } }
    var pointers: [UnsafePointer<CChar>?] = duplicated.map { $0.map { UnsafePointer($0) } }
    pointers.append(nil)
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

private func withOptionalCStringArray<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    if strings.isEmpty { return body(nil) }
    let duplicated: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0) } ?? nil }
    defer { duplicated.forEach { free($0) } }
    let pointers: [UnsafePointer<CChar>?] = duplicated.map { $0.map { UnsafePointer($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}
