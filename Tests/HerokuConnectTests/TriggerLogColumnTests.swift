@testable import HerokuConnect
import TestSupport
import Testing

/// The log's columns: one list (``TriggerLogRow/Column``) gives the select list, the column
/// names and the positions rows are decoded at.
@Suite(.tags(.unit)) struct TriggerLogColumnTests {
    @Test func theSelectListIsTheLogTablesColumnsInTableOrder() {
        #expect(
            TriggerLogEntry.selectList
                == "id, txid, created_at, updated_at, processed_at, processed_tx, state, action, table_name, "
                + "record_id, sfid, old, \"values\", sf_result, sf_message")
        #expect(TriggerLogEntry.columnNames.count == 15)
    }

    @Test func eachColumnIsDecodedAtItsPositionInTheSelectList() {
        for column in TriggerLogRow.Column.allCases where column != .archived {
            #expect(TriggerLogEntry.columnNames[column.rawValue] == column.name)
        }
        #expect(TriggerLogRow.Column.archived.rawValue == TriggerLogEntry.columnNames.count, "archived follows the list")
        let text: [TriggerLogRow.TextColumn] = [.state, .action, .tableName, .sfid, .old, .values, .sfMessage]
        #expect(text.map(\.column.name) == ["state", "action", "table_name", "sfid", "old", "values", "sf_message"])
    }
}
