/// Names kept by collision key (`NameSanitizer.collisionKey`: case-insensitive, NFC) without
/// building the keys. The planner indexes every name of an album on each run; a camera name
/// ("IMG_1234.JPG") needed a lowercased copy and a string hash for its key, and for a
/// 5000-file album that was most of the planning on the run's critical path. Here an ASCII
/// name is hashed as its folded bytes and compared in place; other names fall back to their key.
struct CollisionIndex {
    /// The first name per hash; keys whose hash another key already took go to `overflow`.
    private var first: [Int: String] = [:]
    private var overflow: [String: String] = [:]
    /// All ones; tests keep a few bits to make different keys share hashes.
    private let mask: Int

    init(minimumCapacity: Int = 0, hashMask: Int = -1) {
        first.reserveCapacity(minimumCapacity)
        mask = hashMask
    }

    /// The name stored under `name`'s key, if any.
    func member(matching name: String) -> String? {
        let hash = Self.hash(name) & mask
        guard let stored = first[hash] else { return nil }
        if Self.sameKey(stored, name) { return stored }
        return overflow.isEmpty ? nil : overflow[NameSanitizer.collisionKey(name)]
    }

    func contains(_ name: String) -> Bool { member(matching: name) != nil }

    /// Stores `name` unless a name with its key is there; true when stored.
    @discardableResult
    mutating func insert(_ name: String) -> Bool {
        let hash = Self.hash(name) & mask
        guard let stored = first[hash] else {
            first[hash] = name
            return true
        }
        if Self.sameKey(stored, name) { return false }
        let key = NameSanitizer.collisionKey(name)
        guard overflow[key] == nil else { return false }
        overflow[key] = name
        return true
    }

    /// FNV-1a over the key's bytes with ASCII letters folded: equal keys hash equally, since an
    /// ASCII name's key is its folded bytes and any other name's key is folded already.
    static func hash(_ name: String) -> Int {
        var utf8 = name.utf8
        if utf8.contains(where: { $0 >= 0x80 }) { utf8 = NameSanitizer.collisionKey(name).utf8 }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in utf8 {
            h = (h ^ UInt64(NameSanitizer.foldASCII(byte))) &* 0x100_0000_01b3
        }
        return Int(truncatingIfNeeded: h)
    }

    /// Whether two names share a collision key, comparing ASCII names in place.
    static func sameKey(_ a: String, _ b: String) -> Bool {
        var ia = a.utf8.makeIterator()
        var ib = b.utf8.makeIterator()
        while true {
            switch (ia.next(), ib.next()) {
            case (nil, nil): return true
            case let (x?, y?) where x < 0x80 && y < 0x80:
                if x != y && NameSanitizer.foldASCII(x) != NameSanitizer.foldASCII(y) { return false }
            case let (x, y) where (x ?? 0) < 0x80 && (y ?? 0) < 0x80:
                return false   // one ended, the other has an ASCII byte left
            default:
                return NameSanitizer.collisionKey(a) == NameSanitizer.collisionKey(b)
            }
        }
    }
}
