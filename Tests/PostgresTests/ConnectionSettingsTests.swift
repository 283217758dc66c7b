import Postgres
import TestSupport
import Testing

@Suite(.tags(.unit)) struct ConnectionSettingsTests {
    @Test func urlPasswordIsMaskedInTheRedactedForm() {
        let settings = ConnectionSettings(connectionString: "postgres://app:s3cr%40t@db.example.com:5432/prod?sslmode=require")
        #expect(settings.redactedConnectionString == "postgres://app:***@db.example.com:5432/prod?sslmode=require")
    }

    @Test func urlWithoutPasswordIsUnchanged() {
        let settings = ConnectionSettings(connectionString: "postgresql://app@db/prod")
        #expect(settings.redactedConnectionString == "postgresql://app@db/prod")
    }

    @Test func keywordPasswordIsMasked() {
        #expect(
            ConnectionSettings(connectionString: "host=db password=hunter22 user=app").redactedConnectionString
                == "host=db password=*** user=app")
        #expect(
            ConnectionSettings(connectionString: "host=db password = 'it\\'s a secret' user=app").redactedConnectionString
                == "host=db password=*** user=app")
    }

    @Test func redactorMasksDecodedAndRawPasswordsAndTheWholeURL() {
        let url = "postgres://app:p%40ssw0rd@db/prod"
        let redactor = ConnectionSettings(connectionString: url).redactor()
        #expect(redactor.redact("could not connect with \(url)") == "could not connect with postgres://app:***@db/prod")
        #expect(redactor.redact("password p@ssw0rd was wrong") == "password *** was wrong")
        #expect(redactor.redact("raw p%40ssw0rd") == "raw ***")
    }

    @Test func explicitParametersComeFromLibpq() throws {
        let parsed = try ConnectionSettings(connectionString: "postgresql://u:pw@h:6543/d?sslmode=verify-full&application_name=x")
            .explicitParameters()
        #expect(parsed["host"] == "h")
        #expect(parsed["port"] == "6543")
        #expect(parsed["dbname"] == "d")
        #expect(parsed["sslmode"] == "verify-full")
        #expect(parsed["application_name"] == "x")
        #expect(parsed["password"] == "pw")
        #expect(try ConnectionSettings(connectionString: "mydb").explicitParameters() == ["dbname": "mydb"])
        #expect(try ConnectionSettings(connectionString: nil).explicitParameters() == [:])
        #expect(try ConnectionSettings(connectionString: "  ").explicitParameters() == [:])
    }

    @Test func malformedStringsAreRejectedWithoutThePassword() {
        let url = "postgresql://user:topsecret@[::1/db"
        do {
            _ = try ConnectionSettings(connectionString: url).explicitParameters()
            Issue.record("a malformed URL was accepted")
        } catch {
            #expect(error.kind == .invalidConnectionString)
            #expect(!error.description.contains("topsecret"))
        }
        #expect(throws: PostgresError.self) {
            try ConnectionSettings(connectionString: "host=db bogus_keyword=1").explicitParameters()
        }
    }
}
