import Foundation

/// The progress document's JSON, written directly instead of through `JSONEncoder` (the plain
/// path, `ProgressSnapshot.encodedData`). The document lists every album, and it is written twice
/// a second and sent to every open page: through the encoder its cost grew with the album count
/// to a share of the run's CPU (docs/benchmarks.md, "The progress document").
///
/// Same keys, values and layout as the encoder's sorted, pretty-printed output; a test decodes
/// both and compares them.
struct ProgressJSON {
    private var out: [UInt8] = []
    private let pretty: Bool
    /// Per open object or array, innermost last: nothing written into it yet.
    private var empty: [Bool] = []

    static func data(_ s: ProgressSnapshot, pretty: Bool) -> Data {
        var json = ProgressJSON(pretty: pretty)
        json.out.reserveCapacity(1024 + s.albums.count * (pretty ? 260 : 180))
        json.snapshot(s)
        return Data(json.out)
    }

    private init(pretty: Bool) { self.pretty = pretty }

    // MARK: - The document, keys in sorted order

    private mutating func snapshot(_ s: ProgressSnapshot) {
        object {
            $0.key("albums"); $0.array(s.albums) { $0.album($1) }
            $0.key("albums_total"); $0.int(s.albumsTotal)
            $0.key("bytes_copied"); $0.int(s.bytesCopied)
            $0.key("bytes_total"); $0.int(s.bytesTotal)
            $0.key("copied"); $0.int(s.copied)
            $0.key("current_album"); $0.string(s.currentAlbum)
            $0.key("current_file"); $0.string(s.currentFile)
            $0.key("deleted"); $0.int(s.deleted)
            $0.key("dry_run"); $0.bool(s.dryRun)
            $0.key("duration_seconds"); $0.tenths(s.durationSeconds)
            $0.key("error"); $0.string(s.error)
            $0.key("estimated_remaining"); $0.int(s.estimatedRemaining)
            $0.key("failed"); $0.int(s.failed)
            $0.key("failures"); $0.array(s.failures) { json, failure in
                json.object {
                    $0.key("path"); $0.string(failure.path)
                    $0.key("reason"); $0.string(failure.reason)
                }
            }
            $0.key("files_per_second"); $0.tenths(s.filesPerSecond)
            $0.key("finished_at"); $0.string(s.finishedAt)
            $0.key("guard"); $0.string(s.guardReason)
            $0.key("immich_version"); $0.string(s.immichVersion)
            $0.key("last_run"); $0.string(s.lastRun)
            $0.key("percent_copied"); $0.tenths(s.percentCopied)
            $0.key("phase"); $0.string(s.phase.rawValue)
            $0.key("preview"); $0.preview(s.preview)
            $0.key("run_id"); $0.string(s.runID)
            $0.key("running"); $0.bool(s.running)
            $0.key("schema"); $0.string(s.schema)
            $0.key("skipped"); $0.int(s.skipped)
            $0.key("started_at"); $0.string(s.startedAt)
            $0.key("status"); $0.string(s.status.rawValue)
            $0.key("total"); $0.int(s.total)
            $0.key("updated"); $0.int(s.updated)
        }
    }

    private mutating func album(_ a: ProgressSnapshot.AlbumProgress) {
        object {
            $0.key("copied"); $0.int(a.copied)
            $0.key("deleted"); $0.int(a.deleted)
            $0.key("failed"); $0.int(a.failed)
            $0.key("folder"); $0.string(a.folder)
            $0.key("id"); $0.string(a.id)
            $0.key("name"); $0.string(a.name)
            $0.key("skipped"); $0.int(a.skipped)
            $0.key("state"); $0.string(a.state)
            $0.key("total"); $0.int(a.total)
        }
    }

    private mutating func preview(_ p: ProgressSnapshot.Preview) {
        func list(_ json: inout ProgressJSON, _ list: ProgressSnapshot.PathList) {
            json.object {
                $0.key("count"); $0.int(list.count)
                $0.key("paths"); $0.array(list.paths) { $0.string($1) }
            }
        }
        object {
            $0.key("copy"); list(&$0, p.copy)
            $0.key("delete"); list(&$0, p.delete)
            $0.key("move"); list(&$0, p.move)
            $0.key("update"); list(&$0, p.update)
        }
    }

    // MARK: - Structure

    private mutating func object(_ body: (inout ProgressJSON) -> Void) {
        open("{")
        body(&self)
        close("}")
    }

    private mutating func array<T>(_ items: [T], _ element: (inout ProgressJSON, T) -> Void) {
        open("[")
        for item in items {
            separate()
            element(&self, item)
        }
        close("]")
    }

    private mutating func key(_ name: String) {
        separate()
        string(name)
        append(pretty ? " : " : ":")
    }

    private mutating func open(_ bracket: StaticString) {
        append(bracket)
        empty.append(true)
    }

    private mutating func close(_ bracket: StaticString) {
        let wasEmpty = empty.removeLast()
        if pretty {
            // An empty one gets a blank line inside, as the encoder writes it.
            if wasEmpty { out.append(UInt8(ascii: "\n")) }
            newline()
        }
        append(bracket)
    }

    /// Before a key or an array element: the comma after the previous one, and its line.
    private mutating func separate() {
        if empty[empty.count - 1] { empty[empty.count - 1] = false } else { out.append(UInt8(ascii: ",")) }
        if pretty { newline() }
    }

    private mutating func newline() {
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: empty.count * 2))
    }

    // MARK: - Values

    private mutating func int<I: BinaryInteger>(_ value: I?) {
        guard let value else { return append("null") }
        append(String(value))
    }

    private mutating func bool(_ value: Bool) { append(value ? "true" : "false") }

    /// Rounded to tenths, as the document shows rates and durations (`ProgressSnapshot.tenths`).
    private mutating func tenths(_ value: Double?) {
        guard let value, value.isFinite else { return append("null") }
        let rounded = ProgressSnapshot.tenths(value)
        // Whole numbers without a fraction ("12", not "12.0"), as the encoder writes them.
        if rounded == rounded.rounded(), abs(rounded) < 1e15 { return append(String(Int64(rounded))) }
        append(String(rounded))
    }

    private mutating func string(_ value: String?) {
        guard let value else { return append("null") }
        out.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case UInt8(ascii: "\n"): append("\\n")
            case UInt8(ascii: "\r"): append("\\r")
            case UInt8(ascii: "\t"): append("\\t")
            case 0x08: append("\\b")
            case 0x0C: append("\\f")
            case ..<0x20: append("\\u00" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16))
            default: out.append(byte)   // UTF-8 as it is; "/" unescaped
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    private mutating func append(_ text: String) {
        out.append(contentsOf: text.utf8)
    }
}
