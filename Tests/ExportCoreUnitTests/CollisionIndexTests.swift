@testable import ExportCore
import Testing
import TestHelpers

/// The planner's name index must agree with `NameSanitizer.collisionKey` exactly: two names
/// collide in it when, and only when, their keys are equal.
@Suite("Collision index")
struct CollisionIndexTests {
    /// Spellings that differ only by case, normalisation or look-alikes, so equal keys are common.
    static let spellings: [[String]] = [["IMG", "img", "Img"], ["_"], [".jpg", ".JPG"], ["e\u{0301}", "é", "É"],
                                        ["\u{212A}", "K", "k"], ["I\u{0307}", "i\u{0307}", "İ"], ["ß"], ["SS", "ss"],
                                        ["ä", "A\u{0308}", "Ä"], ["1"], ["+2"], ["😀"]]

    static func pick(_ g: inout SeededRandom, _ options: [String]) -> String { options[Int(g.next() % UInt64(options.count))] }

    static func classes(_ g: inout SeededRandom) -> [Int] {
        (0..<Int(1 + g.next() % 4)).map { _ in Int(g.next() % UInt64(spellings.count)) }
    }

    static func spell(_ classes: [Int], _ g: inout SeededRandom) -> String {
        classes.map { pick(&g, spellings[$0]) }.joined()
    }

    static func name(_ g: inout SeededRandom) -> String { spell(classes(&g), &g) }

    @Test("same key ⇔ same index slot, against collisionKey on 20k generated pairs")
    func agreesWithKeys() {
        var g = SeededRandom(seed: 11)
        var equalPairs = 0
        for _ in 0..<20_000 {
            // Half the pairs are two spellings of one name, half unrelated names.
            let shape = Self.classes(&g)
            let a = Self.spell(shape, &g)
            let b = g.next() % 2 == 0 ? Self.spell(shape, &g) : Self.name(&g)
            let same = NameSanitizer.collisionKey(a) == NameSanitizer.collisionKey(b)
            #expect(CollisionIndex.sameKey(a, b) == same, "\(a.debugDescription) vs \(b.debugDescription)")
            if same {
                equalPairs += 1
                #expect(CollisionIndex.hash(a) == CollisionIndex.hash(b), "\(a.debugDescription) vs \(b.debugDescription)")
            }
        }
        #expect(equalPairs > 2_000)   // the generator really produces colliding names
    }

    @Test("behaves as a set of keys, also when different keys share a hash", arguments: [-1, 0x3])
    func matchesSetOfKeys(mask: Int) {
        var g = SeededRandom(seed: UInt64(mask & 0xFF))
        var index = CollisionIndex(hashMask: mask)
        var model: [String: String] = [:]   // key → first name stored
        for _ in 0..<5_000 {
            let name = Self.name(&g)
            let key = NameSanitizer.collisionKey(name)
            if g.next() % 2 == 0 {
                let inserted = model[key] == nil
                if inserted { model[key] = name }
                let stored = index.insert(name)
                #expect(stored == inserted, "\(name.debugDescription)")
            } else {
                #expect(index.member(matching: name) == model[key], "\(name.debugDescription)")
                #expect(index.contains(name) == (model[key] != nil))
            }
        }
        #expect(model.count > 50)
    }

    @Test("a camera name and its other spellings find the stored one")
    func cameraNames() {
        var index = CollisionIndex()
        let first = index.insert("IMG_1234.JPG")
        let second = index.insert("img_1234.jpg")
        #expect(first && !second)
        #expect(index.member(matching: "Img_1234.Jpg") == "IMG_1234.JPG")
        #expect(index.member(matching: "IMG_1234.JPG ") == nil)
        #expect(index.member(matching: "IMG_1234.JP") == nil)
        let accented = index.insert("Cafe\u{0301}.jpg")
        #expect(accented)
        #expect(index.member(matching: "CAFÉ.JPG") == "Cafe\u{0301}.jpg")
    }
}
