/// A record of a mapped table: the table's name and the record's id (its `id` column, the
/// trigger log's `record_id`).
public struct RecordKey: Sendable, Hashable {
    public var tableName: String
    public var recordID: Int

    public init(tableName: String, recordID: Int) {
        self.tableName = tableName
        self.recordID = recordID
    }

    /// The id alone: records of different tables with one id are told apart by `==`, and
    /// hashing the table's name for every lookup cost a tenth of a bulk retry's client time.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(recordID)
    }
}
