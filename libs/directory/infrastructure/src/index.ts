export * from './directory.module';
export * from './persistence/directory.migrations';
export * from './organizations/organization.entity';
export * from './directory.registration';
