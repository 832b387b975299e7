import Foundation

/// The page's static files, shipped as package resources (no CDN, no build step).
enum PageResources {
    static func data(_ name: String) -> Data? {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Page") else { return nil }
        return try? Data(contentsOf: url)
    }
}
