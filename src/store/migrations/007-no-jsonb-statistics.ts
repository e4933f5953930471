// ANALYZE need not sample the stored objects: no query plans on the jsonb documents' own
// statistics (selectors go through the labels index, everything else through keys). Sampling
// them made each ANALYZE of a few thousand objects take most of a second, which on the embedded
// engine's single connection holds up every API request for as long (store maintenance runs it).
export const name = 'no-jsonb-statistics';

export const sql = `
ALTER TABLE resources ALTER COLUMN body SET STATISTICS 0;
ALTER TABLE changes ALTER COLUMN object SET STATISTICS 0;
`;
