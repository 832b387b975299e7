/// The product version: the add-on's config.yaml `version` must match it (a test checks).
public enum ExportCoreVersion {
    public static let string = "0.1.0"
}
