import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The signal (SIGINT, SIGTERM or SIGHUP) received during interruptible work; 0 while none.
private let receivedSignal = Atomic<Int32>(0)
/// 1 while bulk work runs: the first signal then says the batch is being finished.
private let announcesBatch = Atomic<Int32>(0)

/// Ctrl-C (SIGINT), SIGTERM and SIGHUP during work that can stop cleanly: bulk changes stop
/// after the batch in hand (which commits or rolls back whole), streams stop after the row
/// in hand, and the command reports what was done and exits 130 (143 for SIGTERM, 129 for
/// SIGHUP). A second signal ends the process at once; the server then rolls back the open
/// batch. SIGPIPE is ignored by the executable (``HCConnect/main()``): a closed standard
/// output (`| head -1`) shows as a failed write, which bulk work notices after its batch
/// (``check(_:)``) like a signal, and streams after the row in hand.
///
/// Outside ``during(announcingBatch:_:)`` the signals keep their default action, so a plain query is
/// ended at once as usual. Only the executable installs handlers (``isEnabled``); in-process
/// runs (tests) never touch the process's signals.
struct Interruption: Sendable {
    /// Whether signal handlers are installed around interruptible work.
    let isEnabled: Bool

    /// For the executable.
    static let process = Interruption(isEnabled: true)
    /// For in-process runs: never interrupted.
    static let none = Interruption(isEnabled: false)

    /// The signal received since the work began, or nil.
    var signal: Int32? {
        guard isEnabled else { return nil }
        let value = receivedSignal.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }

    /// True once a signal asked the work to stop.
    var isRequested: Bool { signal != nil }

    /// Runs `body` with SIGINT and SIGTERM caught; restores their default action after.
    ///
    /// - Parameter announcingBatch: When true, the first signal prints at once that the
    ///   current batch is being finished and that a second one aborts it (for people: not
    ///   with `--log-format json`, whose lines a signal handler cannot write).
    func during<T>(announcingBatch: Bool, _ body: () throws -> T) rethrows -> T {
        guard isEnabled else { return try body() }
        receivedSignal.store(0, ordering: .relaxed)
        announcesBatch.store(announcingBatch ? 1 : 0, ordering: .relaxed)
        let previousInterrupt = catchUnlessIgnored(SIGINT)
        let previousTerminate = catchUnlessIgnored(SIGTERM)
        let previousHangup = catchUnlessIgnored(SIGHUP)
        defer {
            setHandler(SIGINT, previousInterrupt)
            setHandler(SIGTERM, previousTerminate)
            setHandler(SIGHUP, previousHangup)
        }
        return try body()
    }

    /// Stops the work: the error commands throw when they notice ``isRequested``.
    func check() throws(Interrupted) {
        if let signal { throw Interrupted(signal: signal) }
    }

    /// ``check()``, and stops the work as for SIGPIPE when `output` can no longer be written
    /// because its reader went away (EPIPE).
    func check(_ output: OutputChannel) throws(Interrupted) {
        try check()
        if output.readerClosed { throw Interrupted(signal: SIGPIPE) }
    }
}

/// `signal(2)`, under a name that the ``Interruption/signal`` property does not hide.
@discardableResult
private func setHandler(
    _ number: Int32, _ handler: (@convention(c) (Int32) -> Void)?
) -> (@convention(c) (Int32) -> Void)? {
    signal(number, handler)
}

/// Catches a signal, unless the process was started with it ignored (a job started with
/// `nohup`, or in the background of a non-interactive shell, ignores SIGINT: it stays so).
///
/// - Returns: The handler to restore afterwards.
private func catchUnlessIgnored(_ number: Int32) -> (@convention(c) (Int32) -> Void)? {
    let previous = setHandler(number, onSignal)
    let ignore = unsafeBitCast(SIG_IGN, to: Int.self)
    if previous.map({ unsafeBitCast($0, to: Int.self) }) == ignore { setHandler(number, previous) }
    return previous
}

/// The signal handler: remembers the first signal; the second restores the default action
/// and raises it again, which ends the process. Only async-signal-safe calls.
private func onSignal(_ number: Int32) {
    let (exchanged, _) = receivedSignal.compareExchange(expected: 0, desired: number, ordering: .relaxed)
    guard exchanged else {
        signal(number, SIG_DFL)
        raise(number)
        return
    }
    if announcesBatch.load(ordering: .relaxed) == 1 {
        let message: StaticString =
            "\nhcconnect: interrupted; finishing the current batch (press Ctrl-C again to abort it)\n"
        _ = write(2, message.utf8Start, message.utf8CodeUnitCount)
    }
}

/// The work stopped because of a signal; exit status 128 + the signal's number.
struct Interrupted: Error, Equatable {
    let signal: Int32

    var status: ExitStatus {
        switch signal {
        case SIGTERM: .terminated
        case SIGHUP: .hangup
        case SIGPIPE: .outputClosed
        default: .interrupted
        }
    }
}
