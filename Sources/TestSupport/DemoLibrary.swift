import Foundation

/// The sample library of the demo: the situations a real family library has — duplicate album
/// names, the same file name from two phones, one photo in several albums, an archived photo,
/// a trashed one, names with characters a share would choke on.
public enum DemoLibrary {
    public static func make(photosPerAlbum: Int = 12) -> ImmichFixture {
        var f = ImmichFixture()
        let anna = f.addUser("Anna")
        let ben = f.addUser("Ben")
        let albums = [
            f.addAlbum("Summer in Lisbon 2024", owner: anna),
            f.addAlbum("Family", owner: anna),
            f.addAlbum("Family", owner: ben),
            f.addAlbum("Best of: 2023/24", owner: anna),
            f.addAlbum("Hike ⛰️ Dolomites", owner: ben),
            f.addAlbum("Kids' drawings", owner: anna),
        ]
        var counter = 0
        for (i, album) in albums.enumerated() {
            let owner = i == 2 || i == 4 ? ben : anna
            for j in 0..<photosPerAlbum {
                counter += 1
                // Two phones, same numbering: IMG_0001 appears twice in an album.
                let name = String(format: "IMG_%04d.png", j % max(1, photosPerAlbum - 2) + 1)
                let hue = Double(counter % 24) / 24
                let (r, g, b) = rgb(hue: hue)
                var asset = ImmichFixture.Asset(ownerID: owner.id, originalFileName: name, content: SamplePNG.make(red: r, green: g, blue: b),
                                                modified: Date(timeIntervalSince1970: 1_690_000_000 + Double(counter) * 3600))
                if counter % 17 == 0 { asset.visibility = .archive }
                if counter % 29 == 0 { asset.trashed = true }
                f.assets.append(asset)
                f.add(asset, to: album)
                if i == 0 && j < 3 { f.add(asset, to: albums[3]) }  // best-of shares photos
            }
        }
        return f
    }

    private static func rgb(hue: Double) -> (UInt8, UInt8, UInt8) {
        let h = hue * 6
        let x = 1 - abs(h.truncatingRemainder(dividingBy: 2) - 1)
        let (r, g, b): (Double, Double, Double)
        switch Int(h) {
        case 0: (r, g, b) = (1, x, 0)
        case 1: (r, g, b) = (x, 1, 0)
        case 2: (r, g, b) = (0, 1, x)
        case 3: (r, g, b) = (0, x, 1)
        case 4: (r, g, b) = (x, 0, 1)
        default: (r, g, b) = (1, 0, x)
        }
        return (UInt8(60 + r * 180), UInt8(60 + g * 180), UInt8(60 + b * 180))
    }
}
