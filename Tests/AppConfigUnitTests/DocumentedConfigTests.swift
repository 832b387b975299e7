import AppConfig
import ExportCore
import Foundation
import Testing

@Suite("The documented config.yaml")
struct DocumentedConfigTests {
    static var repoRoot: String {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            url = url.deletingLastPathComponent()
        }
        return url.path
    }

    @Test("declares exactly the options the agent reads")
    func keys() throws {
        let text = try String(contentsOfFile: Self.repoRoot + "/config.yaml", encoding: .utf8)
        guard case let .map(pairs) = try ConfigValue.parseYAML(text) else {
            Issue.record("config.yaml is not a mapping")
            return
        }
        let documented = Set(pairs.map(\.0))
        let read = Set(OptionsFile.allKeys)
        #expect(documented == read)
    }

    @Test("every option is in the README's table")
    func readme() throws {
        let text = try String(contentsOfFile: Self.repoRoot + "/README.md", encoding: .utf8)
        for key in OptionsFile.allKeys { #expect(text.contains("`\(key)`"), "\(key)") }
    }
}
