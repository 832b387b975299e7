@testable import ExportCore
import Testing

@Suite("IMMICH_EXPORT_PLAIN: which tricks take their plain path")
struct TuningTests {
    @Test("unset or empty uses every trick; a list names tricks; all names every one; unknown names are ignored")
    func parsing() {
        #expect(Tuning.parse(nil).isEmpty)
        #expect(Tuning.parse("").isEmpty)
        #expect(Tuning.parse("copy") == [.copy])
        #expect(Tuning.parse("manifest, process") == [.manifest, .process])
        #expect(Tuning.parse("progress") == [.progressJSON])
        #expect(Tuning.parse("all") == Set(Tuning.Trick.allCases))
        #expect(Tuning.parse("copy,turbo") == [.copy])
    }
}
