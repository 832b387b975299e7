import Foundation
@testable import ExportCore
import Synchronization
import Testing

@Suite("Temp names of staged copies")
struct TempNameTests {
    @Test("names made on many threads at once are all different, hidden, and recognised as ours")
    func uniqueAcrossThreads() {
        let perThread = 2_000, threads = 8
        let names = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            let mine = (0..<perThread).map { _ in FileCopier.tempPath(in: "/export/Album") }
            names.withLock { $0 += mine }
        }
        let all = names.withLock { $0 }
        #expect(all.count == threads * perThread)
        #expect(Set(all).count == all.count)
        for path in all.prefix(50) {
            #expect(path.hasPrefix("/export/Album/."))
            #expect(FileCopier.isTempName((path as NSString).lastPathComponent))
        }
    }
}
