import HerokuConnect

/// What `retry` and `ignore` were asked to change, and how: explicit ids (arguments, or `-`
/// for standard input) or `--failed` with filters, plus the safety options. Checked before
/// anything connects.
struct RepairRequest {
    /// The explicit ids; nil for a `--failed` selection.
    var ids: [Int]?
    /// The filters of a `--failed` selection.
    var filters: EntryFilters?
    var dryRun: Bool
    var confirmed: Bool
    var batchSize: Int
    var max: Int?

    static let failed = OptionSpec(
        "failed", .flag, "Select the FAILED entries matching the filters below (asks for confirmation)")
    static let dryRun = OptionSpec("dry-run", .flag, "Show what would change, and change nothing")
    static let yes = OptionSpec("yes", short: "y", .flag, "Go ahead without asking; a selection needs it without a terminal (cron)")
    static let batchSize = OptionSpec(
        "batch-size", .value("N"), "Entries per batch; each batch is one transaction (default \(TriggerLogRepair.defaultBatchSize))")
    static let max = OptionSpec("max", .value("N"), "Change at most N entries (the lowest ids first)")

    /// The filters a `--failed` selection takes: those of `failed`, without limits.
    static let filterSpecs = EntryFilters.selectionSpecs

    static let specs = [failed] + filterSpecs + [dryRun, yes, batchSize, max]
    /// Listing options tried on a repair.
    static let optionAdvice = [
        EntryFilters.limit.name: "to change at most N entries (the lowest ids first), use --max N",
        EntryFilters.all.name: "--failed takes every FAILED entry the filters select; --max N caps them",
        EntryFilters.state.name: "a repair changes FAILED entries only; see other states with hcconnect list --state STATE",
    ]

    /// How `retry` and `ignore` are written: ids, `-`, or `--failed` and filters; the
    /// first form shows `options`, the options that are not ``specs``.
    static func usage(_ options: [OptionSpec]) -> [Usage] {
        [
            Usage(.argument("ID..."), .optionals(options + [dryRun])),
            Usage(.argument("- < ids.txt")),
            Usage(.required(failed), .optionals(filterSpecs + [yes, max, batchSize])),
        ]
    }

    /// Reads the selection and options of `command`; `-` reads ids from `input`, one per line.
    ///
    /// - Throws: ``ArgumentError`` naming what is wrong; nothing has been read from the
    ///   database yet.
    init(_ arguments: ParsedArguments, command: String, input: InputChannel) throws(ArgumentError) {
        dryRun = arguments.flag(Self.dryRun)
        confirmed = arguments.flag(Self.yes)
        batchSize = try Self.batchSize(arguments)
        max = try arguments.value(Self.max).map { text throws(ArgumentError) in
            try EntryFilters.positiveInteger(text, option: Self.max.longForm, noun: "count")
        }
        let filtersGiven = Self.filterSpecs.filter(arguments.has)
        if arguments.flag(Self.failed) {
            if let first = arguments.positionals.first {
                throw .invalidCombination(
                    "--failed selects entries by filters; it cannot be combined with ids ('\(ArgumentError.printable(first))')")
            }
            filters = try EntryFilters(arguments)
            return
        }
        if let filter = filtersGiven.first?.longForm {
            throw .invalidCombination(
                "\(filter) filters a selection: use it with --failed (hcconnect \(command) --failed \(filter) ...)"
                    + (arguments.positionals.isEmpty ? "" : ", not with ids"))
        }
        guard !arguments.positionals.isEmpty else {
            throw .missingArgument("trigger log ids (or - to read them from standard input), or --failed [filters]")
        }
        ids = try Self.ids(arguments.positionals, input: input, argumentName: "ID", noun: "trigger log id")
    }

    /// `--batch-size`, else the default.
    static func batchSize(_ arguments: ParsedArguments) throws(ArgumentError) -> Int {
        try arguments.value(Self.batchSize).map { text throws(ArgumentError) in
            try EntryFilters.positiveInteger(text, option: Self.batchSize.longForm, noun: "batch size")
        } ?? TriggerLogRepair.defaultBatchSize
    }

    /// The ids among `arguments`, with `-` replaced by the lines of standard input (blank
    /// lines skipped).
    static func ids(
        _ arguments: [String], input: InputChannel, argumentName: String, noun: String
    ) throws(ArgumentError) -> [Int] {
        var ids: [Int] = []
        var readInput = false
        for argument in arguments {
            guard argument == "-" else {
                ids.append(try EntryFilters.positiveInteger(argument, option: argumentName, noun: noun))
                continue
            }
            guard !readInput else { throw .duplicateOption("- (standard input)") }
            readInput = true
            for (number, line) in input.lines().enumerated() {
                let text = line.trimmingWhitespace()
                if text.isEmpty { continue }
                ids.append(try EntryFilters.positiveInteger(text, option: "standard input, line \(number + 1)", noun: noun))
            }
        }
        return ids
    }
}
