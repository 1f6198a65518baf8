export { canonicalBytes, canonicalJson } from './canonical-json';
export {
  type AuditExport,
  type AuditExportEntry,
  type ExportTampering,
  type ExportVerification,
  type VerifiedCheckpoint,
  verifyExport,
} from './verify-export';
