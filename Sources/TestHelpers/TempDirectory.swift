import Foundation

/// Fresh folders under the temporary directory, for tests that need real files.
public enum TempDirectory {
    public struct Failure: Error, CustomStringConvertible {
        public var errno: Int32
        public var description: String { "mkdtemp failed: \(String(cString: strerror(errno)))" }
    }

    /// A new, empty folder named `prefix.XXXXXX` (the caller removes it).
    public static func make(_ prefix: String) throws -> String {
        var template = Array((NSTemporaryDirectory() + "/\(prefix).XXXXXX").utf8CString)
        guard let result = mkdtemp(&template) else { throw Failure(errno: errno) }
        return String(cString: result)
    }
}
