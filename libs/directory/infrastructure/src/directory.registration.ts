import { type ContextRegistration } from '@mandate/runtime';
import { DirectoryModule } from './directory.module';
import { directoryMigrations } from './persistence/directory.migrations';
import { OrganizationEntity } from './organizations/organization.entity';

export const directoryContext: ContextRegistration = {
  context: 'directory',
  module: (eventStore, { secretKey }) => DirectoryModule.forRoot({ eventStore, secretKey }),
  entities: [OrganizationEntity],
  migrations: directoryMigrations,
};
