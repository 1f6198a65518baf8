export * from './audit.module';
export * from './audit.registration';
export {
  type ExportLine,
  ExportLinesVerifier,
  parseVerifierKey,
  verifyExportFile,
  verifyExportLines,
  verifyExportLinesAsync,
  verifyExportStream,
} from './cli/verify-export-file';
export { verifyConsistency, verifyInclusion } from '@mandate/audit-domain';
