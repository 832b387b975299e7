// swift-tools-version:6.1
import PackageDescription

// Linux only. The code calls Glibc directly (O_DIRECT, fstatfs, posix_fadvise, mallopt, Linux
// socket and descriptor flags) and the add-on image is Linux; no `platforms:` entry claims an
// Apple system that nothing builds or tests.
let package = Package(
    name: "immich-export",
    products: [
        .executable(name: "immich-export", targets: ["immich-export"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),   // LogHandler.log(event:)
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),      // Insecure.SHA1
        .package(url: "https://github.com/apple/swift-algorithms", from: "1.2.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // Thin C shims: the only places that see libpq / libmosquitto headers.
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CMosquitto", path: "Sources/CMosquitto", pkgConfig: "libmosquitto", providers: [.apt(["libmosquitto-dev"])]),
        // glibc's allocator settings (mallopt), which the Glibc module does not export.
        .systemLibrary(name: "CGlibcMalloc", path: "Sources/CGlibcMalloc"),

        // Swift wrappers, each the single caller of its C library.
        .target(name: "Postgres", dependencies: ["CLibPQ", .product(name: "Logging", package: "swift-log")]),
        .target(name: "MQTT", dependencies: ["CMosquitto", .product(name: "Logging", package: "swift-log")]),

        // Config → Catalog → Plan → Sync → Progress.
        .target(name: "ExportCore", dependencies: [
            "Postgres",
            .product(name: "Algorithms", package: "swift-algorithms"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Yams", package: "Yams"),
        ]),

        // Long-running agent: Runner, Scheduler, Home Assistant over MQTT.
        .target(name: "Agent", dependencies: [
            "ExportCore", "MQTT",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),    // the Supervisor GET
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        // The progress page and its JSON API (Home Assistant Ingress or standalone).
        .target(
            name: "WebUI",
            dependencies: [
                "ExportCore", "Agent",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Page")]),

        // The options file as every command reads it: each part's options, one error for all.
        .target(name: "AppConfig", dependencies: ["ExportCore", "Agent", "WebUI"]),

        // The command-line tool: thin argument-parser commands.
        .executableTarget(name: "immich-export", dependencies: [
            "ExportCore", "Agent", "WebUI", "AppConfig", "CGlibcMalloc",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ], linkerSettings: [
            // Resident memory of a release build (the add-on image and the benchmark use it): lld packs
            // the ~100k relative relocations of the static Swift runtime (2.5 MB the loader reads at
            // every start) into a few KB, and the symbol table is not exported (nothing looks symbols
            // up in the executable). Measured in docs/benchmarks.md.
            .unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
                          "-Xlinker", "--no-export-dynamic", "-Xlinker", "--icf=safe"],
                         .when(platforms: [.linux], configuration: .release)),
        ]),

        // What unit tests share: seeded random numbers, counters, temp folders, a log recorder. Starts nothing.
        .target(name: "TestHelpers", dependencies: [.product(name: "Logging", package: "swift-log")]),
        // Real Postgres / Mosquitto / Immich-shaped libraries for tests and the demo (re-exports TestHelpers).
        .target(name: "TestSupport", dependencies: ["TestHelpers", "ExportCore", "Postgres"]),
        .executableTarget(name: "immich-export-demo", dependencies: [
            "TestSupport", "ExportCore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // `scripts/bench`: speed and memory against cp and rsync on generated libraries.
        .executableTarget(name: "immich-export-bench", dependencies: [
            "TestSupport", "ExportCore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Tests come in two kinds, told apart by the target's name (`swift test --filter UnitTests`
        // or `--filter IntegrationTests`). Unit tests start nothing: no database, broker, browser,
        // server or other program, and need no root; they may use temp files. Integration tests use
        // real PostgreSQL, Mosquitto and Chromium (TestSupport starts them), sockets and processes.
        .testTarget(name: "AppConfigUnitTests", dependencies: ["AppConfig", "ExportCore", "WebUI", "TestHelpers"]),
        .testTarget(name: "ExportCoreUnitTests", dependencies: [
            "ExportCore", "TestHelpers", .product(name: "Yams", package: "Yams"), .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "MQTTUnitTests", dependencies: ["MQTT", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "AgentUnitTests", dependencies: [
            "Agent", "ExportCore", "TestHelpers", .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "WebUIUnitTests", dependencies: ["WebUI"]),

        .testTarget(name: "ExportCoreIntegrationTests", dependencies: [
            "ExportCore", "TestSupport", "Postgres", .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "MQTTIntegrationTests", dependencies: ["MQTT", "TestSupport"]),
        .testTarget(name: "WebUIIntegrationTests", dependencies: ["WebUI", "Agent", "AppConfig", "ExportCore", "TestSupport"]),
        .testTarget(name: "AgentIntegrationTests", dependencies: ["Agent", "ExportCore", "TestSupport", "MQTT"]),
    ]
)
