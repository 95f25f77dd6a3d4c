export * from './IntegrityManifest';
export { parseIntegrityManifest, isManifestPath } from './parseIntegrityManifest';
export { expectedParts, type HashedPart } from './expectedParts';
