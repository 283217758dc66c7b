// swift-tools-version: 6.0
import PackageDescription

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
        // The thin Postgres layer: the only module that imports CLibPQ.
        .target(name: "Postgres", dependencies: ["CLibPQ"]),
        // The Heroku Connect domain: trigger log models, store, queries.
        .target(name: "HerokuConnect", dependencies: ["Postgres"]),
        // Argument parsing, commands and rendering; testable without a process.
        .target(name: "HCConnectCLI", dependencies: ["HerokuConnect", "Postgres"]),
        .executableTarget(name: "hcconnect", dependencies: ["HCConnectCLI"]),

        // Shared by the test targets: the test database and the emulation loader.
        .target(name: "TestSupport", dependencies: ["Postgres"], path: "Tests/TestSupport"),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "TestSupport"]),
        .testTarget(name: "HerokuConnectTests", dependencies: ["HerokuConnect", "Postgres", "TestSupport"]),
        .testTarget(name: "HCConnectCLITests", dependencies: ["HCConnectCLI", "HerokuConnect", "Postgres", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
