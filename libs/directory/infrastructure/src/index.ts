export * from './directory.module';
export * from './organizations/directory.migrations';
export * from './organizations/organization.entity';
export * from './directory.registration';
