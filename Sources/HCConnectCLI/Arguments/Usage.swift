/// One way to write a command's arguments, as its usage line shows it
/// (`ID... [--dry-run]`), made of the command's positional arguments and its
/// ``OptionSpec``s: an option's name and value are written once, in its spec.
///
/// A command's usages together name every option it shows in help; `OptionDocumentationTests`
/// checks that none is left out.
struct Usage: Sendable {
    /// A part of a usage line.
    enum Part: Sendable {
        /// A positional argument or other words, as written: `ID...`, `TABLE`,
        /// `- < ids.txt`, `[...]`.
        case argument(String)
        /// An option this form needs: `--failed`.
        case required(OptionSpec)
        /// An option that may be given: `[--table T]`; one that may be repeated
        /// (``OptionSpec/Kind/repeated``) is followed by `...`.
        case optional(OptionSpec)
        /// Options that may each be given, in this order.
        case optionals([OptionSpec])
        /// Options of which at most one may be given: `[--limit N | --all]`.
        case oneOf([OptionSpec])
        /// An option, and one that goes only with it: `[--processed [--stuck-after AGE]]`.
        case optionalWith(OptionSpec, OptionSpec)
    }

    let parts: [Part]

    init(_ parts: Part...) { self.parts = parts }

    /// The line after `hcconnect COMMAND `.
    var text: String {
        parts.map { part in
            switch part {
            case .argument(let text): return text
            case .required(let spec): return spec.usageSynopsis
            case .optional(let spec): return Self.optional(spec)
            case .optionals(let specs): return specs.map(Self.optional).joined(separator: " ")
            case .oneOf(let specs): return "[" + specs.map(\.usageSynopsis).joined(separator: " | ") + "]"
            case .optionalWith(let spec, let dependent):
                return "[" + spec.usageSynopsis + " " + Self.optional(dependent) + "]"
            }
        }
        .joined(separator: " ")
    }

    /// Every option the line names.
    var options: [OptionSpec] {
        parts.flatMap { part -> [OptionSpec] in
            switch part {
            case .argument: return []
            case .required(let spec), .optional(let spec): return [spec]
            case .optionals(let specs), .oneOf(let specs): return specs
            case .optionalWith(let spec, let dependent): return [spec, dependent]
            }
        }
    }

    private static func optional(_ spec: OptionSpec) -> String {
        if case .repeated = spec.kind { return "[" + spec.usageSynopsis + "]..." }
        return "[" + spec.usageSynopsis + "]"
    }
}
