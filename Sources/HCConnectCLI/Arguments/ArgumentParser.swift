import HerokuConnect
import Postgres

/// The options and positional arguments of a command line, after parsing.
///
/// Options are read with their ``OptionSpec``, never with a name typed again:
/// `arguments.value(CheckCommand.maxFailed)`. They are kept by long name, so specs of one
/// name read the same option (``EntryFilters`` reads errors' own `--limit`).
struct ParsedArguments: Sendable, Equatable {
    /// Arguments that are not options, in order (`-` included: it means standard input).
    var positionals: [String] = []
    /// Option values by long name: one for a value option, all items for a list option.
    fileprivate var values: [String: [String]] = [:]
    /// The flags that were given, by long name.
    fileprivate var flags: Set<String> = []

    /// True when the flag was given.
    func flag(_ spec: OptionSpec) -> Bool {
        assert(spec.kind == .flag, "\(spec.longForm) takes a value: read it with value(_:) or list(_:)")
        return flags.contains(spec.name)
    }

    /// The value of a value option, or nil.
    func value(_ spec: OptionSpec) -> String? {
        assert(spec.takesValue, "\(spec.longForm) is a flag: read it with flag(_:)")
        return values[spec.name]?.last
    }

    /// All items of a list option, or every value of a repeated one (empty when not given).
    func list(_ spec: OptionSpec) -> [String] {
        assert(spec.takesValue, "\(spec.longForm) is a flag: read it with flag(_:)")
        return values[spec.name] ?? []
    }

    /// True when the option (flag or value) was given.
    func has(_ spec: OptionSpec) -> Bool { flags.contains(spec.name) || values[spec.name] != nil }

    fileprivate mutating func setFlag(_ spec: OptionSpec) { flags.insert(spec.name) }

    fileprivate mutating func append(_ spec: OptionSpec, _ items: [String]) {
        values[spec.name, default: []].append(contentsOf: items)
    }
}

/// A table-driven parser of GNU-style long options with exact matching.
///
/// Accepts `--name value`, `--name=value`, `-h`, repeated and comma-separated list options,
/// and `--` to end the options. Names must match exactly: an abbreviation is an error
/// that suggests the full name, never a silent match.
enum ArgumentParser {
    /// Parses `arguments` against `options`.
    ///
    /// - Throws: ``ArgumentError`` naming the first argument at fault.
    static func parse(_ arguments: [String], options: [OptionSpec]) throws(ArgumentError) -> ParsedArguments {
        var parsed = ParsedArguments()
        var index = 0
        var optionsEnded = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if optionsEnded || argument == "-" || !argument.hasPrefix("-") {
                try refuseNUL(in: argument, option: "argument")
                parsed.positionals.append(argument)
                continue
            }
            if argument == "--" {
                optionsEnded = true
                continue
            }
            let (spec, inlineValue) = try lookUp(argument, in: options)
            let display = spec.longForm
            switch spec.kind {
            case .flag:
                guard inlineValue == nil else { throw .unexpectedValue(option: display) }
                parsed.setFlag(spec)
            case .value, .list, .repeated:
                let value: String
                if let inlineValue {
                    value = inlineValue
                } else {
                    guard index < arguments.count, !looksLikeOption(arguments[index], options) else {
                        throw .missingValue(option: display)
                    }
                    value = arguments[index]
                    index += 1
                }
                try refuseNUL(in: value, option: display)
                if case .list = spec.kind {
                    let items = value.split(separator: ",", omittingEmptySubsequences: false)
                        .map { $0.trimmingWhitespace() }
                    guard !items.contains(where: \.isEmpty) else {
                        throw .invalidValue(option: display, value: value, reason: "has an empty item")
                    }
                    parsed.append(spec, items)
                } else if case .repeated = spec.kind {
                    parsed.append(spec, [value])
                } else {
                    guard parsed.values[spec.name] == nil else { throw .duplicateOption(display) }
                    parsed.append(spec, [value])
                }
            }
        }
        return parsed
    }

    /// Refuses a value holding a NUL byte: no real command line can hold one, and C strings
    /// (libpq's parameters, file names) would cut it short, so it would not mean what it says.
    private static func refuseNUL(in value: String, option: String) throws(ArgumentError) {
        guard value.utf8.contains(0) else { return }
        throw .invalidValue(option: option, value: value, reason: "contains a NUL byte")
    }

    /// Finds the option an argument names, with the value written after `=`.
    private static func lookUp(
        _ argument: String, in options: [OptionSpec]
    ) throws(ArgumentError) -> (OptionSpec, String?) {
        if argument.hasPrefix("--") {
            let body = argument.dropFirst(2)
            let name = body.prefix { $0 != "=" }
            let value = name.count < body.count ? String(body.dropFirst(name.count + 1)) : nil
            if let spec = options.first(where: { $0.name == name }) { return (spec, value) }
            throw .unknownOption("--" + name, suggestions: suggestions(for: String(name), options))
        }
        let letters = argument.dropFirst()
        if letters.count == 1, let spec = options.first(where: { $0.short == letters.first }) {
            return (spec, nil)
        }
        throw .unknownOption(argument, suggestions: suggestions(for: String(letters), options))
    }

    private static func suggestions(for name: String, _ options: [OptionSpec]) -> [String] {
        closestMatches(to: name, among: options.map(\.name), limit: 2).map { "--" + $0 }
    }

    /// True for an argument that would be read as an option name rather than a value.
    private static func looksLikeOption(_ argument: String, _ options: [OptionSpec]) -> Bool {
        guard argument.hasPrefix("--"), argument.count > 2 else { return false }
        let name = argument.dropFirst(2).prefix { $0 != "=" }
        return options.contains { $0.name == name }
    }
}
