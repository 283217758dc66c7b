// swift-tools-version: 6.0
import PackageDescription

// Release builds get generic types' metadata from direct accessor calls instead of by
// demangling the types' names at run time, which was a third of a listing's start-up
// (docs/benchmarks.md).
let startUpSettings: [SwiftSetting] = [
    .unsafeFlags(["-Xfrontend", "-disable-concrete-type-metadata-mangled-name-accessors"], .when(configuration: .release)),
]

let package = Package(
    name: "hcconnect",
    products: [
        .executable(name: "hcconnect", targets: ["hcconnect"]),
    ],
    targets: [
        // libpq, found through pkg-config (Debian: libpq-dev).
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // libcurl's headers (Debian: libcurl4-openssl-dev, in the compiler's default include
        // path); the library is loaded on first use (dlopen in shim.h), not linked: commands
        // that never make a request do not load it.
        .systemLibrary(
            name: "CLibCurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // The thin Postgres layer: the only module that imports CLibPQ.
        .target(name: "Postgres", dependencies: ["CLibPQ"], swiftSettings: startUpSettings),
        // HTTP requests through libcurl: the only module that imports CLibCurl.
        .target(name: "HTTP", dependencies: ["CLibCurl"], swiftSettings: startUpSettings),
        // The Heroku Platform and Connect APIs: credentials, an app's config vars, its Connect
        // connections, their state, mappings and actions.
        .target(name: "HerokuAPI", dependencies: ["HTTP", "Postgres"], swiftSettings: startUpSettings),
        // The Heroku Connect domain: trigger log models, store, queries.
        .target(name: "HerokuConnect", dependencies: ["Postgres"], swiftSettings: startUpSettings),
        // Argument parsing, commands and rendering; testable without a process.
        .target(name: "HCConnectCLI", dependencies: ["HerokuConnect", "HerokuAPI", "Postgres"], swiftSettings: startUpSettings),
        .executableTarget(name: "hcconnect", dependencies: ["HCConnectCLI"], swiftSettings: startUpSettings),

        // Shared by the test targets: the test database and the emulation loader.
        .target(name: "TestSupport", dependencies: ["Postgres"], path: "Tests/TestSupport"),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "TestSupport"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "TestSupport"]),
        .testTarget(name: "HerokuAPITests", dependencies: ["HerokuAPI", "TestSupport"]),
        .testTarget(name: "HerokuConnectTests", dependencies: ["HerokuConnect", "Postgres", "TestSupport"]),
        .testTarget(name: "HCConnectCLITests", dependencies: ["HCConnectCLI", "HerokuConnect", "Postgres", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
