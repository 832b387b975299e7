#if canImport(Glibc)
import Glibc
#endif
import Dispatch

/// Turns SIGINT/SIGTERM into a callback instead of killing the process mid-copy.
final class SignalWatcher: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []

    init(signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
        for sig in signals {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { handler(sig) }
            source.resume()
            sources.append(source)
        }
    }

    func stop() { sources.forEach { $0.cancel() } }
}
