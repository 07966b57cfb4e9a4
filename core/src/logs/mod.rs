//! Log parsing, tailing and log -> metrics rules (see the log parsing and log pipeline issues). Not yet built.
