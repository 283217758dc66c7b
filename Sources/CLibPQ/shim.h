#include <libpq-fe.h>

/* libpq's PG_DIAG_* field codes are char macros, which Swift cannot import. */
static const int HC_PG_DIAG_SEVERITY_NONLOCALIZED = 'V';
static const int HC_PG_DIAG_SQLSTATE = 'C';
static const int HC_PG_DIAG_MESSAGE_PRIMARY = 'M';
static const int HC_PG_DIAG_MESSAGE_DETAIL = 'D';
static const int HC_PG_DIAG_MESSAGE_HINT = 'H';
static const int HC_PG_DIAG_STATEMENT_POSITION = 'P';
static const int HC_PG_DIAG_SCHEMA_NAME = 's';
static const int HC_PG_DIAG_TABLE_NAME = 't';
static const int HC_PG_DIAG_COLUMN_NAME = 'c';
static const int HC_PG_DIAG_CONSTRAINT_NAME = 'n';
