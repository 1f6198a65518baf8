import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export const DIRECTORY_SCHEMA = 'directory';

/** The organizations read model: one row per organization, kept by the organizations projection. */
@Entity({ name: 'organizations', schema: DIRECTORY_SCHEMA })
export class OrganizationEntity {
  @PrimaryColumn({ name: 'org_id', type: 'text' })
  orgId!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  status!: 'active' | 'deleted';

  @Index()
  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
