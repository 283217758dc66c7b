import Postgres

/// Why a Heroku Connect operation could not be done, in terms an operator can act on.
public enum HerokuConnectError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The schema does not exist; `connectSchemas` lists the schemas that hold a trigger log.
    case schemaNotFound(schema: String, connectSchemas: [String])
    /// The schema exists but lacks tables every Heroku Connect schema has.
    case notAConnectSchema(schema: String, missingTables: [String], connectSchemas: [String])
    /// The hstore extension, which the trigger log's capture procedures need, is not installed.
    case hstoreMissing(schema: String)
    /// No mapped table has this name in the schema.
    case tableNotMapped(table: String, schema: String, suggestions: [String])
    /// No table of this name is mapped or has entries in the trigger log.
    case tableNotFound(table: String, schema: String, suggestions: [String])
    /// The table's failures cannot be sent to Salesforce again: a read-only mapping, a
    /// mapping without log trigger, or a table that is not mapped.
    case tableNotRepairable(table: String, status: MappingStatus)
    /// No entry with this id in the live log or the archive.
    case entryNotFound(id: Int)
    /// The mapped table has no record with this sfid.
    case sfidNotFound(table: String, sfid: String)
    /// The mapped table has no record with this id, and the log has no entries for one.
    case recordNotFound(table: String, recordID: Int)
    /// The mapped table has no column with this name (a field or column named by the user).
    case columnNotFound(table: String, column: String, suggestions: [String])
    /// The schema lacks one of Heroku Connect's capture procedures.
    case captureProcedureMissing(schema: String, procedure: String)
    /// Another session holds the lock on this entry (Heroku Connect's worker, or another
    /// hcconnect), so it cannot be changed now.
    case entryLocked(id: Int)
    /// Another cleanup of the schema holds its lock; `holder` names its session (application,
    /// pid, address, since when) when it could be found.
    case cleanupRunning(schema: String, holder: String?)

    public var description: String {
        switch self {
        case .schemaNotFound(let schema, let connectSchemas):
            return "schema \"\(schema)\" does not exist" + Self.hint(connectSchemas)
        case .notAConnectSchema(let schema, let missing, _):
            return "schema \"\(schema)\" is not a Heroku Connect schema (no "
                + missing.map { "\($0)" }.joined(separator: ", ") + ")" + Self.hint(schemasToChooseFrom ?? [])
        case .hstoreMissing(let schema):
            return "the hstore extension is not installed in this database, so schema \"\(schema)\" cannot be a working Heroku Connect schema (CREATE EXTENSION hstore)"
        case .tableNotMapped(let table, let schema, let suggestions):
            return "no mapped table \"\(table)\" in schema \"\(schema)\"" + didYouMean(suggestions, quote: "\"")
        case .tableNotFound(let table, let schema, let suggestions):
            return "no table \"\(table)\" in schema \"\(schema)\" is mapped or has trigger log entries" + didYouMean(suggestions, quote: "\"")
        case .tableNotRepairable(let table, let status):
            let why =
                switch status {
                case .readOnly: "is a read-only mapping: Heroku Connect never writes its changes to Salesforce"
                case .withoutLogTrigger: "has no log trigger (its mapping is dropped or paused): Connect does not process its entries"
                case .notMapped: "is not mapped (any more): Connect does not process its entries"
                case .readWrite: "can be retried"
                }
            return "\(table) \(why), so its failures cannot be retried"
        case .entryNotFound(let id):
            return "no trigger log entry with id \(id) (live or archive)"
        case .sfidNotFound(let table, let sfid):
            return "\(table) has no record with sfid \(sfid)"
        case .recordNotFound(let table, let recordID):
            return "\(table) has no record with id \(recordID), and the trigger log has no entries for one"
        case .columnNotFound(let table, let column, let suggestions):
            return "\(table) has no column \"\(column)\"" + didYouMean(suggestions, quote: "\"")
        case .captureProcedureMissing(let schema, let procedure):
            return "schema \"\(schema)\" has no \(procedure) procedure, which Heroku Connect creates in every connection's schema"
        case .entryLocked(let id):
            return "trigger log entry \(id) is locked by another session (Heroku Connect's worker or another hcconnect is working on it); try again in a moment"
        case .cleanupRunning(let schema, let holder):
            return "another cleanup\(holder.map { " (\($0))" } ?? "") is running on schema \(schema); try again when it is done"
        }
    }

    /// For a schema that cannot be used, the Heroku Connect schemas of the database to use
    /// instead (possibly none); nil for the other errors.
    public var schemasToChooseFrom: [String]? {
        switch self {
        case .schemaNotFound(_, let connectSchemas): connectSchemas
        case .notAConnectSchema(let schema, _, let connectSchemas): connectSchemas.filter { $0 != schema }
        default: nil
        }
    }

    /// The schemas to choose from instead (how to choose one is the caller's to say).
    private static func hint(_ connectSchemas: [String]) -> String {
        switch connectSchemas.count {
        case 0: return "; this database has no Heroku Connect schema"
        case 1: return "; the Heroku Connect schema here is \"\(connectSchemas[0])\""
        default: return "; Heroku Connect schemas here: " + connectSchemas.map { "\"\($0)\"" }.joined(separator: ", ")
        }
    }
}
