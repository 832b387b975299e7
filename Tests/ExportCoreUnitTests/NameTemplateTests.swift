import ExportCore
import Testing

@Suite("Folder and file templates")
struct NameTemplateTests {
    @Test("a bad template is a config error naming the key")
    func badTemplate() {
        #expect(throws: NameTemplate.ParseError.self) { try NameTemplate(parsing: "{albm}", allowed: NameTemplate.folderPlaceholders) }
        #expect(throws: NameTemplate.ParseError.self) { try NameTemplate(parsing: "fixed", allowed: NameTemplate.folderPlaceholders) }
        #expect(throws: NameTemplate.ParseError.self) { try NameTemplate(parsing: "{album", allowed: NameTemplate.folderPlaceholders) }
        let t = try? NameTemplate(parsing: "../{album}/..", allowed: NameTemplate.folderPlaceholders)
        #expect(t?.folderPath(["album": "x"], date: nil) == "x")   // ".." components vanish: nothing escapes export_dir
    }
}
