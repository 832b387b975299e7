/// How the manifest is held in memory and read from disk. What it records, and the journal's
/// crash safety, are the same either way (`ManifestStore`).
///
/// - `plain`: each album's files in a dictionary by asset id; the snapshot and the journal are
///   read line by line as Strings split at their tabs.
/// - `packed`: files loaded from the snapshot sit in sorted columns (`OwnedFiles`, about 40
///   bytes plus the name per file), read straight from the lines' bytes into columns sized by a
///   first pass (`ManifestStore.LineParser`). Kept for the memory figures in
///   docs/benchmarks.md ("Decisions that still shape the code").
///
/// `Tuning` picks one for the process (`IMMICH_EXPORT_PLAIN=manifest` selects the plain one).
enum ManifestStorage: Sendable {
    case plain
    case packed

    static var selected: ManifestStorage { Tuning.uses(.manifest) ? .packed : .plain }
}
