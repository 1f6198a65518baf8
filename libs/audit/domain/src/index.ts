// ---- audit records: shape, derivation from identity events, application ingest, OCSF, exports ----
export * from './record/audit-record';
export * from './record/json-schema';
export * from './record/metadata';
export * from './record/derive';
export * from './record/application-record';
export * from './ocsf/ocsf-schema';
export * from './ocsf/to-ocsf';
export * from './export/json-lines';
export * from './export/csv';
// ---- end of audit records ----

// Tamper evidence: the Merkle log, its signed checkpoints and the offline verification of an export.
export * from './merkle';
export * from './checkpoint';
export * from './verify';

// Log streams to SIEMs: destinations, what a delivery attempt leads to, RFC 5424 messages.
export * from './streams/delivery-policy';
export * from './streams/stream-destination';
export * from './streams/streamed-record';
export * from './streams/syslog-message';
