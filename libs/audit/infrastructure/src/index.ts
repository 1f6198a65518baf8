export * from './audit.module';
export * from './audit.registration';
export { parseVerifierKey, verifyExportFile, verifyExportLines } from './cli/verify-export-file';
export { verifyConsistency, verifyInclusion } from '@mandate/audit-domain';
