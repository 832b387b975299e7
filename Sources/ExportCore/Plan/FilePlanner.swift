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

    /// A value that owns nothing, for slots whose candidate was moved out.
    static let placeholder = FileCandidate(asset: .placeholder, sourcePath: nil, source: nil, sourceProblem: nil)

    /// The mtime the exported file gets: Immich's fileModifiedAt, else the source's own.
    var targetMtime: Int64? {
        if let micros = asset.modifiedMicros { return micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000 }
        return source?.mtime
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
        func isCurrent(_ entry: TargetEntry, for c: FileCandidate) -> Bool {
            withUnsafePointer(to: c) { isCurrent(entry, for: $0) }
        }

        /// The same, reading the candidate in place (a copy retains every string in it).
        func isCurrent(_ entry: TargetEntry, for c: UnsafePointer<FileCandidate>) -> Bool {
            guard let source = c.pointee.source, let mtime = c.pointee.targetMtime else { return false }
            switch mode {
            case .copy, .reflink:
                return entry.isRegularFile && entry.size == source.size && entry.mtime == mtime
            case .hardlink:
                // A link shares the library file's inode, so it shows the source's own mtime.
                return entry.isRegularFile && entry.size == source.size && entry.mtime == source.mtime
            case .symlink:
                guard let path = c.pointee.sourcePath, let target = entry.linkTarget else { return false }
                return target == FilePlacer.relativePath(from: folderPath, to: path)
            }
        }
    }

    /// What the passes decide for one candidate; joined with the candidate (moved, not copied) at the end.
    private struct Decision {
        var name: String?
        var action: FileAction
        var replacesAssetID: String? = nil
    }

    public static func plan(_ input: Input) -> [PlannedFile] {
        var input = input
        return plan(moving: &input)
    }

    /// `plan`, moving the candidates into the result (`input.candidates` is empty afterwards):
    /// copying them would retain every string in them, and a re-run plans every asset.
    static func plan(moving input: inout Input) -> [PlannedFile] {
        // Built on first use: a re-run where every asset keeps its file never needs them.
        var lazyCurrentAssets: Set<String>?
        var currentAssets: Set<String> {
            get {
                if let built = lazyCurrentAssets { return built }
                let built = Set(input.candidates.map(\.asset.assetID))
                lazyCurrentAssets = built
                return built
            }
        }
        var lazyListingNames: CollisionIndex?
        var listingNames: CollisionIndex {
            get {
                if let built = lazyListingNames { return built }
                var built = CollisionIndex(minimumCapacity: input.listing.count)
                for name in input.listing.keys { built.insert(name) }
                lazyListingNames = built
                return built
            }
        }

        var lazyOwnedInFolder: [String: (albumID: String, assetID: String)]?
        var ownedInFolder: [String: (albumID: String, assetID: String)] {
            get {
                if let built = lazyOwnedInFolder { return built }
                let built = input.folderOwners.map(Manifest.ownedNames(of:)) ?? input.ownedInFolder
                lazyOwnedInFolder = built
                return built
            }
        }

        var claimed = CollisionIndex(minimumCapacity: input.alreadyClaimed.count + input.candidates.count)
        for key in input.alreadyClaimed { claimed.insert(key) }
        var nextSuffix: [String: Int] = [:]   // resume the +N search per name: linear for many duplicates
        var result = [Decision?](repeating: nil, count: input.candidates.count)

        // Pass 1: assets that already have a file keep its name. (Candidates are read in place:
        // a copy of one retains every string in it, and this runs for every asset of a re-run.)
        input.candidates.withUnsafeBufferPointer { candidates in
            for i in candidates.indices {
                let c = candidates.baseAddress! + i
                guard let previous = input.owned[packed: c.pointee.asset.ownedKey],
                      claimed.insert(previous.name)   // else: the same asset twice in one album
                else { continue }
                result[i] = Decision(name: previous.name, action: decideOwned(c, onDisk: input.listing[previous.name], input))
            }
        }

        // Pass 2: everything else takes the first free name.
        for i in input.candidates.indices where result[i] == nil {
            let c = input.candidates[i]
            guard c.source != nil, c.targetMtime != nil else {
                result[i] = Decision(name: nil, action: .missingSource(c.sourceProblem ?? "source file not found"))
                continue
            }
            let preferred = input.namesAreFinal ? c.asset.originalFileName : preferredName(c, input.fileTemplate)
            let preferredKey = NameSanitizer.collisionKey(preferred)
            var n = nextSuffix[preferredKey] ?? 0
            defer { nextSuffix[preferredKey] = n }
            while true {
                let name = NameSanitizer.numbered(preferred, n, isFile: true)
                n += 1
                if claimed.contains(name) { continue }
                guard let existing = listingNames.member(matching: name).flatMap({ input.listing[$0] }) else {
                    claimed.insert(name)
                    result[i] = Decision(name: name, action: .copy)
                    break
                }
                if let owner = ownedInFolder[NameSanitizer.collisionKey(name)] {
                    // Ours, but its asset left this album: reuse the file for this one.
                    if owner.albumID == input.albumID && !currentAssets.contains(owner.assetID) && existing.name == name {
                        claimed.insert(name)
                        let same = input.isCurrent(existing, for: c)
                        result[i] = Decision(name: name, action: same ? .skip : .update, replacesAssetID: owner.assetID)
                        break
                    }
                    continue
                }
                if existing.name == name && input.isCurrent(existing, for: c) {
                    claimed.insert(name)
                    result[i] = Decision(name: name, action: .adopt)
                    break
                }
                // Somebody else's file: never touched, our file takes the next name.
            }
        }
        // Each candidate moves into its plan entry (when the caller still shares the candidates,
        // they are copied first).
        var decisions = unwrapAll(&result)
        var candidates: [FileCandidate] = []
        swap(&candidates, &input.candidates)
        return candidates.withUnsafeMutableBufferPointer { source in
            decisions.withUnsafeMutableBufferPointer { decided in
                let planned = [PlannedFile](unsafeUninitializedCapacity: source.count) { target, count in
                    for i in source.indices {
                        let d = (decided.baseAddress! + i).move()
                        (target.baseAddress! + i).initialize(to: PlannedFile(
                            candidate: (source.baseAddress! + i).move(), name: d.name, action: d.action, replacesAssetID: d.replacesAssetID))
                    }
                    count = source.count
                }
                // The moved-out slots get values that own nothing.
                source.baseAddress?.initialize(repeating: .placeholder, count: source.count)
                decided.baseAddress?.initialize(repeating: Decision(name: nil, action: .copy), count: decided.count)
                return planned
            }
        }
    }

    /// `slots.map { $0! }` without copying each element (a copy retains every string in it, and
    /// a re-run makes one per asset): the values are moved out and the slots left nil.
    static func unwrapAll<T>(_ slots: inout [T?]) -> [T] {
        slots.withUnsafeMutableBufferPointer { source in
            [T](unsafeUninitializedCapacity: source.count) { target, count in
                for i in source.indices {
                    (target.baseAddress! + i).initialize(to: (source.baseAddress! + i).move()!)
                    (source.baseAddress! + i).initialize(to: nil)
                }
                count = source.count
            }
        }
    }

    /// The sanitized name an asset wants before de-duplication.
    static func preferredName(_ c: FileCandidate, _ template: NameTemplate?) -> String {
        guard let template, template.source != "{original}" else { return NameSanitizer.fileName(c.asset.originalFileName) }
        let date = c.asset.capturedMicros.map { Date(timeIntervalSince1970: Double($0) / 1_000_000) }
        return NameSanitizer.fileName(template.render(["original": c.asset.originalFileName], date: date))
    }

    private static func decideOwned(_ c: UnsafePointer<FileCandidate>, onDisk: TargetEntry?, _ input: borrowing Input) -> FileAction {
        guard c.pointee.source != nil, c.pointee.targetMtime != nil else {
            return .missingSource(c.pointee.sourceProblem ?? "source file not found")
        }
        guard let onDisk, onDisk.isRegularFile || onDisk.linkTarget != nil else { return .copy }
        return input.isCurrent(onDisk, for: c) ? .skip : .update
    }
}
