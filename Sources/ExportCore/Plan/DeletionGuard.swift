/// When deleting is allowed. The rules are the ones of the add-on this replaces, so users keep
/// the same safety net: a missing or half-mounted library must never empty the export.
public struct GuardRule: Sendable, Equatable {
    public var minFoundAbsolute: Int
    public var minFoundFraction: Double

    public init(minFoundAbsolute: Int = 100, minFoundFraction: Double = 0.05) {
        self.minFoundAbsolute = minFoundAbsolute
        self.minFoundFraction = minFoundFraction
    }
}

public enum GuardDecision: Sendable, Equatable {
    case allow
    case hold(reason: String)

    public var reason: String? {
        if case let .hold(reason) = self { return reason }
        return nil
    }
}

public enum DeletionGuard {
    public struct Facts: Sendable, Equatable {
        public var assetsRootAvailable: Bool
        public var assetsRootEmpty: Bool
        public var expected: Int
        public var found: Int
        public var runCompleted: Bool

        public init(assetsRootAvailable: Bool, assetsRootEmpty: Bool, expected: Int, found: Int, runCompleted: Bool) {
            self.assetsRootAvailable = assetsRootAvailable
            self.assetsRootEmpty = assetsRootEmpty
            self.expected = expected
            self.found = found
            self.runCompleted = runCompleted
        }
    }

    public static func decide(_ facts: Facts, rule: GuardRule, assetsRoot: String) -> GuardDecision {
        if !facts.runCompleted {
            return .hold(reason: "run did not complete; cleanup skipped")
        }
        if !facts.assetsRootAvailable {
            return .hold(reason: "assets_root \(assetsRoot) is not available — is the Immich share mounted?")
        }
        if facts.assetsRootEmpty {
            return .hold(reason: "assets_root \(assetsRoot) is empty — is the Immich share mounted?")
        }
        if facts.found == 0 {
            return .hold(reason: facts.expected == 0
                ? "no album assets to export; cleanup skipped so an empty query never empties the export"
                : "none of the \(facts.expected) source files were found under \(assetsRoot) — check assets_root and path_map")
        }
        let fraction = facts.expected > 0 ? Double(facts.found) / Double(facts.expected) : 1
        if facts.found < rule.minFoundAbsolute && fraction < rule.minFoundFraction {
            let percent = String(format: "%.1f", fraction * 100)
            return .hold(reason: "only \(facts.found) of \(facts.expected) source files found (\(percent)%, below min_found_abs \(rule.minFoundAbsolute) and min_found_fraction \(rule.minFoundFraction)) — check the share")
        }
        return .allow
    }
}
