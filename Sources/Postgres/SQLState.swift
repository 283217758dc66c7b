/// The SQLSTATE codes hcconnect acts on, by name (PostgreSQL's Appendix A, "PostgreSQL Error
/// Codes"; postgres-nio's `PostgresError.Code` names them the same way). Match an error's
/// ``PostgresError/sqlState`` against these, never against a literal.
public enum SQLState {
    // Class 22: data exception
    /// `2201B`: a regular expression the server could not compile.
    public static let invalidRegularExpression = "2201B"
    // Class 25: invalid transaction state
    /// `25006`: a write in a read-only transaction (a hot standby, `default_transaction_read_only`).
    public static let readOnlySQLTransaction = "25006"
    // Class 3D, 3F: invalid catalog or schema name
    /// `3D000`: the database does not exist.
    public static let invalidCatalogName = "3D000"
    /// `3F000`: the schema does not exist.
    public static let invalidSchemaName = "3F000"
    // Class 40: transaction rollback
    /// `40001`: a serialization failure.
    public static let serializationFailure = "40001"
    /// `40P01`: the server broke a deadlock by aborting this transaction.
    public static let deadlockDetected = "40P01"
    // Class 42: syntax error or access rule violation
    /// `42501`: permission denied.
    public static let insufficientPrivilege = "42501"
    /// `42P01`: the table does not exist.
    public static let undefinedTable = "42P01"
    /// `42703`: the column does not exist.
    public static let undefinedColumn = "42703"
    /// `42704`: an object (a type, an extension's) does not exist.
    public static let undefinedObject = "42704"
    /// `42883`: the function does not exist.
    public static let undefinedFunction = "42883"
    // Class 55: object not in prerequisite state
    /// `55006`: the object is in use (a `DROP DATABASE` while connected).
    public static let objectInUse = "55006"
    /// `55P03`: a lock was not granted (`NOWAIT`, or within `lock_timeout`).
    public static let lockNotAvailable = "55P03"
    // Class 57: operator intervention
    /// `57014`: the statement was cancelled (`statement_timeout`, a cancel request).
    public static let queryCanceled = "57014"
    /// `57P01`: the server is shutting down (`pg_ctl stop -m fast`, `pg_terminate_backend`).
    public static let adminShutdown = "57P01"
    /// `57P02`: the server crashed and is restarting.
    public static let crashShutdown = "57P02"
    /// `57P03`: the server is starting up or otherwise not accepting connections yet.
    public static let cannotConnectNow = "57P03"
}
