/// Failures that stop a run before any file is touched.
public enum CatalogError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownSchema(missing: [String])
    case userNotFound(String)

    public var description: String {
        switch self {
        case let .unknownSchema(missing):
            return "this database does not look like a supported Immich schema (missing: \(missing.joined(separator: ", "))) — check db_name points at Immich's database; newer Immich versions may need a newer immich-export"
        case let .userNotFound(id):
            return "immich_user_id \(id) is not a user in this Immich database — copy the id from Immich's Administration → Users page, or leave it empty for all users"
        }
    }
}
