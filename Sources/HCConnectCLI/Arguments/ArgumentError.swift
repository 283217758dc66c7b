import HerokuConnect
import Postgres

/// A command line that cannot be run as written. Each case names the argument at fault;
/// the description is the one line printed to the user.
public enum ArgumentError: Error, Sendable, Equatable, CustomStringConvertible {
    case missingCommand
    case unknownCommand(String, suggestions: [String])
    case unknownOption(String, suggestions: [String])
    case missingValue(option: String)
    case unexpectedValue(option: String)
    case duplicateOption(String)
    case invalidValue(option: String, value: String, reason: String)
    case unexpectedArgument(String)
    case missingArgument(String)
    case conflictingOptions(String, String)
    /// A combination of arguments that is not allowed, explained in words.
    case invalidCombination(String)

    public var description: String {
        switch self {
        case .missingCommand:
            return "no command given; run 'hcconnect help' to see the commands"
        case .unknownCommand(let name, let suggestions):
            return "unknown command '\(Self.printable(name))'" + HerokuConnect.didYouMean(suggestions, quote: "'")
                + (suggestions.isEmpty ? "; run 'hcconnect help' to see the commands" : "")
        case .unknownOption(let name, let suggestions):
            return "unknown option '\(Self.printable(name))'" + HerokuConnect.didYouMean(suggestions, quote: "'")
        case .missingValue(let option):
            return "\(option) needs a value"
        case .unexpectedValue(let option):
            return "\(option) does not take a value"
        case .duplicateOption(let option):
            return "\(option) is given more than once"
        case .invalidValue(let option, let value, let reason):
            return "\(option): '\(Self.printable(value))' \(reason)"
        case .unexpectedArgument(let argument):
            return "unexpected argument '\(Self.printable(argument))'"
        case .missingArgument(let name):
            return "missing \(name)"
        case .conflictingOptions(let first, let second):
            return "\(first) and \(second) cannot be used together"
        case .invalidCombination(let explanation):
            return explanation
        }
    }

    /// The argument with the password of a connection URL or keyword string in it masked;
    /// any other argument as it is.
    static func passwordMasked(_ argument: String) -> String {
        guard argument.containsUTF8("://") || argument.containsUTF8("password") else { return argument }
        return ConnectionSettings(connectionString: argument).redactedConnectionString
    }

    /// The argument as it can be shown on one line: a password in a connection URL or
    /// string masked, control characters escaped, very long input cut.
    static func printable(_ argument: String) -> String {
        let text = passwordMasked(argument)
        var result = ""
        for scalar in text.unicodeScalars.prefix(200) {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                result += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        if text.unicodeScalars.count > 200 { result += "…" }
        return result
    }
}
