import Foundation

/// What the source file looks like right now (from one stat).
public struct SourceState: Sendable, Equatable {
    public var size: Int64
    /// Whole seconds since 1970.
    public var mtime: Int64
    public init(size: Int64, mtime: Int64) {
        self.size = size
        self.mtime = mtime
    }
}

/// An entry found in an album folder (from one readdir + lstat).
public struct TargetEntry: Sendable, Equatable {
    public var name: String
    public var size: Int64
    public var mtime: Int64
    public var isRegularFile: Bool
    public var isDirectory: Bool
    /// For a symlink: where it points (read only in symlink mode).
    public var linkTarget: String?
    public init(name: String, size: Int64, mtime: Int64, isRegularFile: Bool, isDirectory: Bool = false, linkTarget: String? = nil) {
        self.name = name
        self.size = size
        self.mtime = mtime
        self.isRegularFile = isRegularFile
        self.isDirectory = isDirectory
        self.linkTarget = linkTarget
    }
}

/// One asset of one album, with what the effects layer found out about its source.
public struct FileCandidate: Sendable {
    public var asset: CatalogAsset
    /// The source on this machine. A run leaves it nil when the source was found and the mode
    /// does not need it for planning (`ExportRun.sourcePath(of:mapper:)` maps it for a copy).
    public var sourcePath: String?
    /// nil: the source is missing; `sourceProblem` says why.
    public var source: SourceState?
    public var sourceProblem: String?

    public init(asset: CatalogAsset, sourcePath: String?, source: SourceState?, sourceProblem: String?) {
        self.asset = asset
        self.sourcePath = sourcePath
        self.source = source
        self.sourceProblem = sourceProblem
    }

    /// The mtime the exported file gets: Immich's fileModifiedAt, else the source's own.
    var targetMtime: Int64? {
        if let micros = asset.modifiedMicros { return micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000 }
        return source?.mtime
    }

    /// `.missingSource` when the source was not found (or gives no mtime for the file), else nil.
    var missingSource: FileAction? {
        source != nil && targetMtime != nil ? nil : .missingSource(sourceProblem ?? "source file not found")
    }
}

public enum FileAction: Sendable, Equatable {
    /// New file.
    case copy
    /// Ours, but the source changed.
    case update
    /// Ours and identical.
    case skip
    /// An identical file we did not record (an earlier exporter, or a crash before our journal
    /// line): taken over without copying.
    case adopt
    /// Source not found or unreadable; an earlier export of it is kept.
    case missingSource(String)
}

public struct PlannedFile: Sendable {
    public var candidate: FileCandidate
    /// Final name in the album folder; nil only for a missing source that has no earlier export.
    public var name: String?
    public var action: FileAction
    /// The stale asset of this album whose file this one takes over (its record moves over).
    public var replacesAssetID: String? = nil
}

/// Decides, for one album folder, the file name and action of every asset. Pure.
public enum FilePlanner {
    public struct Input: Sendable {
        public var albumID: String
        public var candidates: [FileCandidate]
        /// Entries currently in the folder, by exact name.
        public var listing: [String: TargetEntry]
        /// Files this album owned after the last run: assetID → file.
        public var owned: OwnedFiles
        /// Every owned name in this folder (any album) by collision key.
        public var ownedInFolder: [String: (albumID: String, assetID: String)]
        /// When set, `ownedInFolder` is built from these albums' files, and only if a new name
        /// meets a file already in the folder (an album that only gained assets never needs it).
        var folderOwners: [(albumID: String, files: OwnedFiles)]?
        public var mode: ExportMode
        /// Absolute folder path (symlink targets are relative to it).
        public var folderPath: String
        /// `file_template`; nil = the original file name.
        public var fileTemplate: NameTemplate? = nil
        /// Collision keys already taken in this folder (companions are planned after their assets).
        public var alreadyClaimed: Set<String> = []
        /// Names are used exactly as given (companions derive theirs from their asset's).
        public var namesAreFinal = false

        public init(albumID: String, candidates: [FileCandidate], listing: [String: TargetEntry],
                    owned: OwnedFiles, ownedInFolder: [String: (albumID: String, assetID: String)],
                    mode: ExportMode = .copy, folderPath: String = "") {
            self.albumID = albumID
            self.candidates = candidates
            self.listing = listing
            self.owned = owned
            self.ownedInFolder = ownedInFolder
            self.mode = mode
            self.folderPath = folderPath
        }

        /// Is `entry` already exactly what this mode would make for `c`?
        func isCurrent(_ entry: TargetEntry, for c: borrowing FileCandidate) -> Bool {
            guard let source = c.source, let mtime = c.targetMtime else { return false }
            switch mode {
            case .copy, .reflink:
                return entry.isRegularFile && entry.size == source.size && entry.mtime == mtime
            case .hardlink:
                // A link shares the library file's inode, so it shows the source's own mtime.
                return entry.isRegularFile && entry.size == source.size && entry.mtime == source.mtime
            case .symlink:
                guard let path = c.sourcePath, let target = entry.linkTarget else { return false }
                return target == FilePlacer.relativePath(from: folderPath, to: path)
            }
        }
    }

    public static func plan(_ input: Input) -> [PlannedFile] {
        var input = input
        return plan(moving: &input)
    }

    /// `plan`, moving the candidates into the result (`input.candidates` is empty afterwards):
    /// copying them would retain every string in them, and a re-run plans every asset.
    static func plan(moving input: inout Input) -> [PlannedFile] {
        var planning = Planning(takingCandidatesOf: &input)
        planning.keepOwnedNames()
        planning.pickFreeNames()
        return planning.joinDecisionsWithCandidates()
    }

    /// The sanitized name an asset wants before de-duplication.
    static func preferredName(_ c: borrowing FileCandidate, _ template: NameTemplate?) -> String {
        guard let template, template.source != "{original}" else { return NameSanitizer.fileName(c.asset.originalFileName) }
        let date = c.asset.capturedMicros.map { Date(timeIntervalSince1970: Double($0) / 1_000_000) }
        return NameSanitizer.fileName(template.render(["original": c.asset.originalFileName], date: date))
    }
}

extension FilePlanner {
    /// What the passes decide for one candidate.
    private struct Decision {
        var name: String?
        var action: FileAction
        var replacesAssetID: String? = nil
    }

    /// One album's plan while its passes run: the candidates, a decision for each once a pass has
    /// made it, and the names taken in the folder. Candidates are read in place by index: a copy
    /// of one retains every string in it, and a re-run plans every asset.
    private struct Planning {
        /// The input without its candidates (they are held here until they move into the plan).
        let input: Input
        var candidates: [FileCandidate]
        var decisions: [Decision?]
        /// Collision keys taken in the folder: `input.alreadyClaimed`, then each decided name.
        var claimed: CollisionIndex
        /// Where the "+N" search resumes per preferred name: linear for many duplicates.
        var nextSuffix: [String: Int] = [:]

        // Built on first use: a re-run where every asset keeps its file never needs them.
        lazy var listingNames: CollisionIndex = {
            var index = CollisionIndex(minimumCapacity: input.listing.count)
            for name in input.listing.keys { index.insert(name) }
            return index
        }()
        lazy var ownedInFolder = input.folderOwners.map(Manifest.ownedNames(of:)) ?? input.ownedInFolder
        lazy var currentAssets = Set(candidates.map(\.asset.assetID))

        init(takingCandidatesOf input: inout Input) {
            candidates = []
            swap(&candidates, &input.candidates)
            self.input = input
            decisions = Array(repeating: nil, count: candidates.count)
            claimed = CollisionIndex(minimumCapacity: input.alreadyClaimed.count + candidates.count)
            for key in input.alreadyClaimed { claimed.insert(key) }
        }

        /// Pass 1: an asset that already has a file keeps its name.
        mutating func keepOwnedNames() {
            for i in candidates.indices {
                guard let previous = input.owned[packed: candidates[i].asset.ownedKey],
                      claimed.insert(previous.name)   // else: the same asset twice in one album
                else { continue }
                let onDisk = input.listing[previous.name]
                decisions[i] = Decision(name: previous.name, action: ownedFileAction(for: candidates[i], onDisk: onDisk))
            }
        }

        /// Pass 2: every other asset takes the first free name; one whose source is missing gets none.
        mutating func pickFreeNames() {
            for i in candidates.indices where decisions[i] == nil {
                if let missing = candidates[i].missingSource {
                    decisions[i] = Decision(name: nil, action: missing)
                } else {
                    decisions[i] = pickName(for: i)
                }
            }
        }

        /// Each candidate moves, with its decision, into its plan entry (when the caller still
        /// shares the candidates, the first move copies them).
        mutating func joinDecisionsWithCandidates() -> [PlannedFile] {
            zipMoving(&candidates, &decisions) { candidate, decision in
                let decision = decision!
                return PlannedFile(candidate: candidate, name: decision.name, action: decision.action,
                                   replacesAssetID: decision.replacesAssetID)
            }
        }

        private func ownedFileAction(for c: borrowing FileCandidate, onDisk: TargetEntry?) -> FileAction {
            if let missing = c.missingSource { return missing }
            guard let onDisk, onDisk.isRegularFile || onDisk.linkTarget != nil else { return .copy }
            return input.isCurrent(onDisk, for: c) ? .skip : .update
        }

        /// The first numbered form of candidate `i`'s preferred name ("IMG_1.JPG", "IMG_1+1.JPG", …)
        /// that it may take, claimed.
        private mutating func pickName(for i: Int) -> Decision {
            let preferred = input.namesAreFinal ? candidates[i].asset.originalFileName
                : FilePlanner.preferredName(candidates[i], input.fileTemplate)
            let preferredKey = NameSanitizer.collisionKey(preferred)
            var n = nextSuffix[preferredKey] ?? 0
            defer { nextSuffix[preferredKey] = n }
            while true {
                let name = NameSanitizer.numbered(preferred, n, isFile: true)
                n += 1
                if claimed.contains(name) { continue }
                if let decision = decision(taking: name, for: i) {
                    claimed.insert(name)
                    return decision
                }
            }
        }

        /// What candidate `i` does with the unclaimed `name`; nil when a file of that name stays
        /// as it is, so the candidate must take the next name.
        private mutating func decision(taking name: String, for i: Int) -> Decision? {
            guard let found = listingNames.member(matching: name), let existing = input.listing[found] else {
                return Decision(name: name, action: .copy)
            }
            if let owner = ownedInFolder[NameSanitizer.collisionKey(name)] {
                // Ours, but its asset left this album: reuse the file for this one.
                guard owner.albumID == input.albumID && !currentAssets.contains(owner.assetID) && existing.name == name
                else { return nil }
                let same = input.isCurrent(existing, for: candidates[i])
                return Decision(name: name, action: same ? .skip : .update, replacesAssetID: owner.assetID)
            }
            // An identical file we did not record is taken over; somebody else's file is never touched.
            guard existing.name == name && input.isCurrent(existing, for: candidates[i]) else { return nil }
            return Decision(name: name, action: .adopt)
        }
    }
}
