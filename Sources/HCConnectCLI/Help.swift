/// The help texts: the overview and each command's page, built from the commands' own
/// descriptions and option tables so they cannot drift apart.
enum Help {
    static func overview() -> String {
        var text = """
            hcconnect \(HCConnect.version) — see and repair Heroku Connect's sync between Postgres and Salesforce

            Usage: hcconnect [OPTIONS] COMMAND [ARGUMENTS]

            Commands:

            """
        let width = HCConnect.commands.map { $0.help.name.count }.max() ?? 0
        for command in HCConnect.commands {
            text += "  " + command.help.name.padding(to: width) + "  " + command.help.summary + "\n"
        }
        text += "\nOptions (every command):\n" + optionLines(GlobalOptions.specs)
        text += "\n" + environmentSection + "\n" + exitStatusSection
        text += "\nRun 'hcconnect help COMMAND' for a command's options and examples.\n"
        return text
    }

    static func command(_ command: any Command.Type) -> String {
        let help = command.help
        var text = "hcconnect \(help.name) — \(help.summary)\n\nUsage:\n"
        for line in help.usage {
            // Lines starting with spaces continue the one before.
            text += (line.hasPrefix(" ") ? "            " : "  hcconnect ") + line + "\n"
        }
        text += "\n" + wrap(help.description, indent: "  ") + "\n"
        let options = command.options.filter { !$0.isHidden }
        if !options.isEmpty {
            text += "\nOptions:\n" + optionLines(options)
        }
        text += "\nGlobal options:\n" + optionLines(GlobalOptions.specs)
        if command.formats != [.table] {
            text += "\nFormats: " + command.formats.map(\.rawValue).joined(separator: ", ")
                + " (default \(command.formats[0].rawValue))\n"
        }
        if !help.examples.isEmpty {
            text += "\nExamples:\n"
            for example in help.examples {
                text += "  " + example.command + "\n      " + example.explanation + "\n"
            }
        }
        text += "\n" + exitStatusSection
        return text
    }

    static let environmentSection = """
        Environment:
          DATABASE_URL           database URL when --database-url is not given (Heroku's convention)
          PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE, PGSERVICE, ...
                                 libpq's own settings, used when neither of the above is set,
                                 and for whatever the URL leaves out
          PGCONNECT_TIMEOUT      seconds to wait for the server (default here: 10)
          HEROKU_CONNECT_SCHEMA  schema when --schema is not given (default: salesforce)
          HEROKU_CONNECT_WRITE_MODE
                                 merged or ordered: the write mode of retry and cleanup
          NO_COLOR               no colours when set

        """

    static var exitStatusSection: String {
        var text = "Exit status:\n"
        for status in ExitStatus.allCases {
            text += "  " + String(status.rawValue).padding(to: 3) + "  " + status.meaning + "\n"
        }
        return text
    }

    private static func optionLines(_ options: [OptionSpec]) -> String {
        let width = min(30, options.map { $0.synopsis.count }.max() ?? 0)
        return options.map { option in
            let synopsis = option.synopsis
            if synopsis.count > width {
                return "  " + synopsis + "\n  " + "".padding(to: width) + "  " + option.help + "\n"
            }
            return "  " + synopsis.padding(to: width) + "  " + option.help + "\n"
        }.joined()
    }

    /// Wraps text at 88 columns, paragraph by paragraph (an empty line between them).
    static func wrap(_ text: String, indent: String) -> String {
        // Paragraphs are separated by an empty line.
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .split(whereSeparator: { $0.allSatisfy { $0 == " " } })
            .map { wrapParagraph($0.joined(separator: " "), indent: indent) }
            .joined(separator: "\n\n")
    }

    private static func wrapParagraph(_ paragraph: String, indent: String) -> String {
        var lines: [String] = []
        var line = indent
        for word in paragraph.split(separator: " ") {
            if line.count + word.count + 1 > 88, line != indent {
                lines.append(line)
                line = indent
            }
            line += (line == indent ? "" : " ") + word
        }
        lines.append(line)
        return lines.joined(separator: "\n")
    }
}

extension String {
    /// The text padded with spaces on the right to `width` characters.
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
