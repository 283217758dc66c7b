/// The help texts: the overview and each command's page, built from the commands' own
/// descriptions and option tables so they cannot drift apart.
enum Help {
    /// The overview, wrapped to `width` columns.
    static func overview(width: Int = 80) -> String {
        var text = wrapLines(
            "hcconnect \(HCConnect.version) — see and repair Heroku Connect's sync between Postgres and Salesforce",
            width: width, indent: "", continuation: "  ")
        text += "\nUsage: hcconnect [OPTIONS] COMMAND [ARGUMENTS]\n\nCommands:\n"
        let names = HCConnect.commands.map { $0.help.name.count }.max() ?? 0
        for command in HCConnect.commands {
            text += twoColumns(command.help.name, command.help.summary, nameWidth: names, width: width)
        }
        text += "\nOptions (every command):\n" + optionLines(GlobalOptions.specs, width: width)
        text += "\n" + environmentSection(width: width) + "\n" + exitStatusSection(width: width)
        text += "\nRun 'hcconnect help COMMAND' for a command's options and examples.\n"
        return text
    }

    /// A command's page, wrapped to `width` columns.
    static func command(_ command: any Command.Type, width: Int = 80) -> String {
        let help = command.help
        var text = wrapLines("hcconnect \(help.name) — \(help.summary)", width: width, indent: "", continuation: "  ")
        text += "\nUsage:\n"
        // one line per usage, its bracket groups kept whole when it wraps
        for usage in help.usage {
            let lead = "  hcconnect " + help.name + " "
            text += fill(
                usageTokens(usage.text), width: width, indent: lead,
                continuation: String(repeating: " ", count: min(lead.count, max(4, width / 3))))
        }
        text += "\n" + wrap(help.description, indent: "  ", width: width) + "\n"
        let options = command.options.filter { !$0.isHidden }
        if !options.isEmpty {
            text += "\nOptions:\n" + optionLines(options, width: width)
        }
        text += "\nGlobal options:\n" + optionLines(GlobalOptions.specs, width: width)
        if command.formats != [.table] {
            text += "\n" + wrapLines(
                "Formats: " + command.formats.map(\.rawValue).joined(separator: ", ")
                    + " (default \(command.formats[0].rawValue))", width: width, indent: "", continuation: "  ")
        }
        if !help.examples.isEmpty {
            text += "\nExamples:\n"
            for example in help.examples {
                text += wrapLines(example.command, width: width, indent: "  ", continuation: "      ")
                text += wrapLines(example.explanation, width: width, indent: "      ", continuation: "      ")
            }
        }
        for section in help.sections {
            text += "\n" + section.title + ":\n" + section.lines.map { "  " + $0 + "\n" }.joined()
        }
        text += "\n" + exitStatusSection(width: width)
        return text
    }

    static func environmentSection(width: Int) -> String {
        let variables: [(String, String)] = [
            ("DATABASE_URL", "database URL when --database-url is not given (Heroku's convention)"),
            ("PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE, PGSERVICE, ...",
             "libpq's own settings, used when neither of the above is set, and for whatever the URL leaves out"),
            ("PGCONNECT_TIMEOUT", "seconds to wait for the server (default here: 10)"),
            ("HEROKU_CONNECT_SCHEMA", "schema when --schema is not given (default: salesforce)"),
            ("HEROKU_CONNECT_WRITE_MODE", "merged or ordered: the write mode of retry and cleanup"),
            ("HCCONNECT_AUDIT_LOG", "the audit log when --audit-log is not given"),
            ("HCCONNECT_PAGER, PAGER", "the pager for help and listings on a terminal (default: less -FRX)"),
            ("NO_COLOR", "no colours when set"),
        ]
        return "Environment:\n" + variables.map { twoColumns($0.0, $0.1, nameWidth: 21, width: width) }.joined()
    }

    static func exitStatusSection(width: Int = 80) -> String {
        "Exit status:\n"
            + ExitStatus.allCases.map { twoColumns(String($0.rawValue), $0.meaning, nameWidth: 3, width: width) }.joined()
    }

    private static func optionLines(_ options: [OptionSpec], width: Int) -> String {
        let nameWidth = min(30, options.map { $0.synopsis.count }.max() ?? 0)
        return options.map { twoColumns($0.synopsis, $0.help, nameWidth: nameWidth, width: width) }.joined()
    }

    /// `  NAME  text`, the text wrapped under itself; a name wider than `nameWidth`, or a
    /// terminal too narrow for two columns, puts the text on the lines below.
    static func twoColumns(_ name: String, _ text: String, nameWidth: Int, width: Int) -> String {
        let column = 2 + nameWidth + 2
        if width - column < 30 {
            return "  " + name + "\n" + wrapLines(text, width: width, indent: "      ", continuation: "      ")
        }
        if name.count > nameWidth {
            let hanging = String(repeating: " ", count: column)
            return "  " + name + "\n" + wrapLines(text, width: width, indent: hanging, continuation: hanging)
        }
        return wrapLines(
            text, width: width, indent: "  " + name.padding(to: nameWidth) + "  ",
            continuation: String(repeating: " ", count: column))
    }

    /// One paragraph wrapped, ending in a line break.
    static func wrapLines(_ text: String, width: Int, indent: String, continuation: String) -> String {
        DisplayText.wrapped(text, width: width, indent: indent, continuation: continuation).joined(separator: "\n") + "\n"
    }

    /// A usage line's words, with each bracket group (`[--in live|archive|all]`) one token.
    private static func usageTokens(_ usage: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        var depth = 0
        for character in usage {
            if character == " ", depth == 0 {
                if !current.isEmpty { tokens.append(current) }
                current = ""
                continue
            }
            if character == "[" { depth += 1 }
            if character == "]" { depth = max(0, depth - 1) }
            current.append(character)
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }

    /// Tokens filled into lines of at most `width` columns.
    private static func fill(_ tokens: [String], width: Int, indent: String, continuation: String) -> String {
        var lines: [String] = []
        var line = indent
        var empty = true
        for token in tokens {
            if !empty, DisplayText.width(line) + 1 + DisplayText.width(token) > width {
                lines.append(line)
                line = continuation
                empty = true
            }
            if empty, DisplayText.width(line) + DisplayText.width(token) > width {
                // a token wider than a line: wrapped at its own spaces
                let pieces = DisplayText.wrapped(token, width: width, indent: line, continuation: continuation)
                lines += pieces.dropLast()
                line = pieces.last ?? continuation
                empty = false
                continue
            }
            line += (empty ? "" : " ") + token
            empty = false
        }
        lines.append(line)
        return lines.joined(separator: "\n") + "\n"
    }

    /// Wraps text at `width` columns, paragraph by paragraph (an empty line between them).
    static func wrap(_ text: String, indent: String, width: Int = 80) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .split(whereSeparator: { $0.allSatisfy { $0 == " " } })
            .map {
                DisplayText.wrapped($0.joined(separator: " "), width: width, indent: indent, continuation: indent)
                    .joined(separator: "\n")
            }
            .joined(separator: "\n\n")
    }
}

extension String {
    /// The text padded with spaces on the right to `width` characters.
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
