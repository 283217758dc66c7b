/// A key the console reads: a character, or a named key decoded from the terminal's escape
/// sequences (xterm's, in both cursor modes: `ESC [ A` and `ESC O A`).
enum ConsoleKey: Hashable {
    case character(Character)
    case up, down, left, right
    case pageUp, pageDown, home, end
    case enter, escape, backspace, tab, backTab, delete
    /// A control key: `.control("c")` is Ctrl-C.
    case control(Character)

    /// How `?` names the key.
    var name: String {
        switch self {
        case .character(" "): "Space"
        case .character(let character): String(character)
        case .up: "↑"
        case .down: "↓"
        case .left: "←"
        case .right: "→"
        case .pageUp: "PgUp"
        case .pageDown: "PgDn"
        case .home: "Home"
        case .end: "End"
        case .enter: "Enter"
        case .escape: "Esc"
        case .backspace: "Backspace"
        case .tab: "Tab"
        case .backTab: "Shift-Tab"
        case .delete: "Delete"
        case .control(let character): "Ctrl-" + String(character).uppercased()
        }
    }
}

/// Turns the bytes read from the terminal into keys. Bytes of a sequence split across two
/// reads wait for the rest; a lone ESC at the end of a read is the Escape key only when no
/// more bytes follow soon (the caller asks with ``pendingEscape`` and ``flushEscape()``).
struct ConsoleKeyDecoder {
    private var pending: [UInt8] = []

    /// True when the bytes so far end in an ESC that may begin a sequence.
    var pendingEscape: Bool { !pending.isEmpty }

    /// The keys in `bytes` (after what was pending).
    mutating func keys(from bytes: [UInt8]) -> [ConsoleKey] {
        var input = pending + bytes
        pending = []
        var keys: [ConsoleKey] = []
        var index = 0
        while index < input.count {
            let byte = input[index]
            if byte == 0x1B {
                guard index + 1 < input.count else {
                    pending = [byte]
                    break
                }
                let next = input[index + 1]
                if next == UInt8(ascii: "[") || next == UInt8(ascii: "O") {
                    // CSI or SS3: parameters and intermediates, then a final byte 0x40–0x7E
                    var end = index + 2
                    while end < input.count, !(0x40...0x7E).contains(input[end]) { end += 1 }
                    guard end < input.count else {
                        pending = Array(input[index...])
                        break
                    }
                    if let key = Self.sequence(parameters: Array(input[(index + 2)..<end]), final: input[end]) {
                        keys.append(key)
                    }
                    index = end + 1
                    continue
                }
                // ESC then a character (Alt-x): Escape, then the character
                keys.append(.escape)
                index += 1
                continue
            }
            if byte < 0x80 {
                keys.append(Self.ascii(byte))
                index += 1
                continue
            }
            // UTF-8: the sequence's length from its first byte
            let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
            guard index + length <= input.count else {
                pending = Array(input[index...])
                break
            }
            let text = String(decoding: input[index..<(index + length)], as: UTF8.self)
            if let character = text.first { keys.append(.character(character)) }
            index += length
        }
        input.removeAll()
        return keys
    }

    /// The pending bytes as keys: called when no more bytes came after a lone ESC.
    mutating func flushEscape() -> [ConsoleKey] {
        defer { pending = [] }
        return pending.first == 0x1B ? [.escape] : []
    }

    private static func ascii(_ byte: UInt8) -> ConsoleKey {
        switch byte {
        case 0x0D, 0x0A: .enter
        case 0x09: .tab
        case 0x7F, 0x08: .backspace
        case 0x00: .control(" ")
        case 0x01...0x1A: .control(Character(Unicode.Scalar(byte + 0x60)))
        case 0x1C...0x1F: .control(Character(Unicode.Scalar(byte + 0x40)))
        default: .character(Character(Unicode.Scalar(byte)))
        }
    }

    private static func sequence(parameters: [UInt8], final: UInt8) -> ConsoleKey? {
        switch final {
        case UInt8(ascii: "A"): return .up
        case UInt8(ascii: "B"): return .down
        case UInt8(ascii: "C"): return .right
        case UInt8(ascii: "D"): return .left
        case UInt8(ascii: "H"): return .home
        case UInt8(ascii: "F"): return .end
        case UInt8(ascii: "Z"): return .backTab
        case UInt8(ascii: "~"):
            let number = String(decoding: parameters.prefix { $0 != UInt8(ascii: ";") }, as: UTF8.self)
            switch number {
            case "1", "7": return .home
            case "4", "8": return .end
            case "3": return .delete
            case "5": return .pageUp
            case "6": return .pageDown
            default: return nil
            }
        default: return nil
        }
    }
}
