/// One option a command accepts: its name, whether it takes a value, and its help.
///
/// The spec is the option's handle: commands read their arguments with it
/// (`arguments.value(CheckCommand.maxFailed)`), and help, usage lines and the completion
/// scripts are made from it, so a name is written once.
struct OptionSpec: Sendable, Equatable {
    /// How an option is written.
    enum Kind: Sendable, Equatable {
        /// `--name`, no value.
        case flag
        /// `--name VALUE` or `--name=VALUE`, at most once.
        case value(String)
        /// `--name V1,V2` or repeated `--name V1 --name V2`: the values accumulate.
        case list(String)
        /// Repeated `--name V1 --name V2`, each value whole (commas included): patterns.
        case repeated(String)
    }

    /// The long name, without dashes.
    let name: String
    /// A one-letter alias (`-h`), if any.
    let short: Character?
    let kind: Kind
    /// One line of help.
    let help: String
    /// How its value is shown in a usage line (`T` in `[--table T]`); else the value's
    /// name in ``kind``.
    private(set) var usageValue: String?
    /// Accepted but left out of help: an option that belongs to a sibling command, so the
    /// command can say why it does not apply instead of calling it unknown.
    var isHidden = false

    init(_ name: String, short: Character? = nil, _ kind: Kind, _ help: String, usageValue: String? = nil) {
        self.name = name
        self.short = short
        self.kind = kind
        self.help = help
        self.usageValue = usageValue
    }

    /// `--name`, as it is typed and as messages name it.
    var longForm: String { "--" + name }

    /// `--name VALUE` as shown in help.
    var synopsis: String {
        let short = self.short.map { "-\($0), " } ?? ""
        switch kind {
        case .flag: return short + "--" + name
        case .value(let valueName): return short + "--\(name) \(valueName)"
        case .list(let valueName): return short + "--\(name) \(valueName)[,\(valueName)...]"
        case .repeated(let valueName): return short + "--\(name) \(valueName)"
        }
    }

    var takesValue: Bool { kind != .flag }

    /// `--name VALUE` as shown in a usage line, with the value as ``usageValue`` says.
    var usageSynopsis: String {
        switch kind {
        case .flag: return longForm
        case .value(let valueName), .list(let valueName), .repeated(let valueName):
            return longForm + " " + (usageValue ?? valueName)
        }
    }

    /// The same option, its value shown as `value` in usage lines (`S[,S...]`); it is
    /// read as the option itself.
    func shown(as value: String) -> OptionSpec {
        var copy = self
        copy.usageValue = value
        return copy
    }

    /// The same option, left out of help.
    func hidden() -> OptionSpec {
        var copy = self
        copy.isHidden = true
        return copy
    }
}
