// Tamper evidence: the Merkle log, its signed checkpoints and the offline verification of an export.
export * from './merkle';
export * from './checkpoint';
export * from './verify';
