/**
 * The Glue port in memory, for fast tests: databases and tables in maps, a VersionId that
 * counts up on every update and is checked like real Glue's (a stale one is a `conflict`).
 */
import { type GlueCatalog, GlueError, type GlueTable, type GlueTableInput } from './glueCatalog.js';

export function createMemoryGlueCatalog(): GlueCatalog {
  const databases = new Map<string, Map<string, GlueTable>>();
  const stored = (database: string, input: GlueTableInput, versionId: string): GlueTable =>
    structuredClone({ ...input, DatabaseName: database, VersionId: versionId });
  const tablesOf = (database: string, what: string) => {
    const tables = databases.get(database);
    if (!tables) throw new GlueError('not_found', `Glue ${what}: database ${database} not found`);
    return tables;
  };
  return {
    async getTable(database, name) {
      const table = databases.get(database)?.get(name);
      return table === undefined ? undefined : structuredClone(table);
    },
    async createTable(database, input) {
      const tables = tablesOf(database, `CreateTable ${database}.${input.Name}`);
      if (tables.has(input.Name)) {
        throw new GlueError('already_exists', `Glue CreateTable: ${database}.${input.Name} already exists`);
      }
      tables.set(input.Name, stored(database, input, '1'));
    },
    async updateTable(database, input, versionId) {
      const what = `UpdateTable ${database}.${input.Name}`;
      const current = tablesOf(database, what).get(input.Name);
      if (!current) throw new GlueError('not_found', `Glue ${what}: table not found`);
      if (versionId !== undefined && versionId !== current.VersionId) {
        throw new GlueError('conflict', `Glue ${what}: VersionId ${versionId} is not ${current.VersionId}`);
      }
      const next = String(Number(current.VersionId) + 1);
      tablesOf(database, what).set(input.Name, stored(database, input, next));
    },
    async createDatabase(database) {
      if (databases.has(database)) {
        throw new GlueError('already_exists', `Glue CreateDatabase: ${database} already exists`);
      }
      databases.set(database, new Map());
    },
  };
}
