export { canonicalBytes, canonicalJson } from './canonical-json';
export { readRecordLine, type RecordLineFields } from './record-line';
export {
  type AuditExport,
  type AuditExportEntry,
  type ExportSeal,
  type ExportTampering,
  type ExportVerification,
  ExportVerifier,
  type VerifiedCheckpoint,
  verifyExport,
} from './verify-export';
